// The 2x2 stride-2 engine: each output reads one pixel pair from each of two rows, so
// one pass over the input does it. Every value is bit-identical to the generic engine
// (reduce.hpp): same rounding, NaN rule, summation order and sign of zero.
//
// Code paths, chosen at run time (the library is built for baseline x86-64, so the vector
// kernels carry target attributes instead of build flags): AVX-512 (F, BW, VBMI), whose
// two-source permutes serve any channel count with one kernel per depth; AVX2, with a
// shuffle scheme per channel count (1, 2, 4, and 3 for 8-bit and float); portable scalar
// loops for everything else, for other CPUs, and after cv::setUseOptimized(false). Rows
// are split between threads with cv::parallel_for_ when the image is large enough to pay
// for the hand-off.
#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>

#include "engines.hpp"
#include "imgpool/pool.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define IMGPOOL_HAVE_AVX2 1
#include <immintrin.h>
#endif



namespace imgpool::detail {
namespace {

using u8 = std::uint8_t;
using u16 = std::uint16_t;

// avg is split by rounding so that the rule is a compile-time constant in the loops.
enum class Op { max, min, avg_even, avg_up, sum };

template <Op op, typename T>
using Out = std::conditional_t<op == Op::sum, double, T>;

// One output from the cells p q (upper row) and r s (lower row), exactly as reduce() does.
template <Op op, typename T>
inline Out<op, T> cell4(T p, T q, T r, T s) {
    if constexpr (std::is_floating_point_v<T>) {
        // Any NaN gives the canonical quiet NaN, whatever the payload or sign of the input's.
        if (std::isnan(p) || std::isnan(q) || std::isnan(r) || std::isnan(s))
            return std::numeric_limits<Out<op, T>>::quiet_NaN();
        if constexpr (op == Op::max || op == Op::min) {
            // std::max_element / min_element: the first extreme in row-major order, which
            // decides between -0.0 and +0.0.
            T m = p;
            for (T v : {q, r, s})
                if (op == Op::max ? m < v : v < m) m = v;
            return m;
        } else {
            // The generic engine's order: 0 + p + q + r + s in double (the leading 0 turns an
            // all -0.0 window into +0.0).
            double acc = 0;
            acc += p, acc += q, acc += r, acc += s;
            if constexpr (op == Op::sum) return acc;
            else return static_cast<T>(acc / 4);
        }
    } else {
        const unsigned sum = unsigned(p) + q + r + s;  // u16: at most 4 * 65535
        if constexpr (op == Op::max) return std::max(std::max(p, q), std::max(r, s));
        else if constexpr (op == Op::min) return std::min(std::min(p, q), std::min(r, s));
        else if constexpr (op == Op::sum) return double(sum);
        // sum = 4q + rem: ties (rem 2) go up, or to the even q; `(sum >> 2) & 1` is q's parity.
        else if constexpr (op == Op::avg_up) return static_cast<T>((sum + 2) >> 2);
        else return static_cast<T>((sum + 1 + ((sum >> 2) & 1)) >> 2);
    }
}

// Output pixels [x0, w) of one row pair; CN = 0 takes the channel count at run time.
template <Op op, typename T, int CN>
void scalar_row(const T* a, const T* b, Out<op, T>* d, int x0, int w, int cn_rt) {
    const int cn = CN ? CN : cn_rt;
    for (int x = x0; x < w; ++x) {
        const T* pa = a + 2 * cn * x;
        const T* pb = b + 2 * cn * x;
        Out<op, T>* pd = d + cn * x;
        for (int c = 0; c < cn; ++c) pd[c] = cell4<op>(pa[c], pa[c + cn], pb[c], pb[c + cn]);
    }
}

// a, b: input rows 2y and 2y+1; d: output row y; w: output width in pixels.
using RowFn = void (*)(const void* a, const void* b, void* d, int w, int cn);

template <Op op, typename T, int CN>
void row_scalar(const void* a, const void* b, void* d, int w, int cn) {
    scalar_row<op, T, CN>(static_cast<const T*>(a), static_cast<const T*>(b), static_cast<Out<op, T>*>(d), 0, w, cn);
}

#ifdef IMGPOOL_HAVE_AVX2

#define IMGPOOL_AVX2 __attribute__((target("avx2")))
#define IMGPOOL_AVX2_INLINE __attribute__((target("avx2"), always_inline)) inline

// In-lane byte shuffle that puts the two horizontal partners of each sample side by side:
// within each group of 2*CN elements of S bytes, element j comes from j/2 + (j%2)*CN.
// A group must fit a 16-byte lane (CN*S <= 8).
template <int CN, int S>
struct PairMask {
    alignas(32) u8 v[32];
    constexpr PairMask() : v{} {
        for (int i = 0; i < 32; ++i) {
            const int e = (i % 16) / S, g = e / (2 * CN), j = e % (2 * CN);
            v[i] = u8((g * 2 * CN + j / 2 + (j % 2) * CN) * S + i % S);  // pshufb indexes within a lane
        }
    }
};

template <int CN, int S>
IMGPOOL_AVX2_INLINE __m256i pairing() {
    static constexpr PairMask<CN, S> mask{};
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(mask.v));
}

template <Op op>
IMGPOOL_AVX2_INLINE __m256i op_u8(__m256i x, __m256i y) {
    return op == Op::max ? _mm256_max_epu8(x, y) : _mm256_min_epu8(x, y);
}

template <Op op>
IMGPOOL_AVX2_INLINE __m256i op_u16(__m256i x, __m256i y) {
    return op == Op::max ? _mm256_max_epu16(x, y) : _mm256_min_epu16(x, y);
}

// Sums of four cells divided by 4 with the rounding of cell4(), in 16- or 32-bit lanes.
template <Op op>
IMGPOOL_AVX2_INLINE __m256i quarter_16(__m256i s) {
    if constexpr (op == Op::avg_up) return _mm256_srli_epi16(_mm256_add_epi16(s, _mm256_set1_epi16(2)), 2);
    const __m256i one = _mm256_set1_epi16(1);
    const __m256i odd = _mm256_and_si256(_mm256_srli_epi16(s, 2), one);
    return _mm256_srli_epi16(_mm256_add_epi16(_mm256_add_epi16(s, one), odd), 2);
}

template <Op op>
IMGPOOL_AVX2_INLINE __m256i quarter_32(__m256i s) {
    if constexpr (op == Op::avg_up) return _mm256_srli_epi32(_mm256_add_epi32(s, _mm256_set1_epi32(2)), 2);
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(s, 2), one);
    return _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(s, one), odd), 2);
}

