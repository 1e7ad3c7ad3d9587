#pragma once
// The default output name, shared by single-image and batch runs.
#include <string>

#include "options.hpp"

namespace imgpool::cli {

// "<stem>.<tag><ext>" beside the input, where the tag says what was done:
//   <type>-<W>x<H>-s<W>x<H>   sliding windows: type, size, stride ("max-2x2-s2x2")
//   <type>-out<W>x<H>         adaptive pooling ("avg-out7x7");  <type>-global
// then, only for settings that differ from the defaults, in this order:
//   -same | -p<N|WxH|L,T,R,B>, -d<dilation>, -ceil, -countpad, -zero|-replicate|-reflect,
//   -up (rounding), -pow<P>, -<depth> (u8, f32...), -x<repeat>,
//   -gray, -r<WxH> (resize) and its -<interp> if not auto, -f<filter>, -fvalid, -relu
// so that runs with different settings never share a name. `ext` includes its dot.
std::string default_output_name(const Options& o, const PoolParams& p, const std::string& ext);

// The tag alone: "max-2x2-s2x2-same-x4".
std::string operation_tag(const Options& o, const PoolParams& p);

}  // namespace imgpool::cli
