#pragma once
// libpng's choice of row filter, redone outside libpng so rows can be filtered on several
// threads (png_parallel.cpp) into exactly the bytes libpng 1.6 would deflate.
#include <cstddef>

namespace imgpool::io::detail {

// The filters libpng tries (PNG_FILTER_NONE... bits of png.h) for an 8- or 16-bit image
// that encode_png writes at `level`: Sub alone for OpenCV's default (-1), all five for a
// zlib level; without those needing a previous row when there is one row, and those
// needing a left neighbour when there is one column (png_write_start_row).
unsigned png_filters(int level, std::size_t width, std::size_t height);

// Writes filter type byte + filtered `row` (`n` bytes, `bpp` bytes per pixel, big-endian
// samples) to `out` (n + 1 bytes). `prev` is the row above, all zeros for the first row.
// Of several `filters`, the one with the smallest sum of |signed byte| wins, the earlier
// (None, Sub, Up, Average, Paeth) on a tie: libpng's heuristic. `scratch`: 2 * (n + 1) bytes.
void filter_png_row(const unsigned char* row, const unsigned char* prev, std::size_t n, std::size_t bpp,
                    unsigned filters, unsigned char* out, unsigned char* scratch);

}  // namespace imgpool::io::detail