// 8 signed 32-bit lanes -> 8 doubles (exact).
IMGPOOL_AVX2_INLINE void store_i32_as_f64(double* d, __m256i v) {
    _mm256_storeu_pd(d, _mm256_cvtepi32_pd(_mm256_castsi256_si128(v)));
    _mm256_storeu_pd(d + 4, _mm256_cvtepi32_pd(_mm256_extracti128_si256(v, 1)));
}

IMGPOOL_AVX2_INLINE __m256i load2x128(const void* lo, const void* hi) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(static_cast<const __m128i*>(lo))),
                                   _mm_loadu_si128(static_cast<const __m128i*>(hi)), 1);
}

IMGPOOL_AVX2_INLINE __m256i loadu(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
IMGPOOL_AVX2_INLINE void storeu(void* p, __m256i v) { _mm256_storeu_si256(static_cast<__m256i*>(p), v); }

// 8-bit, 1, 2 or 4 channels: 64 input bytes per row -> 32 outputs. max/min take the rows'
// extreme first (order is irrelevant for integers), then the partners', in 16-bit lanes;
// avg/sum add partners with maddubs (u8 * 1 + u8 * 1 into 16 bits, at most 510).
// 3 channels: lanes are loaded 12 bytes apart so that each holds two whole pixel pairs
// (max, min, avg; the 3-channel sum is left to the scalar loop).
template <Op op, int CN>
IMGPOOL_AVX2 void row_u8_avx2(const void* va, const void* vb, void* vd, int w, int cn) {
    const u8* a = static_cast<const u8*>(va);
    const u8* b = static_cast<const u8*>(vb);
    Out<op, u8>* d = static_cast<Out<op, u8>*>(vd);
    const int n = w * CN;
    const __m256i ones = _mm256_set1_epi8(1), low_bytes = _mm256_set1_epi16(0x00ff);
    int k = 0;
    if constexpr (CN != 3) {
        const __m256i pair = pairing<CN, 1>();
        for (; k + 32 <= n; k += 32) {
            const u8* pa = a + 2 * k;
            const u8* pb = b + 2 * k;
            __m256i a0 = loadu(pa), a1 = loadu(pa + 32), b0 = loadu(pb), b1 = loadu(pb + 32);
            if constexpr (op == Op::max || op == Op::min) {
                __m256i m0 = op_u8<op>(a0, b0), m1 = op_u8<op>(a1, b1);
                if constexpr (CN != 1) m0 = _mm256_shuffle_epi8(m0, pair), m1 = _mm256_shuffle_epi8(m1, pair);
                m0 = _mm256_and_si256(op_u8<op>(m0, _mm256_srli_epi16(m0, 8)), low_bytes);
                m1 = _mm256_and_si256(op_u8<op>(m1, _mm256_srli_epi16(m1, 8)), low_bytes);
                // packus interleaves the 128-bit lanes of its operands; the permute undoes it.
                storeu(d + k, _mm256_permute4x64_epi64(_mm256_packus_epi16(m0, m1), 0xD8));
            } else {
                if constexpr (CN != 1) {
                    a0 = _mm256_shuffle_epi8(a0, pair), a1 = _mm256_shuffle_epi8(a1, pair);
                    b0 = _mm256_shuffle_epi8(b0, pair), b1 = _mm256_shuffle_epi8(b1, pair);
                }
                __m256i s0 = _mm256_add_epi16(_mm256_maddubs_epi16(a0, ones), _mm256_maddubs_epi16(b0, ones));
                __m256i s1 = _mm256_add_epi16(_mm256_maddubs_epi16(a1, ones), _mm256_maddubs_epi16(b1, ones));
                if constexpr (op == Op::sum) {
                    store_i32_as_f64(d + k, _mm256_cvtepu16_epi32(_mm256_castsi256_si128(s0)));
                    store_i32_as_f64(d + k + 8, _mm256_cvtepu16_epi32(_mm256_extracti128_si256(s0, 1)));
                    store_i32_as_f64(d + k + 16, _mm256_cvtepu16_epi32(_mm256_castsi256_si128(s1)));
                    store_i32_as_f64(d + k + 24, _mm256_cvtepu16_epi32(_mm256_extracti128_si256(s1, 1)));
                } else {
                    s0 = quarter_16<op>(s0), s1 = quarter_16<op>(s1);
                    storeu(d + k, _mm256_permute4x64_epi64(_mm256_packus_epi16(s0, s1), 0xD8));
                }
            }
        }
    } else if constexpr (op != Op::sum) {
        // Per row: 48 bytes (8 pixel pairs) as two vectors of two lanes, pairs 0-1 | 4-5 and
        // 2-3 | 6-7, so that after packing, lane 0 holds outputs 0-11 and lane 1 12-23.
        alignas(32) static constexpr u8 pair3[32] = {0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11, 128, 128, 128, 128,
                                                     0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11, 128, 128, 128, 128};
        alignas(32) static constexpr u8 compact3[32] = {0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 128, 128, 128, 128,
                                                        0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 128, 128, 128, 128};
        const __m256i pair = _mm256_load_si256(reinterpret_cast<const __m256i*>(pair3));
        const __m256i compact = _mm256_load_si256(reinterpret_cast<const __m256i*>(compact3));
        const __m256i dwords = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
        // The 32-byte store writes 8 bytes past the 24 outputs: the next step overwrites them.
        for (; k + 32 <= n; k += 24) {
            const u8* pa = a + 2 * k;
            const u8* pb = b + 2 * k;
            __m256i a0 = load2x128(pa, pa + 24), a1 = load2x128(pa + 12, pa + 36);
            __m256i b0 = load2x128(pb, pb + 24), b1 = load2x128(pb + 12, pb + 36);
            __m256i h0, h1;
            if constexpr (op == Op::max || op == Op::min) {
                h0 = _mm256_shuffle_epi8(op_u8<op>(a0, b0), pair);
                h1 = _mm256_shuffle_epi8(op_u8<op>(a1, b1), pair);
                h0 = _mm256_and_si256(op_u8<op>(h0, _mm256_srli_epi16(h0, 8)), low_bytes);
                h1 = _mm256_and_si256(op_u8<op>(h1, _mm256_srli_epi16(h1, 8)), low_bytes);
            } else {
                a0 = _mm256_shuffle_epi8(a0, pair), a1 = _mm256_shuffle_epi8(a1, pair);
                b0 = _mm256_shuffle_epi8(b0, pair), b1 = _mm256_shuffle_epi8(b1, pair);
                h0 = quarter_16<op>(_mm256_add_epi16(_mm256_maddubs_epi16(a0, ones), _mm256_maddubs_epi16(b0, ones)));
                h1 = quarter_16<op>(_mm256_add_epi16(_mm256_maddubs_epi16(a1, ones), _mm256_maddubs_epi16(b1, ones)));
            }
            const __m256i packed = _mm256_shuffle_epi8(_mm256_packus_epi16(h0, h1), compact);
            storeu(d + k, _mm256_permutevar8x32_epi32(packed, dwords));
        }
    }
    (void)cn;
    scalar_row<op, u8, CN>(a, b, d, k / CN, w, CN);
}

// Sums of adjacent 16-bit partners, in 32-bit lanes.
IMGPOOL_AVX2_INLINE __m256i partners_u16(__m256i v) {
    return _mm256_add_epi32(_mm256_and_si256(v, _mm256_set1_epi32(0xffff)), _mm256_srli_epi32(v, 16));
}

// 16-bit, 1, 2 or 4 channels: 32 input samples per row -> 16 outputs, in 32-bit lanes.
template <Op op, int CN>
IMGPOOL_AVX2 void row_u16_avx2(const void* va, const void* vb, void* vd, int w, int cn) {
    const u16* a = static_cast<const u16*>(va);
    const u16* b = static_cast<const u16*>(vb);
    Out<op, u16>* d = static_cast<Out<op, u16>*>(vd);
    const int n = w * CN;
    const __m256i pair = pairing<CN, 2>(), low_half = _mm256_set1_epi32(0xffff);
    int k = 0;
    for (; k + 16 <= n; k += 16) {
        const u16* pa = a + 2 * k;
        const u16* pb = b + 2 * k;
        __m256i a0 = loadu(pa), a1 = loadu(pa + 16), b0 = loadu(pb), b1 = loadu(pb + 16);
        if constexpr (op == Op::max || op == Op::min) {
            __m256i m0 = op_u16<op>(a0, b0), m1 = op_u16<op>(a1, b1);
            if constexpr (CN != 1) m0 = _mm256_shuffle_epi8(m0, pair), m1 = _mm256_shuffle_epi8(m1, pair);
            m0 = _mm256_and_si256(op_u16<op>(m0, _mm256_srli_epi32(m0, 16)), low_half);
            m1 = _mm256_and_si256(op_u16<op>(m1, _mm256_srli_epi32(m1, 16)), low_half);
            storeu(d + k, _mm256_permute4x64_epi64(_mm256_packus_epi32(m0, m1), 0xD8));
        } else {
            if constexpr (CN != 1) {
                a0 = _mm256_shuffle_epi8(a0, pair), a1 = _mm256_shuffle_epi8(a1, pair);
                b0 = _mm256_shuffle_epi8(b0, pair), b1 = _mm256_shuffle_epi8(b1, pair);
            }
            __m256i s0 = _mm256_add_epi32(partners_u16(a0), partners_u16(b0));
            __m256i s1 = _mm256_add_epi32(partners_u16(a1), partners_u16(b1));
            if constexpr (op == Op::sum) {
                store_i32_as_f64(d + k, s0);
                store_i32_as_f64(d + k + 8, s1);
            } else {
                s0 = quarter_32<op>(s0), s1 = quarter_32<op>(s1);
                storeu(d + k, _mm256_permute4x64_epi64(_mm256_packus_epi32(s0, s1), 0xD8));
            }
        }
    }
    (void)cn;
    scalar_row<op, u16, CN>(a, b, d, k / CN, w, CN);
}

// Splits 16 consecutive floats of a row into the 8 left (e) and 8 right (o) partners. For
// 1 and 2 channels the outputs come out in the 64-bit-chunk order 0 2 1 3 (fixed by
// unsplit); for 4 channels in order.
template <int CN>
IMGPOOL_AVX2_INLINE void split(__m256 v0, __m256 v1, __m256& e, __m256& o) {
    if constexpr (CN == 1) {
        e = _mm256_shuffle_ps(v0, v1, 0x88), o = _mm256_shuffle_ps(v0, v1, 0xDD);
    } else if constexpr (CN == 2) {
        e = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(v0), _mm256_castps_pd(v1)));
        o = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(v0), _mm256_castps_pd(v1)));
    } else {
        e = _mm256_permute2f128_ps(v0, v1, 0x20), o = _mm256_permute2f128_ps(v0, v1, 0x31);
    }
}

