// See sliding_pairs_u8.hpp. Each step loads one vector of each of the K + 1 source rows,
// takes the two rows' y results from them (the middle rows' op shared: for 3x3, 4 loads and
// 3 ops for two results), and the x pass from three steps' y results held in registers (two
// 128-bit lane shifts, then two in-lane byte shifts per distance 1 to K/2 pixels), so no row
// of y results is stored and read back. The byte shifts reach 16 bytes: 9x9 at 4 channels
// (wider windows keep the van Herk engine, whose cost does not grow with K). Measured on 4K
// RGB, one thread: the engine's former 3x3 loop (one result row at a time, its y pass stored
// into a row that the x pass read back with three loads per vector) took 1.6x this one's
// time, its 5x5 loop 1.45x, and van Herk at 9x9 1.57x. Without the prefetch of the next pass's two new rows (over the same
// bytes as this pass's; into L2 only, or 1 KiB further on: no better) 3x3 took 1.05-1.26x as
// long, and the AVX2 loop 1.03-1.18x the AVX-512 one's.
#include "sliding_pairs_u8.hpp"

#include <utility>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define IMGPOOL_PAIRS 1
#endif

namespace imgpool::detail {

#ifdef IMGPOOL_PAIRS
// GCC 12's AVX-512 headers pass _mm512_undefined_*() as the merge source of unmasked forms,
// which -Wmaybe-uninitialized reports once inlined here: a false alarm (as in pool_2x2.cpp).
#pragma GCC diagnostic push
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
namespace {

using u8 = std::uint8_t;

#define IMGPOOL_PR_AVX2 __attribute__((target("avx2")))
#define IMGPOOL_PR_AVX2_INLINE __attribute__((target("avx2"), always_inline)) inline
#define IMGPOOL_PR_512 __attribute__((target("avx2,avx512f,avx512bw")))
#define IMGPOOL_PR_512_INLINE __attribute__((target("avx2,avx512f,avx512bw"), always_inline)) inline

IMGPOOL_PR_AVX2_INLINE __m256i ld(const u8* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
IMGPOOL_PR_512_INLINE __m512i ld512(const u8* p) { return _mm512_loadu_si512(p); }

template <bool Max>
IMGPOOL_PR_AVX2_INLINE __m256i op(__m256i a, __m256i b) {
    return Max ? _mm256_max_epu8(a, b) : _mm256_min_epu8(a, b);
}
template <bool Max>
IMGPOOL_PR_512_INLINE __m512i op(__m512i a, __m512i b) {
    return Max ? _mm512_max_epu8(a, b) : _mm512_min_epu8(a, b);
}

// The x pass of the y results c (p before them, n after): op of each byte and its
// neighbours 1 to K / 2 pixels (CN bytes each) to the left and right, at most 16 bytes away:
// in-lane byte shifts that take their other lane from one 128-bit lane shift each way.
template <bool Max, int CN, int... D>
IMGPOOL_PR_AVX2_INLINE __m256i x_pass(__m256i lo, __m256i c, __m256i hi, std::integer_sequence<int, D...>) {
    __m256i m = c;
    ((m = op<Max>(m, op<Max>(_mm256_alignr_epi8(c, lo, 16 - (D + 1) * CN), _mm256_alignr_epi8(hi, c, (D + 1) * CN)))), ...);
    return m;
}
template <bool Max, int CN, int K>
IMGPOOL_PR_AVX2_INLINE __m256i xk(__m256i p, __m256i c, __m256i n) {
    static_assert(K / 2 * CN <= 16);
    const __m256i lo = _mm256_permute2x128_si256(p, c, 0x21), hi = _mm256_permute2x128_si256(c, n, 0x21);
    return x_pass<Max, CN>(lo, c, hi, std::make_integer_sequence<int, K / 2>{});
}
template <bool Max, int CN, int... D>
IMGPOOL_PR_512_INLINE __m512i x_pass(__m512i lo, __m512i c, __m512i hi, std::integer_sequence<int, D...>) {
    __m512i m = c;
    ((m = op<Max>(m, op<Max>(_mm512_alignr_epi8(c, lo, 16 - (D + 1) * CN), _mm512_alignr_epi8(hi, c, (D + 1) * CN)))), ...);
    return m;
}
template <bool Max, int CN, int K>
IMGPOOL_PR_512_INLINE __m512i xk(__m512i p, __m512i c, __m512i n) {
    static_assert(K / 2 * CN <= 16);
    const __m512i lo = _mm512_alignr_epi64(c, p, 6), hi = _mm512_alignr_epi64(n, c, 2);
    return x_pass<Max, CN>(lo, c, hi, std::make_integer_sequence<int, K / 2>{});
}

template <bool NT>
IMGPOOL_PR_AVX2_INLINE void put(u8* p, __m256i v) {
    if (NT) _mm256_stream_si256(reinterpret_cast<__m256i*>(p), v);
    else _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
}
template <bool NT>
IMGPOOL_PR_512_INLINE void put(u8* p, __m512i v) {
    if (NT) _mm512_stream_si512(reinterpret_cast<__m512i*>(p), v);
    else _mm512_storeu_si512(p, v);
}

IMGPOOL_PR_AVX2_INLINE void prefetch(const u8* p) { _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0); }

// The K + 1 source rows from begin + shift, the results from begin; n = end - begin.
template <int K>
struct Pass {
    const u8* r[K + 1];
    const u8* ahead[2];
    u8* d0;
    u8* d1;
    std::ptrdiff_t n;

