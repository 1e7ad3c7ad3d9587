#pragma once
// PNG through libpng directly, with the transformations OpenCV 4.6's decoder asks for
// (grfmt_png.cpp), so valid files give the same pixels as cv::imdecode(IMREAD_UNCHANGED),
// in RGB(A) order, and the encoder's settings are OpenCV's, so outputs stay comparable.
#include <cstddef>
#include <cstdio>
#include <functional>
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
// The same, telling `progress` how far it got, so that a consumer can start on the rows
// already there: (img, 0) once `img` is allocated (size and type known, rows unset), then
// (img, rows) whenever rows [0, rows) are final, in order (an interlaced file's all at the
// end). An exception from `progress` stops the decoding and leaves decode_png.
using PngProgress = std::function<void(const cv::Mat& img, int rows)>;
cv::Mat decode_png(std::FILE* file, const PngProgress& progress);

// 8- or 16-bit, 1, 3 or 4 channels (RGB(A) order). `level` -1 is OpenCV's default, tuned
// for speed: zlib level 1, the RLE strategy and the Sub filter on every row; 0..9 is a
// zlib level with the default strategy and libpng's adaptive filters (as
// IMWRITE_PNG_COMPRESSION). The bytes equal cv::imencode's for the same settings, but for
// images whose filtered rows make two pieces or more (png_parallel.hpp): those are deflated
// in pieces on every core, with the same filters, into a stream a few hundred bytes longer.
std::vector<unsigned char> encode_png(const cv::Mat& rgb, int level);
// The signature and the chunks before the image data, as encode_png writes them for an
// image of `m`'s size and type, appended to `out`.
void append_png_header(const cv::Mat& m, std::vector<unsigned char>& out);
// The same with pieces of about `piece_bytes` (tests use small ones).
std::vector<unsigned char> encode_png(const cv::Mat& rgb, int level, std::size_t piece_bytes);

}  // namespace imgpool::io::detail
