#pragma once
// Deflating a large PNG on every core, as pigz does: the filtered rows are cut into pieces of
// whole rows, each deflated on its own (primed with the 32 KiB before it, so matches reach
// back as in one stream) and ended on a byte boundary, then joined into one zlib stream.
// Pieces depend on the image only, so the bytes are the same with any number of threads.
#include <cstddef>
#include <functional>
#include <memory>
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

// The same for rows of `m` that are still being made (by a decoder and pool_rows), so that
// deflating overlaps making them: any number of threads call work(), each taking the next
// piece in order; a piece is started once `ready(rows)` (called before each piece, from the
// thread calling work()) has returned true for the rows it reads, [0, rows) of `m`. The bytes
// are append_png_pieces' whatever the threads and the order rows come in.
class PngPieces {
public:
    // Reserves `out` for the file; `m` is allocated, its rows may be unset.
    PngPieces(const cv::Mat& m, int level, std::size_t piece_bytes, std::vector<unsigned char>& out);
    ~PngPieces();
    PngPieces(const PngPieces&) = delete;
    PngPieces& operator=(const PngPieces&) = delete;

    // Deflates pieces until none is left, or until `ready` returns false (give up: then
    // finish() throws). `ready` may wait; it must not throw.
    void work(const std::function<bool(std::size_t rows)>& ready);
    // Once every work() has returned: appends IEND. Throws IoError if a piece is missing.
    void finish();

private:
    struct State;
    std::unique_ptr<State> s_;
};

}  // namespace imgpool::io::detail