template <int CN>
IMGPOOL_AVX2_INLINE __m256 unsplit(__m256 r) {
    if constexpr (CN == 4) return r;
    else return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(r), 0xD8));
}

// The reductions on partners already split: e/o of the upper row (p q), of the lower (r s).
// max_ps(x, m) is `m < x ? x : m` (it keeps m on ties and NaN): max_element's rule.
template <Op op>
IMGPOOL_AVX2_INLINE __m256 extreme(__m256 p, __m256 q, __m256 r, __m256 s) {
    if constexpr (op == Op::max) return _mm256_max_ps(s, _mm256_max_ps(r, _mm256_max_ps(q, p)));
    else return _mm256_min_ps(s, _mm256_min_ps(r, _mm256_min_ps(q, p)));
}

template <Op op>
IMGPOOL_AVX2_INLINE __m128 extreme(__m128 p, __m128 q, __m128 r, __m128 s) {
    if constexpr (op == Op::max) return _mm_max_ps(s, _mm_max_ps(r, _mm_max_ps(q, p)));
    else return _mm_min_ps(s, _mm_min_ps(r, _mm_min_ps(q, p)));
}

// ((p + q) + r) + s in double: the generic engine's order. It starts from +0; callers add
// +0.0 to the result instead, which changes nothing but an all -0.0 window's sign.
IMGPOOL_AVX2_INLINE __m256d sum4(__m128 p, __m128 q, __m128 r, __m128 s) {
    const __m256d t = _mm256_add_pd(_mm256_add_pd(_mm256_cvtps_pd(p), _mm256_cvtps_pd(q)), _mm256_cvtps_pd(r));
    return _mm256_add_pd(t, _mm256_cvtps_pd(s));
}

IMGPOOL_AVX2_INLINE __m128 lo(__m256 v) { return _mm256_castps256_ps128(v); }
IMGPOOL_AVX2_INLINE __m128 hi(__m256 v) { return _mm256_extractf128_ps(v, 1); }

