#pragma once
// Max and min over 3x3 to 9x9 windows, stride 1, of 8-bit pixels: two result rows per pass
// over their K + 1 source rows, with nothing stored between the passes along y and x. The
// stride-1 engine's path for its most common windows: sliding_u8.cpp calls it for the
// rows' interior and does their ends and the padding itself.
#include <cstddef>
#include <cstdint>

namespace imgpool::detail {

// Results [begin, end) (bytes) of two rows d0 and d1 from source rows r[0..K] (K = 3, 5, 7, 9):
//   d0[o] = op of r[t][o + shift + e * cn] for 0 <= t < K and -K/2 <= e <= K/2;
//   d1[o] the same over r[1..K].
// end - begin is a multiple of 64, and the bytes read, [begin + shift - 64, end + shift + 64)
// of each row at most (the AVX2 loop reads 32 bytes less at either end), are the caller's.
// Rows whose stores bypass the caches (PairStores) start on the 64-byte grid at begin, and
// the caller ends with _mm_sfence(). `ahead` (two rows) is prefetched over the same bytes:
// the source rows of the next pass.
using PairsFn = void (*)(const std::uint8_t* const* r, const std::uint8_t* const* ahead, std::uint8_t* d0,
                         std::uint8_t* d1, std::size_t begin, std::size_t end, std::ptrdiff_t shift);

// Which rows' stores are non-temporal: none, d0's alone (d1 a staging row the caller
// streams to the result's row at its own offset from the 64-byte grid), or both.
enum class PairStores { plain, first, both };

// The kernel for max or min over k x k windows of cn-channel pixels, AVX-512 (F, BW) or
// AVX2; nullptr where there is none (k other than 3, 5, 7, 9; cn beyond 4).
PairsFn pairs_kernel(bool max, int k, int cn, PairStores nt, bool avx512);

}  // namespace imgpool::detail
