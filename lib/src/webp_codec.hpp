#pragma once
// WebP through libwebp directly, with OpenCV 4.6's calls (grfmt_webp.cpp), so valid
// files give the same pixels as cv::imdecode(IMREAD_UNCHANGED) in RGB(A) order, and
// encoding gives the same bytes as cv::imencode(".webp"), except for lossless RGBA, where
// OpenCV lets libwebp change the colour of fully transparent pixels and imgpool does not.
#include <opencv2/core.hpp>
#include <vector>

namespace imgpool::io::detail {

// 8-bit RGBA when the header (first 32 bytes, as OpenCV reads) says alpha, else RGB.
// Throws IoError for truncated, corrupt or animated files.
cv::Mat decode_webp(const std::vector<unsigned char>& bytes);

// 8-bit RGB or RGBA. `quality` -1: lossless and exact (OpenCV's default, but exact);
// 1..100: lossy.
std::vector<unsigned char> encode_webp(const cv::Mat& rgb, int quality);

}  // namespace imgpool::io::detail