// All-ones 64-bit lanes where one of the four float cells is NaN.
IMGPOOL_AVX2_INLINE __m256d nan_mask_pd(__m128 p, __m128 q, __m128 r, __m128 t) {
    const __m128 m = _mm_or_ps(_mm_cmp_ps(p, q, _CMP_UNORD_Q), _mm_cmp_ps(r, t, _CMP_UNORD_Q));
    return _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm_castps_si128(m)));
}

// 32-bit float, 1, 2 or 4 channels: 16 input floats per row -> 8 outputs. 3 channels: one
// pixel pair per step in 128-bit halves (the fourth lane belongs to the next pixel).
template <Op op, int CN>
IMGPOOL_AVX2 void row_f32_avx2(const void* va, const void* vb, void* vd, int w, int cn) {
    const float* a = static_cast<const float*>(va);
    const float* b = static_cast<const float*>(vb);
    Out<op, float>* d = static_cast<Out<op, float>*>(vd);
    const int n = w * CN;
    const __m256 qnan = _mm256_set1_ps(std::numeric_limits<float>::quiet_NaN());
    const __m256d qnan_d = _mm256_set1_pd(std::numeric_limits<double>::quiet_NaN());
    const __m256d quarter = _mm256_set1_pd(0.25), zero_d = _mm256_setzero_pd();
    int k = 0;
    if constexpr (CN != 3) {
        for (; k + 8 <= n; k += 8) {
            const float* pa = a + 2 * k;
            const float* pb = b + 2 * k;
            __m256 p, q, r, s;
            split<CN>(_mm256_loadu_ps(pa), _mm256_loadu_ps(pa + 8), p, q);
            split<CN>(_mm256_loadu_ps(pb), _mm256_loadu_ps(pb + 8), r, s);
            const __m256 nan = _mm256_or_ps(_mm256_cmp_ps(p, q, _CMP_UNORD_Q), _mm256_cmp_ps(r, s, _CMP_UNORD_Q));
            if constexpr (op == Op::max || op == Op::min) {
                _mm256_storeu_ps(d + k, unsplit<CN>(_mm256_blendv_ps(extreme<op>(p, q, r, s), qnan, nan)));
            } else {
                const __m256d s_lo = sum4(lo(p), lo(q), lo(r), lo(s)), s_hi = sum4(hi(p), hi(q), hi(r), hi(s));
                if constexpr (op == Op::sum) {
                    const __m256d n_lo = nan_mask_pd(lo(p), lo(q), lo(r), lo(s));
                    const __m256d n_hi = nan_mask_pd(hi(p), hi(q), hi(r), hi(s));
                    const __m256d r_lo = _mm256_blendv_pd(_mm256_add_pd(s_lo, zero_d), qnan_d, n_lo);
                    const __m256d r_hi = _mm256_blendv_pd(_mm256_add_pd(s_hi, zero_d), qnan_d, n_hi);
                    if constexpr (CN == 4) {
                        _mm256_storeu_pd(d + k, r_lo), _mm256_storeu_pd(d + k + 4, r_hi);
                    } else {  // r_lo holds outputs 0 1 4 5, r_hi 2 3 6 7
                        _mm256_storeu_pd(d + k, _mm256_permute2f128_pd(r_lo, r_hi, 0x20));
                        _mm256_storeu_pd(d + k + 4, _mm256_permute2f128_pd(r_lo, r_hi, 0x31));
                    }
                } else {
                    // x * 0.25 is x / 4 exactly in double; one rounding to float, as static_cast.
                    __m256 avg = _mm256_set_m128(_mm256_cvtpd_ps(_mm256_mul_pd(s_hi, quarter)),
                                                 _mm256_cvtpd_ps(_mm256_mul_pd(s_lo, quarter)));
                    avg = _mm256_add_ps(avg, _mm256_setzero_ps());
                    _mm256_storeu_ps(d + k, unsplit<CN>(_mm256_blendv_ps(avg, qnan, nan)));
                }
            }
        }
    } else {
        // Pixel pair x reads floats 6x .. 6x+6 and writes outputs 3x .. 3x+3: all pairs but
        // the last stay inside the row.
        for (; k + 3 < n; k += 3) {
            const float* pa = a + 2 * k;
            const float* pb = b + 2 * k;
            const __m128 p = _mm_loadu_ps(pa), q = _mm_loadu_ps(pa + 3), r = _mm_loadu_ps(pb), s = _mm_loadu_ps(pb + 3);
            const __m128 nan = _mm_or_ps(_mm_cmp_ps(p, q, _CMP_UNORD_Q), _mm_cmp_ps(r, s, _CMP_UNORD_Q));
            if constexpr (op == Op::max || op == Op::min) {
                _mm_storeu_ps(d + k, _mm_blendv_ps(extreme<op>(p, q, r, s), _mm256_castps256_ps128(qnan), nan));
            } else if constexpr (op == Op::sum) {
                const __m256d sum = _mm256_add_pd(sum4(p, q, r, s), zero_d);
                _mm256_storeu_pd(d + k, _mm256_blendv_pd(sum, qnan_d, nan_mask_pd(p, q, r, s)));
            } else {
                const __m128 avg = _mm_add_ps(_mm256_cvtpd_ps(_mm256_mul_pd(sum4(p, q, r, s), quarter)), _mm_setzero_ps());
                _mm_storeu_ps(d + k, _mm_blendv_ps(avg, _mm256_castps256_ps128(qnan), nan));
            }
        }
    }
    (void)cn;
    scalar_row<op, float, CN>(a, b, d, k / CN, w, CN);
}

// ---- AVX-512 (F, BW, VBMI: Ice Lake, Zen 4 and later). Two-source permutes pick any
// cells out of two vectors, so one kernel per depth serves every channel count: a step
// reads two vectors of V cells per row and writes K = V - V % CN outputs (whole pixels).
// Row ends use masked loads and stores instead of scalar code.
// GCC 12's AVX-512 headers pass _mm512_undefined_*() as the merge source of unmasked forms
// (_mm512_max_ps...), which -Wmaybe-uninitialized reports once inlined here: a false alarm.
#pragma GCC diagnostic push
#if !defined(__clang__)  // clang has no such warning
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define IMGPOOL_AVX512 __attribute__((target("avx512f,avx512bw,avx512vbmi")))
#define IMGPOOL_AVX512_INLINE __attribute__((target("avx512f,avx512bw,avx512vbmi"), always_inline)) inline

