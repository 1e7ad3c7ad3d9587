#pragma once
// The pre-steps applied before pooling, in this order: grayscale, then resize.
#include <opencv2/core.hpp>

namespace imgpool {

// Rec.601 luma of an RGB(A) image (alpha dropped), as cv::cvtColor; 1-channel
// input is returned as it is. Any depth.
cv::Mat to_grayscale(const cv::Mat& rgb);

enum class Interp { automatic, nearest, linear, area, cubic, lanczos };

// Resizes to exactly `size`. automatic: area when no axis grows, else linear.
// Any depth (depths cv::resize lacks go through float64 and round half to even).
cv::Mat resize_to(const cv::Mat& src, cv::Size size, Interp interp);

}  // namespace imgpool