    Pass(const u8* const* rows, const u8* const* next, u8* a, u8* b, std::size_t begin, std::size_t end, std::ptrdiff_t shift)
        : r{}, ahead{}, d0(a + begin), d1(b + begin), n(std::ptrdiff_t(end - begin)) {
        for (int t = 0; t <= K; ++t) r[t] = rows[t] + std::ptrdiff_t(begin) + shift;
        for (int t = 0; t < 2; ++t) ahead[t] = next[t] + std::ptrdiff_t(begin) + shift;
    }
};

template <bool Max, int CN, int K, bool NT0, bool NT1>
IMGPOOL_PR_AVX2 void pairs_avx2(const u8* const* rows, const u8* const* next, u8* a, u8* b, std::size_t begin,
                                std::size_t end, std::ptrdiff_t shift) {
    const Pass<K> s(rows, next, a, b, begin, end, shift);
    // y results of both rows at byte i: the middle rows' op shared
    auto col = [&](std::ptrdiff_t i, __m256i& y0, __m256i& y1) __attribute__((target("avx2"), always_inline)) {
        __m256i m = op<Max>(ld(s.r[1] + i), ld(s.r[2] + i));
        for (int t = 3; t < K; ++t) m = op<Max>(m, ld(s.r[t] + i));
        y0 = op<Max>(ld(s.r[0] + i), m), y1 = op<Max>(m, ld(s.r[K] + i));
    };
    __m256i p0, p1, c0, c1, n0, n1;
    col(-32, p0, p1), col(0, c0, c1);
    for (std::ptrdiff_t i = 0; i < s.n; i += 32) {
        if (i % 64 == 0) prefetch(s.ahead[0] + i), prefetch(s.ahead[1] + i);
        col(i + 32, n0, n1);
        put<NT0>(s.d0 + i, xk<Max, CN, K>(p0, c0, n0));
        put<NT1>(s.d1 + i, xk<Max, CN, K>(p1, c1, n1));
        p0 = c0, p1 = c1, c0 = n0, c1 = n1;
    }
}

template <bool Max, int CN, int K, bool NT0, bool NT1>
IMGPOOL_PR_512 void pairs_avx512(const u8* const* rows, const u8* const* next, u8* a, u8* b, std::size_t begin,
                                 std::size_t end, std::ptrdiff_t shift) {
    const Pass<K> s(rows, next, a, b, begin, end, shift);
    auto col = [&](std::ptrdiff_t i, __m512i& y0, __m512i& y1) __attribute__((target("avx2,avx512f,avx512bw"), always_inline)) {
        __m512i m = op<Max>(ld512(s.r[1] + i), ld512(s.r[2] + i));
        for (int t = 3; t < K; ++t) m = op<Max>(m, ld512(s.r[t] + i));
        y0 = op<Max>(ld512(s.r[0] + i), m), y1 = op<Max>(m, ld512(s.r[K] + i));
    };
    __m512i p0, p1, c0, c1, n0, n1;
    col(-64, p0, p1), col(0, c0, c1);
    for (std::ptrdiff_t i = 0; i < s.n; i += 64) {
        prefetch(s.ahead[0] + i), prefetch(s.ahead[1] + i);
        col(i + 64, n0, n1);
        put<NT0>(s.d0 + i, xk<Max, CN, K>(p0, c0, n0));
        put<NT1>(s.d1 + i, xk<Max, CN, K>(p1, c1, n1));
        p0 = c0, p1 = c1, c0 = n0, c1 = n1;
    }
}

template <bool Max, int CN, int K>
PairsFn pick(PairStores nt, bool avx512) {
    switch (nt) {
    case PairStores::plain: return avx512 ? pairs_avx512<Max, CN, K, false, false> : pairs_avx2<Max, CN, K, false, false>;
    case PairStores::first: return avx512 ? pairs_avx512<Max, CN, K, true, false> : pairs_avx2<Max, CN, K, true, false>;
    default: return avx512 ? pairs_avx512<Max, CN, K, true, true> : pairs_avx2<Max, CN, K, true, true>;
    }
}

template <bool Max, int K>
PairsFn pick(int cn, PairStores nt, bool avx512) {
    switch (cn) {
    case 1: return pick<Max, 1, K>(nt, avx512);
    case 2: return pick<Max, 2, K>(nt, avx512);
    case 3: return pick<Max, 3, K>(nt, avx512);
    case 4: return pick<Max, 4, K>(nt, avx512);
    default: return nullptr;
    }
}

template <bool Max>
PairsFn pick(int k, int cn, PairStores nt, bool avx512) {
    switch (k) {
    case 3: return pick<Max, 3>(cn, nt, avx512);
    case 5: return pick<Max, 5>(cn, nt, avx512);
    case 7: return pick<Max, 7>(cn, nt, avx512);
    case 9: return pick<Max, 9>(cn, nt, avx512);
    default: return nullptr;
    }
}

}  // namespace

PairsFn pairs_kernel(bool max, int k, int cn, PairStores nt, bool avx512) {
    return max ? pick<true>(k, cn, nt, avx512) : pick<false>(k, cn, nt, avx512);
}
#pragma GCC diagnostic pop

#else

PairsFn pairs_kernel(bool, int, int, PairStores, bool) { return nullptr; }

#endif

}  // namespace imgpool::detail
