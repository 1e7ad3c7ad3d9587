#pragma once
// The global reduction engine's kernels (global_reduce_kernels.hpp, compiled for the baseline
// and for AVX2): one chunk of rows reduced to one partial result per channel. The chunks
// are fixed by the image's size alone and combined in order by global_reduce.cpp, so the
// result does not depend on the thread count.
#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

namespace imgpool::detail::global {

enum class Op { max, min, sum };

// What a chunk gives, per channel. max/min: `value` (exact in double for every depth);
// sum: `isum` for integer depths (exact, wrapping only beyond 2^63), `value` for floats
// (double). `nan`: a float NaN among the chunk's samples (max/min only; sums find out
// from their value).
struct Partial {
    std::vector<double> value;
    std::vector<std::int64_t> isum;
    std::vector<char> nan;
};

namespace base {
void reduce_rows(const cv::Mat& src, int r0, int r1, Op op, Partial& out);
}
namespace avx2 {
void reduce_rows(const cv::Mat& src, int r0, int r1, Op op, Partial& out);
}

}  // namespace imgpool::detail::global
