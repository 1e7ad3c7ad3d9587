#pragma once
// The default output name, shared by single-image and batch runs.
#include <string>

#include "imgpool/params.hpp"

namespace imgpool::cli {

// "<stem>.<op><ext>" beside the input, where <op> says what was done:
// "max-2x2-s2x2" (sliding windows: type, size, stride), "avg-out7x7" (adaptive),
// "max-global", with "-x<N>" when repeated N times. `ext` includes its dot: ".png".
std::string default_output_name(const std::string& input, const PoolParams& p, int repeat, const std::string& ext);

// The operation part alone: "max-2x2-s2x2".
std::string operation_tag(const PoolParams& p, int repeat = 1);

}  // namespace imgpool::cli
