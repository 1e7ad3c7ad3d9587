#pragma once
// PNG through libpng directly, with the transformations OpenCV 4.6's decoder asks for
// (grfmt_png.cpp), so valid files give the same pixels as cv::imdecode(IMREAD_UNCHANGED),
// in RGB(A) order, and the encoder's settings are OpenCV's, so outputs stay comparable.
#include <cstddef>
#include <cstdio>
#include <opencv2/core.hpp>
#include <vector>

namespace imgpool::io::detail {

// 8- or 16-bit pixels: gray -> 1 channel (tRNS ignored); gray+alpha -> RGBA; RGB and
// palette -> RGB, or RGBA with a tRNS chunk; RGBA -> RGBA; 1/2/4-bit gray widened to 8.
// libpng's warnings are dropped (most are about metadata); its errors throw IoError
// "corrupt or unsupported PNG data", as do truncated files.
cv::Mat decode_png(const std::vector<unsigned char>& bytes);
// The same from an open file, read in pieces, so the file's bytes are never all in memory
// with the pixels.
cv::Mat decode_png(std::FILE* file);

// 8- or 16-bit, 1, 3 or 4 channels (RGB(A) order). `level` -1 is OpenCV's default, tuned
// for speed: zlib level 1, the RLE strategy and the Sub filter on every row; 0..9 is a
// zlib level with the default strategy and libpng's adaptive filters (as
// IMWRITE_PNG_COMPRESSION). The bytes equal cv::imencode's for the same settings, but for
// images whose filtered rows make two pieces or more (png_parallel.hpp): those are deflated
// in pieces on every core, with the same filters, into a stream a few hundred bytes longer.
std::vector<unsigned char> encode_png(const cv::Mat& rgb, int level);
// The same with pieces of about `piece_bytes` (tests use small ones).
std::vector<unsigned char> encode_png(const cv::Mat& rgb, int level, std::size_t piece_bytes);

}  // namespace imgpool::io::detail