// Permute indexes into the 2V cells of a row's two vectors: output j takes cells e[j] and
// o[j] = e[j] + CN; p_lo / p_hi put those two side by side for outputs 0..V/2-1 / V/2..V-1.
template <typename I, int CN, int V>
struct Steps {
    static constexpr int K = V - V % CN;
    alignas(64) I e[V], o[V], p_lo[V], p_hi[V];
    constexpr Steps() : e{}, o{}, p_lo{}, p_hi{} {
        auto left = [](int j) { return j < K ? 2 * j - j % CN : 0; };
        for (int j = 0; j < V; ++j) {
            e[j] = I(left(j)), o[j] = I(j < K ? left(j) + CN : 0);
            const int lo = j / 2, hi = V / 2 + j / 2, side = (j % 2) * CN;
            p_lo[j] = I(lo < K ? left(lo) + side : 0);
            p_hi[j] = I(hi < K ? left(hi) + side : 0);
        }
    }
};

// Index j -> 2j: the low halves of two vectors of wider lanes, in order (packing).
template <typename I, int V>
struct Evens {
    alignas(64) I v[V];
    constexpr Evens() : v{} {
        for (int j = 0; j < V; ++j) v[j] = I(2 * j);
    }
};

IMGPOOL_AVX512_INLINE __m512i load_table(const void* p) { return _mm512_load_si512(p); }

// The first n bits set (n may be <= 0 or >= the width).
IMGPOOL_AVX512_INLINE __mmask64 bits64(int n) { return n >= 64 ? ~__mmask64(0) : n <= 0 ? 0 : (__mmask64(1) << n) - 1; }
IMGPOOL_AVX512_INLINE __mmask32 bits32(int n) { return __mmask32(bits64(n < 32 ? n : 32)); }
IMGPOOL_AVX512_INLINE __mmask16 bits16(int n) { return __mmask16(bits64(n < 16 ? n : 16)); }
IMGPOOL_AVX512_INLINE __mmask8 bits8(int n) { return __mmask8(bits64(n < 8 ? n : 8)); }

// 8 doubles to d; in a tail step only the first `valid`.
template <bool Tail>
IMGPOOL_AVX512_INLINE void store8_pd(double* d, __m512d v, int valid) {
    if constexpr (Tail) _mm512_mask_storeu_pd(d, bits8(valid), v);
    else _mm512_storeu_pd(d, v);
}

// 16 unsigned 32-bit lanes -> 16 doubles at d (`valid` of them in a tail step).
template <bool Tail>
IMGPOOL_AVX512_INLINE void store16_u32_as_f64(double* d, __m512i v, int valid) {
    store8_pd<Tail>(d, _mm512_cvtepu32_pd(_mm512_castsi512_si256(v)), valid);
    store8_pd<Tail>(d + 8, _mm512_cvtepu32_pd(_mm512_extracti64x4_epi64(v, 1)), valid - 8);
}

template <Op op>
IMGPOOL_AVX512_INLINE __m512i op_u8x(__m512i x, __m512i y) {
    return op == Op::max ? _mm512_max_epu8(x, y) : _mm512_min_epu8(x, y);
}

template <Op op>
IMGPOOL_AVX512_INLINE __m512i op_u16x(__m512i x, __m512i y) {
    return op == Op::max ? _mm512_max_epu16(x, y) : _mm512_min_epu16(x, y);
}

// Sums of adjacent 16-bit partners, in 32-bit lanes.
IMGPOOL_AVX512_INLINE __m512i partners(__m512i v) {
    return _mm512_add_epi32(_mm512_and_si512(v, _mm512_set1_epi32(0xffff)), _mm512_srli_epi32(v, 16));
}

template <Op op>
IMGPOOL_AVX512_INLINE __m512i quarter_32x(__m512i s) {
    if constexpr (op == Op::avg_up) return _mm512_srli_epi32(_mm512_add_epi32(s, _mm512_set1_epi32(2)), 2);
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(s, 2), one);
    return _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(s, one), odd), 2);
}

// The rounded mean of a b c d in each byte, exactly (sum + 2) >> 2 or ties to even, without
// widening, from u = avg(a, b) and v = avg(c, d) (vpavgb's round-up halvings) and ab = a ^ b,
// cd = c ^ d (bit 0: the pairs' parities). w = avg(u, v) may over-count by one bit, taken
// back: with T = u + v, w = ceil(T / 2) is one too many when T is odd and a + b or c + d was
// odd (their halvings rounded up); a tie (sum = 2 mod 4) has a + b and c + d of equal parity
// and T odd exactly when they are even, and then w is the value rounded up. Checked against
// the sum for all 2^32 inputs once; tests/test_2x2.cpp runs every upper pair.
template <Op op>
IMGPOOL_AVX512_INLINE __m512i avg4_halves(__m512i u, __m512i v, __m512i ab, __m512i cd) {
    const __m512i w = _mm512_avg_epu8(u, v), t_odd = _mm512_xor_si512(u, v);
    // 0xE0: x & (y | z)
    __m512i over = _mm512_ternarylogic_epi32(t_odd, ab, cd, 0xE0);
    if constexpr (op == Op::avg_even) {
        // tie = ~(ab ^ cd) & (t_odd ^ ab); a tie whose w is odd rounds down to even.
        const __m512i tie = _mm512_andnot_si512(_mm512_xor_si512(ab, cd), _mm512_xor_si512(t_odd, ab));
        over = _mm512_ternarylogic_epi32(over, tie, w, 0xF8);  // 0xF8: x | (y & z)
    }
    return _mm512_sub_epi8(w, _mm512_and_si512(over, _mm512_set1_epi8(1)));
}

