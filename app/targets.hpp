#pragma once
// Where results go: a file (never the input, replaced only with --overwrite), stdout, or nowhere.
#include <string>

#include "imgpool/image_io.hpp"
#include "options.hpp"

namespace imgpool::cli {

struct Target {
    enum Kind { none, file, stdout_ } kind = none;
    std::string path;
    io::Format format = io::Format::unknown;
    std::string ext;  // with its dot

    std::string name() const { return kind == file ? path : kind == stdout_ ? "stdout" : "nothing"; }
};

// The target for the result of `p` (one of possibly several types), given the input's
// format and the result's depth and channels. Throws Failure.
// Batch runs name each output themselves (o.outputs, one per listed type).
Target resolve_target(const Options& o, const PoolParams& p, size_t type_index, io::Format input_format, int depth,
                      int channels);

// The comparison sheet's target (8-bit RGB). Throws Failure.
Target resolve_sheet_target(const Options& o);

// Encodes and writes `m` (atomically for files). Throws Failure naming the target.
void write_target(const Target& t, const cv::Mat& m, const Options& o);
// Writes `bytes`, `m` already encoded for `t`. Throws Failure naming the target.
void write_encoded(const Target& t, const io::Bytes& bytes, const cv::Mat& m, const Options& o);

}  // namespace imgpool::cli
