#pragma once
// The filter -> detect steps of a CNN layer, applied before pooling: a kernel
// correlated with each channel (as Keras Conv2D and cv::filter2D: not flipped), then ReLU.
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

namespace imgpool {

// same: TF's zero padding, output the input's size (for an even kernel the extra cell
// is after, as TF does); valid: no padding, output n - k + 1.
enum class FilterPadding { same, valid };

// edge, emboss, sharpen, sobel-x, sobel-y, blur, laplacian, identity (CV_64F).
std::optional<cv::Mat> builtin_kernel(const std::string& name);
std::vector<std::string> builtin_kernel_names();

// out(y, x) = sum over i, j of kernel(i, j) * src(y + i - a_y, x + j - a_x), a = (k - 1) / 2,
// per channel. Result float32 (float64 for float64 input). Throws imgpool::Error
// ("filter") for an empty kernel or, with valid padding, one larger than the image.
cv::Mat filter(const cv::Mat& src, const cv::Mat& kernel, FilterPadding padding);

// The output size of filter() for an input of `input` size.
cv::Size filtered_size(cv::Size input, cv::Size kernel, FilterPadding padding);

// max(x, 0) per element, in place of a copy; NaN stays NaN.
cv::Mat relu(const cv::Mat& src);

}  // namespace imgpool