// One step of 8-bit output k.. (count outputs; count = K except in the tail).
template <Op op, int CN, bool Tail>
IMGPOOL_AVX512_INLINE void step_u8(const u8* a, const u8* b, Out<op, u8>* d, int k, int count) {
    using S = Steps<u8, CN, 64>;
    static constexpr S t{};
    const u8* pa = a + 2 * k;
    const u8* pb = b + 2 * k;
    __m512i a0, a1, b0, b1;
    if constexpr (Tail) {
        const __mmask64 m0 = bits64(2 * count), m1 = bits64(2 * count - 64);
        a0 = _mm512_maskz_loadu_epi8(m0, pa), a1 = _mm512_maskz_loadu_epi8(m1, pa + 64);
        b0 = _mm512_maskz_loadu_epi8(m0, pb), b1 = _mm512_maskz_loadu_epi8(m1, pb + 64);
    } else {
        a0 = _mm512_loadu_si512(pa), a1 = _mm512_loadu_si512(pa + 64);
        b0 = _mm512_loadu_si512(pb), b1 = _mm512_loadu_si512(pb + 64);
    }
    // Asking for the lines 4 KiB ahead keeps more cache misses in flight than the hardware
    // prefetcher and the out-of-order window do alone (1-12 KiB tried): from memory the
    // average took a fifth less time, max up to a tenth, and both less in L3. The average,
    // with more work per line, also asks for them into L2 12 KiB ahead: 2-4% less time from
    // memory, as fast as max there (8, 16 and 20 KiB: slower; max with it: 0-3% slower).
    if constexpr (!Tail && op != Op::sum) {
        constexpr int ahead = 4096;
        for (const u8* row : {pa, pb}) {
            _mm_prefetch(reinterpret_cast<const char*>(row) + ahead, _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char*>(row) + ahead + 64, _MM_HINT_T0);
            if constexpr (op == Op::avg_up || op == Op::avg_even) {
                _mm_prefetch(reinterpret_cast<const char*>(row) + 3 * ahead, _MM_HINT_T1);
                _mm_prefetch(reinterpret_cast<const char*>(row) + 3 * ahead + 64, _MM_HINT_T1);
            }
        }
    }
    __m512i r;
    if constexpr (op == Op::max || op == Op::min) {
        const __m512i m0 = op_u8x<op>(a0, b0), m1 = op_u8x<op>(a1, b1);
        r = op_u8x<op>(_mm512_permutex2var_epi8(m0, load_table(t.e), m1), _mm512_permutex2var_epi8(m0, load_table(t.o), m1));
    } else if constexpr (op == Op::avg_up || op == Op::avg_even) {
        // Rows first: each byte's vertical pair halved (and its parity) in place, then the
        // permutes bring each output's left and right pairs together. Half the loads and
        // arithmetic of pairing along the row first (4K, from L3: 0.72 -> 0.53 ms, as max).
        const __m512i e = load_table(t.e), o = load_table(t.o);
        // Each vector is used twice; without this GCC loads it twice, into both uses.
        asm("" : "+v"(a0), "+v"(a1), "+v"(b0), "+v"(b1));
        const __m512i u0 = _mm512_avg_epu8(a0, b0), u1 = _mm512_avg_epu8(a1, b1);
        const __m512i x0 = _mm512_xor_si512(a0, b0), x1 = _mm512_xor_si512(a1, b1);
        r = avg4_halves<op>(_mm512_permutex2var_epi8(u0, e, u1), _mm512_permutex2var_epi8(u0, o, u1),
                            _mm512_permutex2var_epi8(x0, e, x1), _mm512_permutex2var_epi8(x0, o, x1));
    } else {  // sum: partner sums in 16 bits (maddubs: u8 * 1 + u8 * 1), stored as doubles
        const __m512i lo = load_table(t.p_lo), hi = load_table(t.p_hi), ones = _mm512_set1_epi8(1);
        const __m512i s_lo = _mm512_add_epi16(_mm512_maddubs_epi16(_mm512_permutex2var_epi8(a0, lo, a1), ones),
                                              _mm512_maddubs_epi16(_mm512_permutex2var_epi8(b0, lo, b1), ones));
        const __m512i s_hi = _mm512_add_epi16(_mm512_maddubs_epi16(_mm512_permutex2var_epi8(a0, hi, a1), ones),
                                              _mm512_maddubs_epi16(_mm512_permutex2var_epi8(b0, hi, b1), ones));
        int i = 0;
        for (__m512i s : {s_lo, s_hi}) {
            store16_u32_as_f64<Tail>(d + k + i, _mm512_cvtepu16_epi32(_mm512_castsi512_si256(s)), count - i);
            store16_u32_as_f64<Tail>(d + k + i + 16, _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(s, 1)), count - i - 16);
            i += 32;
        }
        return;
    }
    if constexpr (Tail) _mm512_mask_storeu_epi8(d + k, bits64(count), r);
    else _mm512_storeu_si512(d + k, r);
}

// One step of 16-bit output: as 8-bit, with 32 lanes and partner sums in 32 bits.
template <Op op, int CN, bool Tail>
IMGPOOL_AVX512_INLINE void step_u16(const u16* a, const u16* b, Out<op, u16>* d, int k, int count) {
    using S = Steps<u16, CN, 32>;
    static constexpr S t{};
    static constexpr Evens<u16, 32> evens{};
    const u16* pa = a + 2 * k;
    const u16* pb = b + 2 * k;
    __m512i a0, a1, b0, b1;
    if constexpr (Tail) {
        const __mmask32 m0 = bits32(2 * count), m1 = bits32(2 * count - 32);
        a0 = _mm512_maskz_loadu_epi16(m0, pa), a1 = _mm512_maskz_loadu_epi16(m1, pa + 32);
        b0 = _mm512_maskz_loadu_epi16(m0, pb), b1 = _mm512_maskz_loadu_epi16(m1, pb + 32);
    } else {
        a0 = _mm512_loadu_si512(pa), a1 = _mm512_loadu_si512(pa + 32);
        b0 = _mm512_loadu_si512(pb), b1 = _mm512_loadu_si512(pb + 32);
    }
    __m512i r;
    if constexpr (op == Op::max || op == Op::min) {
        const __m512i m0 = op_u16x<op>(a0, b0), m1 = op_u16x<op>(a1, b1);
        r = op_u16x<op>(_mm512_permutex2var_epi16(m0, load_table(t.e), m1), _mm512_permutex2var_epi16(m0, load_table(t.o), m1));
    } else {
        const __m512i lo = load_table(t.p_lo), hi = load_table(t.p_hi);
        const __m512i s_lo = _mm512_add_epi32(partners(_mm512_permutex2var_epi16(a0, lo, a1)),
                                              partners(_mm512_permutex2var_epi16(b0, lo, b1)));
        const __m512i s_hi = _mm512_add_epi32(partners(_mm512_permutex2var_epi16(a0, hi, a1)),
                                              partners(_mm512_permutex2var_epi16(b0, hi, b1)));
        if constexpr (op == Op::sum) {
            store16_u32_as_f64<Tail>(d + k, s_lo, count);
            store16_u32_as_f64<Tail>(d + k + 16, s_hi, count - 16);
            return;
        } else {
            r = _mm512_permutex2var_epi16(quarter_32x<op>(s_lo), load_table(evens.v), quarter_32x<op>(s_hi));
        }
    }
    if constexpr (op != Op::sum) {
        if constexpr (Tail) _mm512_mask_storeu_epi16(d + k, bits32(count), r);
        else _mm512_storeu_si512(d + k, r);
    }
}

