#pragma once
// JPEG encoding with libjpeg(-turbo) directly, with OpenCV 4.6's settings (grfmt_jpeg.cpp),
// so the bytes equal cv::imencode(".jpg")'s.
#include <opencv2/core.hpp>
#include <vector>

namespace imgpool::io::detail {

// 8-bit, 1 or 3 channels (RGB order). `quality` 1..100, or -1 for OpenCV's default 95.
// Baseline, 4:2:0, standard Huffman tables, no restart markers, JFIF header.
std::vector<unsigned char> encode_jpeg(const cv::Mat& rgb, int quality);

}  // namespace imgpool::io::detail
