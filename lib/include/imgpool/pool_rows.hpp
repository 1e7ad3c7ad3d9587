#pragma once
// Pooling a band of output rows, for consumers that get the input's rows in order (a decoder)
// and want to start on the result before the whole input is there.
#include <opencv2/core.hpp>

#include "imgpool/params.hpp"

namespace imgpool {

// How many leading rows of an input of `input` size pool(src, p) reads to make its first
// `out_rows` rows (window scope; validates like pool()). Grows with `out_rows`; all rows
// once `out_rows` reaches the output's height.
int pool_input_rows(cv::Size input, const PoolParams& p, int out_rows);

// Rows [first, last) of pool(src, p), exactly, reading only rows below
// pool_input_rows(src.size(), p, last) of `src` (the others may still be unset). Window
// scope only; throws imgpool::Error for other scopes, invalid parameters or rows outside
// the output.
cv::Mat pool_rows(const cv::Mat& src, const PoolParams& p, int first, int last);

}  // namespace imgpool