IMGPOOL_AVX512_INLINE __m256 upper(__m512 v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }

// ((p + q) + r) + s in double, the generic engine's order.
IMGPOOL_AVX512_INLINE __m512d sum4x(__m256 p, __m256 q, __m256 r, __m256 s) {
    const __m512d t = _mm512_add_pd(_mm512_add_pd(_mm512_cvtps_pd(p), _mm512_cvtps_pd(q)), _mm512_cvtps_pd(r));
    return _mm512_add_pd(t, _mm512_cvtps_pd(s));
}

// One step of float output: partners are split per row first (the order of the cells
// decides ties between -0.0 and +0.0), NaN handled by mask.
template <Op op, int CN, bool Tail>
IMGPOOL_AVX512_INLINE void step_f32(const float* a, const float* b, Out<op, float>* d, int k, int count) {
    using S = Steps<std::uint32_t, CN, 16>;
    static constexpr S t{};
    const float* pa = a + 2 * k;
    const float* pb = b + 2 * k;
    __m512 a0, a1, b0, b1;
    if constexpr (Tail) {
        const __mmask16 m0 = bits16(2 * count), m1 = bits16(2 * count - 16);
        a0 = _mm512_maskz_loadu_ps(m0, pa), a1 = _mm512_maskz_loadu_ps(m1, pa + 16);
        b0 = _mm512_maskz_loadu_ps(m0, pb), b1 = _mm512_maskz_loadu_ps(m1, pb + 16);
    } else {
        a0 = _mm512_loadu_ps(pa), a1 = _mm512_loadu_ps(pa + 16);
        b0 = _mm512_loadu_ps(pb), b1 = _mm512_loadu_ps(pb + 16);
    }
    const __m512i e = load_table(t.e), o = load_table(t.o);
    const __m512 p = _mm512_permutex2var_ps(a0, e, a1), q = _mm512_permutex2var_ps(a0, o, a1);
    const __m512 r = _mm512_permutex2var_ps(b0, e, b1), s = _mm512_permutex2var_ps(b0, o, b1);
    const __mmask16 nan = __mmask16(_mm512_cmp_ps_mask(p, q, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(r, s, _CMP_UNORD_Q));
    __m512 res;
    if constexpr (op == Op::max) {
        res = _mm512_max_ps(s, _mm512_max_ps(r, _mm512_max_ps(q, p)));  // max_element's order, as extreme()
    } else if constexpr (op == Op::min) {
        res = _mm512_min_ps(s, _mm512_min_ps(r, _mm512_min_ps(q, p)));
    } else {
        const __m512d lo = sum4x(_mm512_castps512_ps256(p), _mm512_castps512_ps256(q), _mm512_castps512_ps256(r),
                                 _mm512_castps512_ps256(s));
        const __m512d hi = sum4x(upper(p), upper(q), upper(r), upper(s));
        if constexpr (op == Op::sum) {
            const __m512d qnan = _mm512_set1_pd(std::numeric_limits<double>::quiet_NaN()), zero = _mm512_setzero_pd();
            store8_pd<Tail>(d + k, _mm512_mask_mov_pd(_mm512_add_pd(lo, zero), __mmask8(nan), qnan), count);
            store8_pd<Tail>(d + k + 8, _mm512_mask_mov_pd(_mm512_add_pd(hi, zero), __mmask8(nan >> 8), qnan), count - 8);
            return;
        } else {
            const __m512d quarter = _mm512_set1_pd(0.25);
            const __m256 lo_f = _mm512_cvtpd_ps(_mm512_mul_pd(lo, quarter)), hi_f = _mm512_cvtpd_ps(_mm512_mul_pd(hi, quarter));
            res = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo_f)), _mm256_castps_pd(hi_f), 1));
            res = _mm512_add_ps(res, _mm512_setzero_ps());  // -0.0 -> +0.0, as in sum4()
        }
    }
    if constexpr (op != Op::sum) {
        res = _mm512_mask_mov_ps(res, nan, _mm512_set1_ps(std::numeric_limits<float>::quiet_NaN()));
        if constexpr (Tail) _mm512_mask_storeu_ps(d + k, bits16(count), res);
        else _mm512_storeu_ps(d + k, res);
    }
}

// Full steps while both vectors of each row and the V-output store stay in the row (two
// per iteration: about 15% faster on a 4K image, the loads of one overlapping the
// arithmetic of the other), then masked steps.
#define IMGPOOL_ROW_AVX512(NAME, T, STEP, V)                                                       \
    template <Op op, int CN>                                                                       \
    IMGPOOL_AVX512 void NAME(const void* va, const void* vb, void* vd, int w, int) {               \
        const T* a = static_cast<const T*>(va);                                                    \
        const T* b = static_cast<const T*>(vb);                                                    \
        Out<op, T>* d = static_cast<Out<op, T>*>(vd);                                              \
        constexpr int K = V - V % CN;                                                              \
        const int n = w * CN;                                                                      \
        int k = 0;                                                                                 \
        for (; k + K + V <= n; k += 2 * K) {                                                   \
            STEP<op, CN, false>(a, b, d, k, K);                                                    \
            STEP<op, CN, false>(a, b, d, k + K, K);                                                \
        }                                                                                          \
        for (; k + V <= n; k += K) STEP<op, CN, false>(a, b, d, k, K);                         \
        for (; k < n; k += K) STEP<op, CN, true>(a, b, d, k, n - k < K ? n - k : K);              \
    }
IMGPOOL_ROW_AVX512(row_u8_avx512, u8, step_u8, 64)
IMGPOOL_ROW_AVX512(row_u16_avx512, u16, step_u16, 32)
IMGPOOL_ROW_AVX512(row_f32_avx512, float, step_f32, 16)
#undef IMGPOOL_ROW_AVX512

