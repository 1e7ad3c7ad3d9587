#pragma once
// Pooling: one function over an image with a parameters struct.
#include <opencv2/core.hpp>

#include "imgpool/error.hpp"
#include "imgpool/params.hpp"

namespace imgpool {

// Pools each channel of `src` independently. src: any channel count, depth
// CV_8U, 8S, 16U, 16S, 32S, 32F or 64F. Throws imgpool::Error for invalid parameters.
cv::Mat pool(const cv::Mat& src, const PoolParams& p);

// The size pool() will return for an input of `input` size; validates like pool().
cv::Size pooled_size(cv::Size input, const PoolParams& p);

// The depth pool() will return for an input of `input_depth`.
int result_depth(int input_depth, const PoolParams& p);

// Checks the parameters on their own and against an input size; throws imgpool::Error.
void validate(const PoolParams& p, cv::Size input);

// The stride in effect: the window where PoolParams::stride is 0.
Extent effective_stride(const PoolParams& p);

const char* to_string(PoolType t);

}  // namespace imgpool
