#pragma once
// Deflating a large PNG on every core, as pigz does: the filtered rows are cut into pieces of
// whole rows, each deflated on its own (primed with the 32 KiB before it, so matches reach
// back as in one stream) and ended on a byte boundary, then joined into one zlib stream.
// Pieces depend on the image only, so the bytes are the same with any number of threads.
#include <cstddef>
#include <opencv2/core.hpp>
#include <vector>

namespace imgpool::io::detail {

// About this much filtered data per piece: big enough that priming and the flush at its
// end cost little (~0.1% of the size), small enough for a 2K image to give ~24 pieces.
constexpr std::size_t png_piece_bytes = 256 * 1024;

// Whole rows per piece (at least one) for rows of `row_bytes` (without the filter byte).
std::size_t png_rows_per_piece(std::size_t row_bytes, std::size_t piece_bytes = png_piece_bytes);

// Whether `m` (8- or 16-bit, 1, 3 or 4 channels) makes at least two pieces; smaller images
// go through libpng in one stream (png_codec.cpp).
bool png_in_pieces(const cv::Mat& m, std::size_t piece_bytes = png_piece_bytes);

// Appends to `out` the IDAT chunks (one per piece) and IEND of `m` as encode_png writes it
// at `level` (-1: Sub filter, level 1, Z_RLE; else libpng's filter choice and the default
// strategy): the same filtered bytes as libpng's, deflated in pieces on cv::parallel_for_.
// Throws IoError if zlib fails.
void append_png_pieces(const cv::Mat& m, int level, std::size_t piece_bytes, std::vector<unsigned char>& out);

}  // namespace imgpool::io::detail