template <Op op>
RowFn avx512_row(int depth, int cn) {
    switch (depth * 8 + cn) {
    case CV_8U * 8 + 1: return row_u8_avx512<op, 1>;
    case CV_8U * 8 + 2: return row_u8_avx512<op, 2>;
    case CV_8U * 8 + 3: return row_u8_avx512<op, 3>;
    case CV_8U * 8 + 4: return row_u8_avx512<op, 4>;
    case CV_16U * 8 + 1: return row_u16_avx512<op, 1>;
    case CV_16U * 8 + 2: return row_u16_avx512<op, 2>;
    case CV_16U * 8 + 3: return row_u16_avx512<op, 3>;
    case CV_16U * 8 + 4: return row_u16_avx512<op, 4>;
    case CV_32F * 8 + 1: return row_f32_avx512<op, 1>;
    case CV_32F * 8 + 2: return row_f32_avx512<op, 2>;
    case CV_32F * 8 + 3: return row_f32_avx512<op, 3>;
    case CV_32F * 8 + 4: return row_f32_avx512<op, 4>;
    default: return nullptr;
    }
}
#pragma GCC diagnostic pop

template <Op op>
RowFn avx2_row(int depth, int cn) {
    if (depth == CV_8U) {
        switch (cn) {
        case 1: return row_u8_avx2<op, 1>;
        case 2: return row_u8_avx2<op, 2>;
        case 3: return row_u8_avx2<op, 3>;
        case 4: return row_u8_avx2<op, 4>;
        default: return nullptr;
        }
    }
    if (depth == CV_16U) {
        switch (cn) {
        case 1: return row_u16_avx2<op, 1>;
        case 2: return row_u16_avx2<op, 2>;
        case 4: return row_u16_avx2<op, 4>;
        default: return nullptr;
        }
    }
    switch (cn) {
    case 1: return row_f32_avx2<op, 1>;
    case 2: return row_f32_avx2<op, 2>;
    case 3: return row_f32_avx2<op, 3>;
    case 4: return row_f32_avx2<op, 4>;
    default: return nullptr;
    }
}

#endif  // IMGPOOL_HAVE_AVX2

template <Op op, typename T>
RowFn scalar_row_fn(int cn) {
    switch (cn) {
    case 1: return row_scalar<op, T, 1>;
    case 2: return row_scalar<op, T, 2>;
    case 3: return row_scalar<op, T, 3>;
    case 4: return row_scalar<op, T, 4>;
    default: return row_scalar<op, T, 0>;
    }
}

// The widest instruction set both the CPU and the caller allow: cv::setUseOptimized(false)
// means scalar code; IMGPOOL_2X2_ISA=scalar|avx2 caps it (for tests and comparisons).
enum class Isa { scalar, avx2, avx512 };

Isa usable_isa() {
    if (!cv::useOptimized()) return Isa::scalar;
#ifdef IMGPOOL_HAVE_AVX2
    static const Isa hardware = cv::checkHardwareSupport(CV_CPU_AVX_512F) && cv::checkHardwareSupport(CV_CPU_AVX_512BW) &&
                                        cv::checkHardwareSupport(CV_CPU_AVX_512VBMI)
                                    ? Isa::avx512
                                : cv::checkHardwareSupport(CV_CPU_AVX2) ? Isa::avx2
                                                                        : Isa::scalar;
    const char* cap = std::getenv("IMGPOOL_2X2_ISA");
    if (cap && std::strcmp(cap, "scalar") == 0) return Isa::scalar;
    if (cap && std::strcmp(cap, "avx2") == 0) return std::min(hardware, Isa::avx2);
    return hardware;
#else
    return Isa::scalar;
#endif
}

template <Op op>
RowFn select_row(int depth, int cn) {
#ifdef IMGPOOL_HAVE_AVX2
    const Isa isa = usable_isa();
    if (isa >= Isa::avx512)
        if (RowFn f = avx512_row<op>(depth, cn)) return f;
    if (isa >= Isa::avx2)
        if (RowFn f = avx2_row<op>(depth, cn)) return f;
#endif
    switch (depth) {
    case CV_8U: return scalar_row_fn<op, u8>(cn);
    case CV_16U: return scalar_row_fn<op, u16>(cn);
    default: return scalar_row_fn<op, float>(cn);
    }
}

RowFn select_row(PoolType type, Rounding rounding, int depth, int cn) {
    switch (type) {
    case PoolType::max: return select_row<Op::max>(depth, cn);
    case PoolType::min: return select_row<Op::min>(depth, cn);
    case PoolType::sum: return select_row<Op::sum>(depth, cn);
    case PoolType::avg:
        return rounding == Rounding::half_up ? select_row<Op::avg_up>(depth, cn) : select_row<Op::avg_even>(depth, cn);
    default: return nullptr;
    }
}

// Below this many input bytes, waking the worker threads costs more than it saves.
constexpr double kParallelBytes = 1 << 20;

}  // namespace

bool pool_2x2(const cv::Mat& src, const PoolParams& p, int depth, cv::Mat& dst) {
    if (p.scope != Scope::window || !(p.window == Extent{2, 2}) || !(effective_stride(p) == Extent{2, 2}) ||
        !(p.dilation == Extent{1, 1}))
        return false;
    if (src.dims != 2 || src.rows < 2 || src.cols < 2) return false;
    // With even sizes, ceil mode and SAME padding add no cell: the plain case.
    const bool even = src.rows % 2 == 0 && src.cols % 2 == 0;
    const Padding& pad = p.padding;
    if (pad.same ? !even : (pad.left || pad.top || pad.right || pad.bottom)) return false;
    if (p.ceil_mode && !even) return false;

    const int sdepth = src.depth(), cn = src.channels();
    if (sdepth != CV_8U && sdepth != CV_16U && sdepth != CV_32F) return false;
    if (depth != (p.type == PoolType::sum ? CV_64F : sdepth)) return false;
    const RowFn row = select_row(p.type, p.rounding, sdepth, cn);
    if (!row) return false;

    const int w = src.cols / 2, h = src.rows / 2;
    dst.create(h, w, CV_MAKETYPE(depth, cn));
    const auto rows = [&](const cv::Range& r) {
        for (int y = r.start; y < r.end; ++y) row(src.ptr(2 * y), src.ptr(2 * y + 1), dst.ptr(y), w, cn);
    };
    if (double(src.total()) * double(src.elemSize()) < kParallelBytes) rows(cv::Range(0, h));
    // A few stripes per thread balance the load without splitting rows too finely.
    else cv::parallel_for_(cv::Range(0, h), rows, 4.0 * cv::getNumThreads());
    return true;
}

}  // namespace imgpool::detail
