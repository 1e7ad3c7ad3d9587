// The stride-1 engine for 8-bit images: max, min and avg over sliding windows (dilation 1,
// 8-bit result), columns first, then rows.
//
// Along y (across rows) the work is vectorised along the row: van Herk / Gil-Werman for
// max/min (3 ops per cell, any k), running sums in 16 bits for avg. Along x a running sum
// is a serial chain per row, so for averages over wide windows rows are taken 16 at a time
// and transposed in tiles: each SIMD lane is then a row, the x pass is the y pass again
// (running sums, constant cost in k), then transposed back; with AVX-512 the x pass stays
// along the row instead, a vectorised prefix sum of the sliding differences (no
// transposes: "along x, AVX-512 scans"). Narrow averages (up to 4 taps)
// take their shifted loads along the row instead; so do max/min at every width: k loads up
// to kDirectMax taps, windows of 4, 16, 64... beyond (log4 k passes over an L1-resident
// row; transposed tiles, and 64-byte AVX-512 passes, measured no faster for them; with
// AVX-512 VBMI, windows of 2, 4 ... 32 built in registers first, a permute per level, and
// the last join too). Max/min over more than 4 rows run in column strips of the result as
// wide as a quarter of the last-level cache allows (with 32 MB, whole rows up to 22K RGB
// pixels at 63x63), so that van Herk's suffix rows and the source rows it reads twice stay in it. The y pass
// prefetches the source rows it reads next: the hardware prefetcher alone left each row's
// first read to L3's latency. Square max/min windows of 3x3 to 9x9 take neither pass: two
// result rows a pass straight from their source rows (sliding_pairs_u8.hpp, run_pairs).
//
// Cells outside the source are the reduction's identity (0 for sums), so windows clipped by
// ignored padding need no special case, and border fills are read through the border rule
// (no padded copy). Avg is taken only where every window has the same divisor, and rounds
// as round_div() does (docs/semantics.md). Strides beyond 1 (3x3/2) for narrow windows:
// each output row's rows gathered, x at full resolution, every s-th taken. AVX2 at least
// (the AVX-512 scans where the CPU has them; IMGPOOL_SLIDING_ISA=avx2 keeps to AVX2): without AVX2 the
// separable engine takes these cases.
#include <opencv2/core.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include <unistd.h>

#include "engines.hpp"
#include "imgpool/pool.hpp"
#include "sliding_pairs_u8.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define IMGPOOL_SLIDING 1
#endif

namespace imgpool::detail {

#ifdef IMGPOOL_SLIDING
namespace {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using i64 = std::int64_t;

#define IMGPOOL_SL_AVX2 __attribute__((target("avx2")))
#define IMGPOOL_SL_INLINE __attribute__((target("avx2"), always_inline)) inline
#define IMGPOOL_SL_LAMBDA __attribute__((target("avx2"), always_inline))
// A row's loop kept out of line: inlined into a large caller it spilled its pointers.
#define IMGPOOL_SL_ROW __attribute__((target("avx2"), noinline))

// One axis of sliding windows: output o takes the virtual cells o*s .. o*s+k-1, virtual cell i
// being source cell v0 + i (v0 = -padding before). Virtual cells [lo, hi) are source cells,
// [plo, phi) those that count (the source and, with a border fill, the filled padding);
// the rest are the reduction's identity.
struct Axis {
    int k = 1, s = 1, out = 0, n = 0, len = 0, lo = 0, hi = 0, plo = 0, phi = 0;
    i64 v0 = 0;
};

// The axis, checked against the spans every other engine works from.
bool make_axis(int n, int k, int stride, AxisPadding pad, const PoolParams& p, bool filled, Axis& a) {
    const bool avg = p.type == PoolType::avg, count_pad = avg && p.count_pad;
    const std::vector<Span> spans = window_spans(n, k, stride, 1, pad, p.ceil_mode, filled);
    a.k = k;
    a.s = stride;
    a.n = n;
    a.out = int(spans.size());
    a.v0 = -i64(pad.before);
    a.len = (a.out - 1) * stride + k;
    a.lo = std::min(pad.before, a.len);
    a.hi = int(std::clamp<i64>(i64(pad.before) + n, a.lo, a.len));
    a.plo = filled ? 0 : a.lo;
    a.phi = filled ? int(std::clamp<i64>(i64(pad.before) + n + pad.after, a.hi, a.len)) : a.hi;
    for (int o = 0; o < a.out; ++o) {
        const Span& sp = spans[size_t(o)];
        const int first = std::max(o * stride, a.plo), end = std::min(o * stride + k, a.phi);
        if (end <= first || sp.step != 1 || sp.count != end - first) return false;
        if (sp.first != (filled ? first : first - pad.before)) return false;
        if (avg && (count_pad ? sp.extent : sp.count) != k) return false;  // one divisor
    }
    return a.hi > a.lo;
}

enum class Kind { max, min, avg };

struct Job {
    cv::Mat src;
    cv::Mat* dst = nullptr;
    Kind kind = Kind::max;
    int cn = 1;
    Axis x, y;
    int divisor = 1;  // avg: kx * ky
    bool half_even = true;
    int border = -1;      // cv::BORDER_* of the filled padding, -1 without
    bool stream = false;  // a large result: row mode's stores bypass the caches
};

// Avg: row mode (shifted loads along the row) up to kRowModeAvg taps, tiles beyond. Strides
// beyond 1 (row mode only): max/min up to kRowModeMax taps, the separable engine beyond.
constexpr int kRowModeMax = 16, kRowModeAvg = 4;
// Max/min along x: k shifted loads per output up to this width, windows of 4, 16... beyond.
constexpr int kDirectMax = 6;
// Max/min with van Herk along y: the bytes a column strip's y pass may take
// (MaxMin::run_strips), a quarter of the last-level cache (a second thread's strip shares
// it), 2 MB where the system does not say. Strips sized to L2 (512 KB) took 1.07-1.16x the
// time of whole rows in L3 (RGB 63x63, rows of 1920 to 16000 pixels; 31x31 too): their
// warm-ups and overlaps, and the source read a piece of a row at a time.
// IMGPOOL_STRIP_BYTES sets it (for tests: strips on any machine).
size_t strip_budget() {
    if (const char* set = std::getenv("IMGPOOL_STRIP_BYTES")) return std::max<size_t>(std::strtoull(set, nullptr, 10), 4096);
    static const size_t bytes = [] {
        const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
        return std::max<size_t>(l3 > 0 ? size_t(l3) / 4 : 0, size_t(2) << 20);
    }();
    return bytes;
}

i64 floor_div(i64 a, i64 b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// ---------------------------------------------------------------- vector helpers

IMGPOOL_SL_INLINE __m256i ld(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
IMGPOOL_SL_INLINE void st(void* p, __m256i v) { _mm256_storeu_si256(static_cast<__m256i*>(p), v); }
IMGPOOL_SL_INLINE __m128i ld16(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
IMGPOOL_SL_INLINE void st16(void* p, __m128i v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }

template <bool Max>
IMGPOOL_SL_INLINE __m256i vop(__m256i a, __m256i b) {
    return Max ? _mm256_max_epu8(a, b) : _mm256_min_epu8(a, b);
}
template <bool Max>
inline u8 sop(u8 a, u8 b) {
    return Max ? (a > b ? a : b) : (a < b ? a : b);
}

// In each 128-bit lane, a 16x16 byte transpose: byte j of x[i] goes to byte i of x[j]
// (the averages' way back from tiles to rows).
IMGPOOL_SL_INLINE void transpose16(__m256i* x) {
    __m256i a[16], b[16];
    for (int p = 0; p < 8; ++p) {  // a[2p+h]: rows 2p, 2p+1; columns 8h..8h+7
        a[2 * p] = _mm256_unpacklo_epi8(x[2 * p], x[2 * p + 1]);
        a[2 * p + 1] = _mm256_unpackhi_epi8(x[2 * p], x[2 * p + 1]);
    }
    for (int q = 0; q < 4; ++q)  // b[4q+g]: rows 4q..4q+3; columns 4g..4g+3
        for (int h = 0; h < 2; ++h) {
            b[4 * q + 2 * h] = _mm256_unpacklo_epi16(a[4 * q + h], a[4 * q + 2 + h]);
            b[4 * q + 2 * h + 1] = _mm256_unpackhi_epi16(a[4 * q + h], a[4 * q + 2 + h]);
        }
    for (int o = 0; o < 2; ++o)  // a[8o+f]: rows 8o..8o+7; columns 2f, 2f+1
        for (int g = 0; g < 4; ++g) {
            a[8 * o + 2 * g] = _mm256_unpacklo_epi32(b[8 * o + g], b[8 * o + 4 + g]);
            a[8 * o + 2 * g + 1] = _mm256_unpackhi_epi32(b[8 * o + g], b[8 * o + 4 + g]);
        }
    for (int f = 0; f < 8; ++f) {
        x[2 * f] = _mm256_unpacklo_epi64(a[f], a[8 + f]);
        x[2 * f + 1] = _mm256_unpackhi_epi64(a[f], a[8 + f]);
    }
}

// The same for 16-bit units, 8x8 per lane.
IMGPOOL_SL_INLINE void transpose8(__m256i* x) {
    __m256i a[8], b[8];
    for (int p = 0; p < 4; ++p) {  // a[2p+h]: rows 2p, 2p+1; columns 4h..4h+3
        a[2 * p] = _mm256_unpacklo_epi16(x[2 * p], x[2 * p + 1]);
        a[2 * p + 1] = _mm256_unpackhi_epi16(x[2 * p], x[2 * p + 1]);
    }
    for (int q = 0; q < 2; ++q)  // b[4q+g]: rows 4q..4q+3; columns 2g, 2g+1
        for (int h = 0; h < 2; ++h) {
            b[4 * q + 2 * h] = _mm256_unpacklo_epi32(a[4 * q + h], a[4 * q + 2 + h]);
            b[4 * q + 2 * h + 1] = _mm256_unpackhi_epi32(a[4 * q + h], a[4 * q + 2 + h]);
        }
    for (int g = 0; g < 4; ++g) {
        x[2 * g] = _mm256_unpacklo_epi64(b[g], b[4 + g]);
        x[2 * g + 1] = _mm256_unpackhi_epi64(b[g], b[4 + g]);
    }
}

// 16 u16 results (at most 255) of `lo` and 16 of `hi` as 32 bytes in order.
IMGPOOL_SL_INLINE __m256i pack32(__m256i lo, __m256i hi) {
    return _mm256_permute4x64_epi64(_mm256_packus_epi16(lo, hi), 0xD8);
}

// ---------------------------------------------------------------- exact division
// round_div(a, D) for the sums a of windows of D cells, as floor(N/D) of N = a + D/2.
// D <= 256: N < 2^16, and floor(N/D) = (N*m) >> (16+l) with l = ceil(log2 D),
// m = floor(2^(16+l)/D) + 1 (Granlund & Montgomery), computed as in divide_row16
// (separable_kernels.hpp); where it is exact for every N up to 255 D + D/2, one multiply
// instead: m1 = ceil(2^(16+s)/D) < 2^16, whose excess e = m1 D - 2^(16+s) leaves every
// floor unchanged while N e < 2^(16+s) (N/D gains less than 1/D). Larger D (up to 13107):
// trunc(N * c) in float, c = 1/D rounded up, exact while 1.25 (q+1) D < 2^22.
// Ties (half_even, even D): N == q*D, and q odd, goes back to q-1.
// The vector forms take N (callers add D/2 once, into their running sums).
struct Divisor {
    int D = 1;
    bool ties = false;
    bool one_mul = false;
    u16 bias16 = 0, mul16 = 0, mul1 = 0;
    int shift16 = 0, shift1 = 0;
    float c = 1;

    Divisor(int d, bool half_even) : D(d), ties(half_even && d % 2 == 0) {
        if (D >= 2 && D < 0x10000) {  // Granlund & Montgomery: any N < 2^16 (the scans' rows below, too)
            int l = 0;
            while ((1 << l) < D) ++l;
            mul16 = u16(std::uint32_t((std::uint64_t(1) << (16 + l)) / std::uint64_t(D) + 1) - 0x10000u);
            shift16 = l - 1;
        }
        if (D <= 256 && D >= 2) {
            int l = 0;
            while ((1 << l) < D) ++l;
            const int s = l - 1;  // floor(log2 D), or for D = 2^l one less: m1 = 2^15, exact
            const std::uint64_t p = std::uint64_t(1) << (16 + s), m = (p + std::uint64_t(D) - 1) / std::uint64_t(D);
            const std::uint64_t nmax = 255u * std::uint64_t(D) + std::uint64_t(D / 2);
            if (m < 0x10000u && nmax * (m * std::uint64_t(D) - p) < p && !ties) {
                one_mul = true;
                mul1 = u16(m);
                shift1 = s;
            }
        }
        bias16 = u16(D / 2);
        c = std::nextafter(1.0f / float(D), 2.0f);
    }
    // The scalar twin, for tails.
    u8 scalar(std::uint32_t a) const {
        const std::uint32_t N = a + std::uint32_t(D / 2), q = N / std::uint32_t(D);
        return u8(ties && N == q * std::uint32_t(D) ? q - (q & 1) : q);
    }
};

// div16n with the method a template constant (Mode: 0 D == 1, 1 one multiply, 2 Granlund
// & Montgomery, 3 the same with ties), for loops the compiler does not unswitch.
template <int Mode>
IMGPOOL_SL_INLINE __m256i div16m(__m256i N, const Divisor& dv);

inline int div16_mode(const Divisor& dv) { return dv.D == 1 ? 0 : dv.one_mul ? 1 : dv.ties ? 3 : 2; }

IMGPOOL_SL_INLINE __m256i div16n(__m256i N, const Divisor& dv) {
    if (dv.D == 1) return N;
    if (dv.one_mul) return _mm256_srl_epi16(_mm256_mulhi_epu16(N, _mm256_set1_epi16(short(dv.mul1))), _mm_cvtsi32_si128(dv.shift1));
    const __m256i t = _mm256_mulhi_epu16(N, _mm256_set1_epi16(short(dv.mul16)));
    __m256i q = _mm256_srl_epi16(_mm256_add_epi16(_mm256_srli_epi16(_mm256_sub_epi16(N, t), 1), t),
                                 _mm_cvtsi32_si128(dv.shift16));
    if (dv.ties) {
        const __m256i tie = _mm256_cmpeq_epi16(_mm256_mullo_epi16(q, _mm256_set1_epi16(short(dv.D))), N);
        q = _mm256_sub_epi16(q, _mm256_and_si256(tie, _mm256_and_si256(q, _mm256_set1_epi16(1))));
    }
    return q;
}

template <int Mode>
IMGPOOL_SL_INLINE __m256i div16m(__m256i N, const Divisor& div) {
    Divisor dv = div;
    dv.D = Mode == 0 ? 1 : std::max(dv.D, 2);
    dv.one_mul = Mode == 1;
    dv.ties = Mode == 3;
    return div16n(N, dv);
}

IMGPOOL_SL_INLINE __m256i div32n(__m256i N, const Divisor& dv) {
    __m256i q = _mm256_cvttps_epi32(_mm256_mul_ps(_mm256_cvtepi32_ps(N), _mm256_set1_ps(dv.c)));
    if (dv.ties) {
        const __m256i tie = _mm256_cmpeq_epi32(_mm256_mullo_epi32(q, _mm256_set1_epi32(dv.D)), N);
        q = _mm256_sub_epi32(q, _mm256_and_si256(tie, _mm256_and_si256(q, _mm256_set1_epi32(1))));
    }
    return q;
}

// ---------------------------------------------------------------- along y

// Source rows as the y pass reads them: the virtual x cells [lo, hi) of row r; in the
// filled padding a row of zeros or the source row the border maps r to; beyond it the
// identity row.
struct Rows {
    const cv::Mat* src = nullptr;
    const u8* ident = nullptr;
    const u8* zero = nullptr;
    size_t off = 0;  // (v0x + lo) * cn
    int ny = 0, border = -1;
    i64 plo = 0, phi = 0;  // source coordinates of the filled padding's extent
    const u8* operator()(i64 r) const {
        if (r >= 0 && r < ny) return src->ptr<u8>(int(r)) + off;
        if (border < 0 || r < plo || r >= phi) return ident;
        if (border == cv::BORDER_CONSTANT) return zero;
        return src->ptr<u8>(cv::borderInterpolate(int(r), ny, border)) + off;
    }
};

Rows make_rows(const Job& jb, const u8* ident, const u8* zero) {
    const size_t cn = size_t(jb.cn);
    return Rows{&jb.src, ident, zero, size_t(jb.x.v0 + jb.x.lo) * cn, jb.y.n, jb.border,
                jb.y.v0 + jb.y.plo, jb.y.v0 + jb.y.phi};
}

// The filled padding along x of a y result row: (to, from) virtual cells, `from` a
// source cell; from < 0: zeros.
std::vector<std::pair<int, int>> x_margins(const Job& jb) {
    std::vector<std::pair<int, int>> m;
    const Axis& x = jb.x;
    for (int i = x.plo; i < x.phi; ++i) {
        if (i >= x.lo && i < x.hi) continue;
        const int c = int(x.v0 + i);
        m.push_back({i, jb.border == cv::BORDER_CONSTANT ? -1 : int(cv::borderInterpolate(c, x.n, jb.border) - x.v0)});
    }
    return m;
}

// CN > 0: the channel count as a constant (the copies unroll; a 4K RGB 63x63 average spent
// 6% of its time here with the count a variable).
template <int CN, typename V>
void fill_margins_n(V* row, const std::vector<std::pair<int, int>>& m, size_t channels) {
    const size_t cn = CN > 0 ? size_t(CN) : channels;
    for (const auto& [to, from] : m) {
        V* d = row + size_t(to) * cn;
        if (from < 0) {
            for (size_t c = 0; c < cn; ++c) d[c] = V(0);
            continue;
        }
        const V* s = row + size_t(from) * cn;
        for (size_t c = 0; c < cn; ++c) d[c] = s[c];
    }
}

template <typename V>
void fill_margins(V* row, const std::vector<std::pair<int, int>>& m, size_t cn) {
    if (m.empty()) return;
    switch (cn) {
    case 1: return fill_margins_n<1>(row, m, cn);
    case 3: return fill_margins_n<3>(row, m, cn);
    case 4: return fill_margins_n<4>(row, m, cn);
    default: return fill_margins_n<0>(row, m, cn);
    }
}

// The y pass's loops end a row of n >= 32 bytes with one vector over its last 32 (the
// strips' rows are rarely whole vectors): max and min are idempotent, so the bytes done
// twice, in place included, come out the same.
inline size_t last_vector(size_t i, size_t n) { return i < n && n >= 32 ? n - 32 : i; }

template <bool Max>
IMGPOOL_SL_AVX2 void op_into(u8* d, const u8* s, size_t n) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) st(d + i, vop<Max>(ld(d + i), ld(s + i)));
    if ((i = last_vector(i, n)) + 32 == n) st(d + i, vop<Max>(ld(d + i), ld(s + i))), i = n;
    for (; i < n; ++i) d[i] = sop<Max>(d[i], s[i]);
}

// d = op(a, b), prefetching the row the caller reads next (`ahead`).
template <bool Max>
IMGPOOL_SL_AVX2 void op2(u8* d, const u8* a, const u8* b, size_t n, const u8* ahead) {
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {  // one prefetch per line
        _mm_prefetch(reinterpret_cast<const char*>(ahead) + i, _MM_HINT_T0);
        st(d + i, vop<Max>(ld(a + i), ld(b + i)));
        st(d + i + 32, vop<Max>(ld(a + i + 32), ld(b + i + 32)));
    }
    for (; i + 32 <= n; i += 32) st(d + i, vop<Max>(ld(a + i), ld(b + i)));
    if ((i = last_vector(i, n)) + 32 == n) st(d + i, vop<Max>(ld(a + i), ld(b + i))), i = n;
    for (; i < n; ++i) d[i] = sop<Max>(a[i], b[i]);
}

// d = op of the C rows r (C 1 to 9, a constant: no loads beyond C per vector), prefetching
// the na rows `ahead` that the next output row brings in (1, or the stride's rows): the
// hardware's prefetch alone left them to L3's latency.
template <bool Max, int C>
IMGPOOL_SL_AVX2 void op_rows_c(u8* d, const u8* const* r, size_t n, const u8* const* ahead, int na) {
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        for (int t = 0; t < na; ++t) _mm_prefetch(reinterpret_cast<const char*>(ahead[t]) + i, _MM_HINT_T0);
        for (size_t h : {i, i + 32}) {
            __m256i m = ld(r[0] + h);
            for (int t = 1; t < C; ++t) m = vop<Max>(m, ld(r[t] + h));
            st(d + h, m);
        }
    }
    if (i + 32 <= n) {
        __m256i m = ld(r[0] + i);
        for (int t = 1; t < C; ++t) m = vop<Max>(m, ld(r[t] + i));
        st(d + i, m);
        i += 32;
    }
    for (; i < n; ++i) {
        u8 m = r[0][i];
        for (int t = 1; t < C; ++t) m = sop<Max>(m, r[t][i]);
        d[i] = m;
    }
}

template <bool Max>
IMGPOOL_SL_AVX2 void op_rows(u8* d, const u8* const* r, int count, size_t n, const u8* const* ahead, int na) {
    switch (count) {
    case 1: return op_rows_c<Max, 1>(d, r, n, ahead, na);
    case 2: return op_rows_c<Max, 2>(d, r, n, ahead, na);
    case 3: return op_rows_c<Max, 3>(d, r, n, ahead, na);
    default: return op_rows_c<Max, 4>(d, r, n, ahead, na);
    }
}

// The rows the window after the one of rows w .. w+k-1 brings in, stride s: up to 4.
int rows_ahead(const Rows& rows, i64 w, int k, int s, const u8** ahead) {
    const int na = std::min({s, k, 4});
    for (int t = 0; t < na; ++t) ahead[t] = rows(w + s + k - na + t);
    return na;
}

// Van Herk / Gil-Werman along y, one output row per call: rows in blocks of k; a window is
// the suffix of one block (computed when the block is complete) op the prefix of the next
// (running). The last suffix and the first prefix of a block are its source rows
// themselves, read in place rather than copied.
template <bool Max>
struct HerkY {
    Rows rows;
    int k = 1;
    size_t n = 0;
    u8* P = nullptr;  // the running prefix
    u8* S = nullptr;  // suffixes 0 .. k-2 of the last complete block, k-1 rows of n
    i64 j = 0;        // last tap of the current window
    i64 b0 = 0;       // first row of the last complete block
    const u8* pre = nullptr;  // the prefix up to row j: P, or the block's first row

    const u8* s_row(i64 i) { return i == k - 1 ? rows(b0 + k - 1) : S + size_t(i) * n; }

    // The suffixes of the block of rows [b, b+k), down to index `from`. (A column of 64
    // bytes at a time down the block, the suffix in registers, measured no faster.)
    IMGPOOL_SL_AVX2 void suffixes(i64 b, i64 from) {
        b0 = b;
        const u8* next = rows(b + k - 1);
        for (i64 i = k - 2; i >= from; --i) {
            u8* d = S + size_t(i) * n;
            op2<Max>(d, rows(b + i), next, n, rows(b + i - 1));  // rows read k rows ago: L2 or L3
            next = d;
        }
    }

    IMGPOOL_SL_AVX2 void first(i64 w, u8* out) {
        j = w + k - 1;
        const i64 B = floor_div(j, k) * k;
        pre = rows(B);
        if (j > B) {
            op2<Max>(P, pre, rows(B + 1), n, rows(B + 2));
            for (i64 r = B + 2; r <= j; ++r) op_into<Max>(P, rows(r), n);
            pre = P;
        }
        if (w == B) return (void)std::memcpy(out, pre, n);
        suffixes(B - k, w - (B - k));
        op2<Max>(out, s_row(w - (B - k)), pre, n, rows(j + 1));
    }

    // next() as a plan for a caller that does the row's loop itself (the VBMI x pass with
    // the y pass in it): the result is op(s, op(pre, r)), and op(pre, r) is P's next value
    // where `keep` (written in place: pre may be P).
    struct Plan {
        const u8 *s, *pre, *r, *ahead;
        bool keep;
    };
    Plan advance() {
        ++j;
        const i64 B = floor_div(j, k) * k;
        const u8* r = rows(j);
        if (j == B) {  // a new block: op(s_1, r)
            suffixes(B - k, 1);
            pre = r;
            return {s_row(1), r, r, rows(j + 1), false};
        }
        if (j - B == k - 1) return {pre, pre, r, rows(j + 1), false};  // op(pre, r): the block's last
        const Plan plan{s_row(j - B + 1), pre, r, rows(j + 1), true};
        pre = P;
        return plan;
    }

    IMGPOOL_SL_AVX2 void next(u8* out) {
        ++j;
        const i64 B = floor_div(j, k) * k;
        const u8* r = rows(j);
        if (j == B) {  // a new block: the last one is complete
            suffixes(B - k, 1);
            pre = r;
            return op2<Max>(out, s_row(1), pre, n, rows(j + 1));
        }
        // The window is this block: its prefix alone, which the next block does not need.
        if (j - B == k - 1) return op2<Max>(out, pre, r, n, rows(j + 1));
        const u8* s = s_row(j - B + 1);  // rows w .. B-1 of the last block
        // Locals: the stores through u8* could alias the members, which were reloaded per vector.
        const size_t len = n;
        u8* const prefix = P;
        const u8* const before = pre;
        size_t i = 0;
        const char* ahead = reinterpret_cast<const char*>(rows(j + 1));
        auto vec = [&](size_t at) IMGPOOL_SL_LAMBDA {  // P = op(pre, r) in place when pre is P
            const __m256i p = vop<Max>(ld(before + at), ld(r + at));
            st(prefix + at, p);
            st(out + at, vop<Max>(ld(s + at), p));
        };
        for (; i + 64 <= len; i += 64) {  // one prefetch per line
            _mm_prefetch(ahead + i, _MM_HINT_T0);
            vec(i);
            vec(i + 32);
        }
        for (; i + 32 <= len; i += 32) vec(i);
        if ((i = last_vector(i, len)) + 32 == len) vec(i), i = len;
        for (; i < len; ++i) {
            prefix[i] = sop<Max>(before[i], r[i]);
            out[i] = sop<Max>(s[i], prefix[i]);
        }
        pre = prefix;
    }
};

// Max/min along y, one output row per call: the rows directly (k <= 4) or van Herk.
template <bool Max>
struct MaxMinY {
    Rows rows;
    int k = 1, s = 1;
    size_t n = 0;
    HerkY<Max> herk;
    i64 w = 0;

    IMGPOOL_SL_AVX2 void row(i64 wy, u8* out, bool first) {
        if (k > 4) return first ? herk.first(wy, out) : herk.next(out);
        const u8* r[4] = {rows(wy), nullptr, nullptr, nullptr};
        for (int t = 1; t < k; ++t) r[t] = rows(wy + t);  // identity rows change nothing
        const u8* ahead[4];
        op_rows<Max>(out, r, k, n, ahead, rows_ahead(rows, wy, k, s, ahead));
    }
};

// Sums along y in 16 bits: out = the k rows from w, skipping the identity (zero) rows.
// Up to 8 rows (strides beyond 1 take up to 8) in one pass, prefetching the rows the next
// window (stride s) brings in: with a row added into `out` at a time, 3x3/2 took a third
// longer. With stride 1 the later rows come from sum_rows_next.
IMGPOOL_SL_AVX2 void sum_rows_first(const Rows& rows, i64 w, int k, int s, size_t n, u16* out) {
    constexpr int kOnePass = 8;
    const u8* r[kOnePass];
    int c = 0;
    for (i64 t = w; t < w + k; ++t)
        if (const u8* row = rows(t); row != rows.ident && row != rows.zero) {
            if (c < kOnePass) r[c] = row;
            ++c;
        }
    if (c == 0 || c > kOnePass) {
        std::memset(out, 0, n * sizeof(u16));
        for (i64 t = w; t < w + k; ++t) {
            const u8* row = rows(t);
            if (row == rows.ident || row == rows.zero) continue;
            size_t i = 0;
            for (; i + 16 <= n; i += 16) st(out + i, _mm256_add_epi16(ld(out + i), _mm256_cvtepu8_epi16(ld16(row + i))));
            for (; i < n; ++i) out[i] = u16(out[i] + row[i]);
        }
        return;
    }
    const u8* ahead[4];
    const int na = rows_ahead(rows, w, k, s, ahead);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        if (i % 64 == 0)
            for (int t = 0; t < na; ++t) _mm_prefetch(reinterpret_cast<const char*>(ahead[t]) + i, _MM_HINT_T0);
        __m256i m = _mm256_cvtepu8_epi16(ld16(r[0] + i));
        for (int t = 1; t < c; ++t) m = _mm256_add_epi16(m, _mm256_cvtepu8_epi16(ld16(r[t] + i)));
        st(out + i, m);
    }
    for (; i < n; ++i) {
        u16 m = 0;
        for (int t = 0; t < c; ++t) m = u16(m + r[t][i]);
        out[i] = m;
    }
}

// Sums along y in 16 bits: out = prev + row(w+k-1) - row(w-1).
IMGPOOL_SL_AVX2 void sum_rows_next(const Rows& rows, i64 w, int k, size_t n, const u16* prev, u16* out) {
    const i64 in = w + k - 1, gone = w - 1;
    const u8* a = rows(in);    // the identity row (zeros) outside the source
    const u8* b = rows(gone);
    const char* ahead = reinterpret_cast<const char*>(rows(in + 1));
    const char* behind = reinterpret_cast<const char*>(rows(gone + 1));  // read k rows ago: L2 or L3
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm_prefetch(ahead + i, _MM_HINT_T0);
        _mm_prefetch(behind + i, _MM_HINT_T0);
        const __m256i d = _mm256_sub_epi16(_mm256_cvtepu8_epi16(ld16(a + i)), _mm256_cvtepu8_epi16(ld16(b + i)));
        st(out + i, _mm256_add_epi16(ld(prev + i), d));
    }
    for (; i < n; ++i) out[i] = u16(prev[i] + a[i] - b[i]);
}

// ---------------------------------------------------------------- along x, row mode

// Row mode's results go out with non-temporal stores for large results (`stream`): a 4K
// result would otherwise evict the source from the cache and be read before it is written
// (a row of 3838 RGB pixels, not on the 32-byte grid, took 1.35x as long for 3x3 max and
// 1.8x for 63x63 with plain stores).
template <bool NT>
IMGPOOL_SL_INLINE void put(u8* p, __m256i v) {
    if (NT) _mm256_stream_si256(reinterpret_cast<__m256i*>(p), v);
    else st(p, v);
}

// The bytes from p to the next 64-byte boundary, a cache line's start (0 on one).
inline size_t to_grid(const u8* p) { return (64 - (reinterpret_cast<std::uintptr_t>(p) & 63)) & 63; }

// Calls part(o, c, nt) over the row's n bytes from `out` (`part` takes its inputs from offset
// o too): non-temporal (std::true_type) over the whole 64-byte lines of a streamed row, the
// bytes before and after them plainly. A line written both ways (the row before's last
// bytes and this row's first) cost a read from memory: 3x3 max on 3838-pixel rows, whose
// ends are off the grid, took 1.12x as long with 32-byte aligned vectors streamed. (The
// plain ends as two overlapping vectors each, not the kernels' scalar loops: slower still.)
template <class Part>
IMGPOOL_SL_INLINE void by_alignment(const u8* out, size_t n, bool stream, Part part) {
    const size_t h = to_grid(out);
    if (!stream || h + 64 > n) return part(size_t(0), n, std::false_type{});
    const size_t end = h + (n - h) / 64 * 64;
    if (h > 0) part(size_t(0), h, std::false_type{});
    part(h, end - h, std::true_type{});
    if (end < n) part(end, n - end, std::false_type{});
}

// n bytes from s to d (whole 32-byte vectors where NT).
template <bool NT>
IMGPOOL_SL_AVX2 void copy_row(const u8* s, u8* d, size_t n) {
    if (!NT) return (void)std::memcpy(d, s, n);
    for (size_t i = 0; i < n; i += 32) put<true>(d + i, ld(s + i));
}

// K taps as K shifted loads; K a constant, so that the taps' loop unrolls away.
template <bool Max, int K, bool NT>
IMGPOOL_SL_ROW void x_row_maxmin_k(const u8* v, u8* out, size_t n, size_t cn) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i m = ld(v + i);
        for (int t = 1; t < K; ++t) m = vop<Max>(m, ld(v + i + size_t(t) * cn));
        put<NT>(out + i, m);
    }
    for (; i < n; ++i) {
        u8 m = v[i];
        for (int t = 1; t < K; ++t) m = sop<Max>(m, v[i + size_t(t) * cn]);
        out[i] = m;
    }
}

template <bool Max, bool NT>
IMGPOOL_SL_AVX2 void x_row_maxmin_nt(const u8* v, u8* out, size_t n, size_t cn, int k) {
    switch (k) {
    case 1: return x_row_maxmin_k<Max, 1, NT>(v, out, n, cn);
    case 2: return x_row_maxmin_k<Max, 2, NT>(v, out, n, cn);
    case 3: return x_row_maxmin_k<Max, 3, NT>(v, out, n, cn);
    case 4: return x_row_maxmin_k<Max, 4, NT>(v, out, n, cn);
    case 5: return x_row_maxmin_k<Max, 5, NT>(v, out, n, cn);
    default: return x_row_maxmin_k<Max, 6, NT>(v, out, n, cn);
    }
}

// Up to kDirectMax taps.
template <bool Max>
IMGPOOL_SL_AVX2 void x_row_maxmin(const u8* v, u8* out, size_t n, size_t cn, int k, bool stream) {
    by_alignment(out, n, stream, [&](size_t o, size_t c, auto nt) IMGPOOL_SL_LAMBDA {
        x_row_maxmin_nt<Max, decltype(nt)::value>(v + o, out + o, c, cn, k);
    });
}

template <bool Max>
IMGPOOL_SL_INLINE __m256i join4(const u8* p, size_t o1, size_t o2, size_t o3) {
    return vop<Max>(vop<Max>(ld(p), ld(p + o1)), vop<Max>(ld(p + o2), ld(p + o3)));
}

// Wider windows: windows of 4, 16, 64... cells built in place in `a` (4 loads per vector
// from an L1-resident row), the last pass joining up to 4 of them (max and min are
// idempotent, so they may overlap): about log4(k) passes instead of k loads per output.
// `v` and `a` are readable 64 bytes past the row's (n + (k-1)*cn) cells.
// x_row_maxmin_from: the same from windows of w cells already in `src` (v itself, w = 1).
template <bool Max>
IMGPOOL_SL_AVX2 void x_row_maxmin_from(const u8* src, size_t w, u8* a, u8* out, size_t n, size_t cn, size_t K, bool stream) {
    // src holds windows of w cells, valid for the first n + (K - w) * cn bytes
    for (; 4 * w <= K; w *= 4, src = a) {
        const size_t d = w * cn, m = n + (K - 4 * w) * cn;
        for (size_t i = 0; i < m; i += 32)  // the last vector's excess lands in the slack
            st(a + i, vop<Max>(vop<Max>(ld(src + i), ld(src + i + d)), vop<Max>(ld(src + i + 2 * d), ld(src + i + 3 * d))));
    }
    const size_t o3 = (K - w) * cn, o1 = std::min(w * cn, o3), o2 = std::min(2 * w * cn, o3);
    by_alignment(out, n, stream, [&](size_t o, size_t c, auto nt) IMGPOOL_SL_LAMBDA {
        const u8* f = src + o;
        u8* d = out + o;
        size_t i = 0;
        for (; i + 32 <= c; i += 32) put<decltype(nt)::value>(d + i, join4<Max>(f + i, o1, o2, o3));
        for (; i < c; ++i) d[i] = sop<Max>(sop<Max>(f[i], f[i + o1]), sop<Max>(f[i + o2], f[i + o3]));
    });
}

template <bool Max>
IMGPOOL_SL_AVX2 void x_row_maxmin_wide(const u8* v, u8* a, u8* out, size_t n, size_t cn, int k, bool stream) {
    x_row_maxmin_from<Max>(v, 1, a, out, n, cn, size_t(k), stream);
}

template <int K, bool NT>
IMGPOOL_SL_ROW void x_row_avg_k(const u16* v, u8* out, size_t n, size_t cn, const Divisor& div) {
    const Divisor dv = div;  // a local copy: the stores below cannot change it, so no reloads
    const __m256i bias = _mm256_set1_epi16(short(dv.bias16));
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i a = _mm256_add_epi16(bias, ld(v + i)), b = _mm256_add_epi16(bias, ld(v + i + 16));
        for (int t = 1; t < K; ++t) {
            a = _mm256_add_epi16(a, ld(v + i + size_t(t) * cn));
            b = _mm256_add_epi16(b, ld(v + i + 16 + size_t(t) * cn));
        }
        put<NT>(out + i, pack32(div16n(a, dv), div16n(b, dv)));
    }
    for (; i < n; ++i) {
        std::uint32_t a = 0;
        for (int t = 0; t < K; ++t) a += v[i + size_t(t) * cn];
        out[i] = dv.scalar(a);
    }
}

template <bool NT>
IMGPOOL_SL_AVX2 void x_row_avg_nt(const u16* v, u8* out, size_t n, size_t cn, int k, const Divisor& dv) {
    switch (k) {
    case 1: return x_row_avg_k<1, NT>(v, out, n, cn, dv);
    case 2: return x_row_avg_k<2, NT>(v, out, n, cn, dv);
    case 3: return x_row_avg_k<3, NT>(v, out, n, cn, dv);
    default: return x_row_avg_k<4, NT>(v, out, n, cn, dv);
    }
}

// Up to kRowModeAvg taps.
IMGPOOL_SL_AVX2 void x_row_avg(const u16* v, u8* out, size_t n, size_t cn, int k, const Divisor& dv, bool stream) {
    by_alignment(out, n, stream, [&](size_t o, size_t c, auto nt) IMGPOOL_SL_LAMBDA {
        x_row_avg_nt<decltype(nt)::value>(v + o, out + o, c, cn, k, dv);
    });
}

// Every s-th pixel of a row of full-resolution results.
template <typename V>
void subsample(const V* f, V* out, size_t outputs, size_t cn, size_t s) {
    switch (cn) {
    case 1:
        for (size_t o = 0; o < outputs; ++o) out[o] = f[o * s];
        return;
    case 3:
        for (size_t o = 0; o < outputs; ++o)
            out[3 * o] = f[3 * o * s], out[3 * o + 1] = f[3 * o * s + 1], out[3 * o + 2] = f[3 * o * s + 2];
        return;
    default:
        for (size_t o = 0; o < outputs; ++o)
            for (size_t c = 0; c < cn; ++c) out[o * cn + c] = f[o * s * cn + c];
    }
}

// The window sums of every pixel (stride > 1: then every s-th is taken).
IMGPOOL_SL_AVX2 void x_row_sums(const u16* v, u16* out, size_t n, size_t cn, int k) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i a = ld(v + i);
        for (int t = 1; t < k; ++t) a = _mm256_add_epi16(a, ld(v + i + size_t(t) * cn));
        st(out + i, a);
    }
    for (; i < n; ++i) {
        u16 a = 0;
        for (int t = 0; t < k; ++t) a = u16(a + v[i + size_t(t) * cn]);
        out[i] = a;
    }
}

// ---------------------------------------------------------------- along x, tiles

// Columns [e, e+8) of 16 rows of u16 into 8 vectors, lane r = row r.
IMGPOOL_SL_INLINE void tile_in16(const u16* const* rows, size_t e, __m256i* t) {
    __m256i x[8];
    for (int i = 0; i < 8; ++i)
        x[i] = _mm256_inserti128_si256(_mm256_castsi128_si256(ld16(rows[i] + e)), ld16(rows[i + 8] + e), 1);
    transpose8(x);
    for (int i = 0; i < 8; ++i) t[i] = x[i];
}

// ---------------------------------------------------------------- along x, AVX-512 scans

// With AVX-512 the x pass of wide windows stays along the row, no tiles: out[i] - out[i-cn]
// = v[i+(k-1)cn] - v[i-cn], so the window sums are a prefix sum (stride cn) of those
// differences, taken a vector at a time in log2 steps of lane shifts (vpermw/vpermd) plus the
// previous vector's last cn sums. Sums of D <= 256 cells are below 2^16, so 16-bit lanes
// wrapping mod 2^16 still end exact; larger divisors scan in 16 bits too from a band's
// second row on, the result row above giving what the sums mod 2^16 lack (Lanes16Above),
// and in 32 bits for a band's first row and beyond that method's limit. cn <= 8
// (kScanMaxCn): the previous vector then holds every sum a lane needs.
// GCC 12's AVX-512 headers pass _mm512_undefined_*() as the merge source of unmasked forms,
// which -Wmaybe-uninitialized reports once inlined here: a false alarm.
#pragma GCC diagnostic push
#if !defined(__clang__)  // clang has no such warning (and would warn about the name)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define IMGPOOL_SL_512 __attribute__((target("avx2,avx512f,avx512bw,avx512vl")))
#define IMGPOOL_SL_512_INLINE __attribute__((target("avx2,avx512f,avx512bw,avx512vl"), always_inline)) inline
#define IMGPOOL_SL_LAMBDA512 __attribute__((target("avx2,avx512f,avx512bw,avx512vl"), always_inline))

constexpr size_t kScanMaxCn = 8;

template <int Mode>
IMGPOOL_SL_512_INLINE __m512i div16x(__m512i N, const Divisor& dv) {
    if (Mode == 1) return _mm512_srl_epi16(_mm512_mulhi_epu16(N, _mm512_set1_epi16(short(dv.mul1))), _mm_cvtsi32_si128(dv.shift1));
    const __m512i t = _mm512_mulhi_epu16(N, _mm512_set1_epi16(short(dv.mul16)));
    __m512i q = _mm512_srl_epi16(_mm512_add_epi16(_mm512_srli_epi16(_mm512_sub_epi16(N, t), 1), t), _mm_cvtsi32_si128(dv.shift16));
    if (Mode == 3) {
        const __mmask32 tie = _mm512_cmpeq_epi16_mask(_mm512_mullo_epi16(q, _mm512_set1_epi16(short(dv.D))), N);
        q = _mm512_mask_sub_epi16(q, tie, q, _mm512_and_si512(q, _mm512_set1_epi16(1)));
    }
    return q;
}

template <bool Ties>
IMGPOOL_SL_512_INLINE __m512i div32x(__m512i N, const Divisor& dv) {
    __m512i q = _mm512_cvttps_epi32(_mm512_mul_ps(_mm512_cvtepi32_ps(N), _mm512_set1_ps(dv.c)));
    if (Ties) {
        const __mmask16 tie = _mm512_cmpeq_epi32_mask(_mm512_mullo_epi32(q, _mm512_set1_epi32(dv.D)), N);
        q = _mm512_mask_sub_epi32(q, tie, q, _mm512_and_si512(q, _mm512_set1_epi32(1)));
    }
    return q;
}

// 16-bit lanes (D <= 256): 32 outputs per vector. put(): `full` stores all W bytes (those
// past the vector's last output are rewritten by the next vector), else the masked lanes.
template <int Mode>
struct Lanes16 {
    static constexpr size_t W = 32;
    using T = u16;
    using Mask = __mmask32;
    static Mask mask(size_t r) { return r >= W ? ~Mask(0) : Mask((1u << r) - 1); }
    template <bool Narrow>
    static IMGPOOL_SL_512_INLINE __m512i diff(const u16* a, const u16* b, Mask m, bool full) {
        if (full) return _mm512_sub_epi16(_mm512_loadu_si512(a), _mm512_loadu_si512(b));
        return _mm512_sub_epi16(_mm512_maskz_loadu_epi16(m, a), _mm512_maskz_loadu_epi16(m, b));
    }
    // The scan's first level from two more loads (cn cells back) rather than a permute: the
    // differences of pairs of pixels, the vector's first pixel (keep clear) alone. Taken by
    // Lanes16Above (2% faster); here it measured a third slower at 5x5-15x15 RGB, the time
    // going to the y pass after it (not understood).
    static constexpr bool kPairs = false;
    static IMGPOOL_SL_512_INLINE __m512i diff2(const u16* a, const u16* b, size_t cn, Mask keep, Mask m, bool full) {
        if (full)
            return _mm512_add_epi16(_mm512_sub_epi16(_mm512_loadu_si512(a), _mm512_loadu_si512(b)),
                                    _mm512_maskz_sub_epi16(keep, _mm512_loadu_si512(a - cn), _mm512_loadu_si512(b - cn)));
        return _mm512_add_epi16(_mm512_sub_epi16(_mm512_maskz_loadu_epi16(m, a), _mm512_maskz_loadu_epi16(m, b)),
                                _mm512_maskz_sub_epi16(keep, _mm512_maskz_loadu_epi16(m, a - cn), _mm512_maskz_loadu_epi16(m, b - cn)));
    }
    static IMGPOOL_SL_512_INLINE __m512i add(__m512i a, __m512i b) { return _mm512_add_epi16(a, b); }
    static IMGPOOL_SL_512_INLINE __m512i shift(Mask keep, __m512i idx, __m512i x) { return _mm512_maskz_permutexvar_epi16(keep, idx, x); }
    static IMGPOOL_SL_512_INLINE __m512i perm(__m512i idx, __m512i x) { return _mm512_permutexvar_epi16(idx, x); }
    static IMGPOOL_SL_512_INLINE void put(u8* out, bool full, Mask m, __m512i S, const Divisor& dv) {
        const __m256i q = _mm512_cvtepi16_epi8(div16x<Mode>(S, dv));
        if (full) return st(out, q);  // Zen 4's vpmovwb to memory measured slow
        _mm256_mask_storeu_epi8(out, m, q);
    }
};

// 32-bit lanes (D > 256): 16 outputs per vector. Narrow: y sums below 2^15 (at most 128
// rows), so the difference fits 16 bits: one widening instead of two.
template <bool Ties>
struct Lanes32 {
    static constexpr size_t W = 16;
    static constexpr bool kPairs = false;
    using T = std::uint32_t;
    using Mask = __mmask16;
    static Mask mask(size_t r) { return r >= W ? Mask(0xFFFF) : Mask((1u << r) - 1); }
    template <bool Narrow>
    static IMGPOOL_SL_512_INLINE __m512i diff(const u16* a, const u16* b, Mask m, bool full) {
        const __m256i x = full ? ld(a) : _mm256_maskz_loadu_epi16(m, a), y = full ? ld(b) : _mm256_maskz_loadu_epi16(m, b);
        if (Narrow) return _mm512_cvtepi16_epi32(_mm256_sub_epi16(x, y));
        return _mm512_sub_epi32(_mm512_cvtepu16_epi32(x), _mm512_cvtepu16_epi32(y));
    }
    static IMGPOOL_SL_512_INLINE __m512i add(__m512i a, __m512i b) { return _mm512_add_epi32(a, b); }
    static IMGPOOL_SL_512_INLINE __m512i shift(Mask keep, __m512i idx, __m512i x) { return _mm512_maskz_permutexvar_epi32(keep, idx, x); }
    static IMGPOOL_SL_512_INLINE __m512i perm(__m512i idx, __m512i x) { return _mm512_permutexvar_epi32(idx, x); }
    static IMGPOOL_SL_512_INLINE void put(u8* out, bool full, Mask m, __m512i S, const Divisor& dv) {
        const __m128i q = _mm512_cvtepi32_epi8(div32x<Ties>(S, dv));
        if (full) return st16(out, q);
        _mm_mask_storeu_epi8(out, m, q);
    }
};

// 16-bit lanes for D > 256 too, from the result row above (stride 1 along y). Consecutive
// rows' N (window sum + D/2) differ by at most B = 255 kx (a row in, one out); the result
// above, qa = floor(Na/D), puts Na in [qa D, qa D + D) (with ties, qa may be one less, Na
// then (qa + 1) D). With e = ceil(B/D), o = N - (qa - e) D lies in [0, e D + B + D), one
// more with ties: exact from N mod 2^16 while that is below 2^16 (square windows up to 100,
// windows 3 high up to 127 wide; scripts/check_row_above.py checks every case near the
// limit), and q = qa - e + floor(o/D), that division in 16 bits by one multiply where one
// is exact over o's range (one_mul), else by Granlund & Montgomery.
// 32 outputs a vector where Lanes32 takes 16, for a load, a multiply and a few adds: the
// 32-bit scan was bound by its permutes (4K RGB 63x63 4.1 -> 2.8 ms with the changes
// around it).
// The division of the offset for a window, decided once (one_mul's search has divisions).
struct AboveDiv {
    bool one = false;  // one multiply and a shift
    u16 mul = 0;
    int bits = 0;
};

template <bool Ties, bool OneMul>
struct Lanes16Above : Lanes16<2> {
    static constexpr bool kPairs = true;
    std::ptrdiff_t up = 0;  // the row above, from the result row
    u16 e = 0;
    u16 mul = 0;  // OneMul: floor(o/D) = mulhi(o, mul) >> bits for every o the row can have
    int bits = 0;
    static AboveDiv divisor(int D, int kx, bool ties) {
        AboveDiv a;
        a.one = one_mul(D, kx, ties, &a.mul, &a.bits);
        return a;
    }
    static i64 e_of(int D, int kx) { return (255 * i64(kx) + D - 1) / D; }
    static i64 o_max(int D, int kx, bool ties) { return e_of(D, kx) * D + 255 * i64(kx) + D - 1 + (ties ? 1 : 0); }
    static bool fits(int D, int kx, bool ties) { return D > 256 && o_max(D, kx, ties) < 0x10000; }
    // One multiply and a shift where some m = ceil(2^(16+s)/D) below 2^16 is exact up to
    // o_max (m D - 2^(16+s) times o_max below 2^(16+s)), as for most windows (63x63: s = 11);
    // Granlund & Montgomery's five operations otherwise.
    static bool one_mul(int D, int kx, bool ties, u16* m = nullptr, int* s = nullptr) {
        const std::uint64_t omax = std::uint64_t(o_max(D, kx, ties));
        for (int t = 16; t >= 0; --t) {
            const std::uint64_t p = std::uint64_t(1) << (16 + t), mt = (p + std::uint64_t(D) - 1) / std::uint64_t(D);
            if (mt < 0x10000u && omax * (mt * std::uint64_t(D) - p) < p) {
                if (m) *m = u16(mt), *s = t;
                return true;
            }
        }
        return false;
    }
    Lanes16Above(std::ptrdiff_t above, int D, int kx, const AboveDiv& a) : up(above), e(u16(e_of(D, kx))), mul(a.mul), bits(a.bits) {}
    IMGPOOL_SL_512_INLINE void put(u8* out, bool full, Mask m, __m512i N, const Divisor& dv) const {
        const __m512i qa = _mm512_cvtepu8_epi16(full ? ld(out + up) : _mm256_maskz_loadu_epi8(m, out + up));
        const __m512i base = _mm512_sub_epi16(qa, _mm512_set1_epi16(short(e)));
        const __m512i o = _mm512_sub_epi16(N, _mm512_mullo_epi16(base, _mm512_set1_epi16(short(dv.D))));
        const __m512i f = OneMul ? _mm512_srl_epi16(_mm512_mulhi_epu16(o, _mm512_set1_epi16(short(mul))), _mm_cvtsi32_si128(bits))
                                 : div16x<2>(o, dv);
        __m512i q = _mm512_add_epi16(base, f);
        if (Ties) {  // N == q D exactly when o == f D
            const __mmask32 tie = _mm512_cmpeq_epi16_mask(_mm512_mullo_epi16(f, _mm512_set1_epi16(short(dv.D))), o);
            q = _mm512_mask_sub_epi16(q, tie, q, _mm512_and_si512(q, _mm512_set1_epi16(1)));
        }
        const __m256i b = _mm512_cvtepi16_epi8(q);
        if (full) return st(out, b);
        _mm256_mask_storeu_epi8(out, m, b);
    }
};

// sum_rows_next in 64-byte vectors, for the scans, which prefetch its rows (Ahead): half
// the instructions of the AVX2 loop, which took a third of a 4K RGB 63x63 average.
IMGPOOL_SL_512 void sum_rows_next512(const Rows& rows, i64 w, int k, size_t n, const u16* prev, u16* out) {
    const u8* a = rows(w + k - 1);
    const u8* b = rows(w - 1);
    auto step = [&](size_t j) IMGPOOL_SL_LAMBDA512 {
        const __m512i d = _mm512_sub_epi16(_mm512_cvtepu8_epi16(ld(a + j)), _mm512_cvtepu8_epi16(ld(b + j)));
        _mm512_storeu_si512(out + j, _mm512_add_epi16(_mm512_loadu_si512(prev + j), d));
    };
    size_t i = 0;
    for (; i + 32 <= n; i += 32) step(i);
    for (; i < n; ++i) out[i] = u16(prev[i] + a[i] - b[i]);
}

// The x padding of a row of y sums (fill_margins) in 64-byte moves, for the scans: each
// chunk of up to 32 cells of consecutive padding pixels takes its sources with one masked
// load and one permute. (OpenCV's borders put the sources of p consecutive padding pixels
// within p pixels; a map that does not gets more, smaller chunks.) Copied cell by cell, the
// padding took a 4K RGB 63x63 average 3-6% of its time.
class Margins512 {
public:
    Margins512() = default;
    Margins512(const std::vector<std::pair<int, int>>& m, size_t cn) {
        const int c = int(cn);
        for (size_t i = 0; i < m.size();) {
            int lo = INT_MAX, hi = INT_MIN, p = 0;
            for (; i + size_t(p) < m.size() && (p + 1) * c <= 32 && m[i + size_t(p)].first == m[i].first + p; ++p) {
                const int f = m[i + size_t(p)].second;  // -1: a zero (constant border)
                if (f < 0) continue;
                if ((std::max(hi, f) - std::min(lo, f) + 1) * c > 32) break;
                lo = std::min(lo, f), hi = std::max(hi, f);
            }
            Chunk k;
            k.to = m[i].first * c;
            k.src = lo == INT_MAX ? k.to : lo * c;
            k.load = lo == INT_MAX ? 0 : bits((hi - lo + 1) * c);
            k.store = bits(p * c);
            for (int j = 0; j < p; ++j) {
                const int f = m[i + size_t(j)].second;
                for (int ch = 0; ch < c && f >= 0; ++ch) {
                    k.keep |= __mmask32(1u << (j * c + ch));
                    k.idx[j * c + ch] = u16((f - lo) * c + ch);
                }
            }
            chunks_.push_back(k);
            i += size_t(p);
        }
    }
    IMGPOOL_SL_512 void fill(u16* row) const {
        for (const Chunk& k : chunks_) {
            const __m512i s = _mm512_maskz_loadu_epi16(k.load, row + k.src);
            _mm512_mask_storeu_epi16(row + k.to, k.store, _mm512_maskz_permutexvar_epi16(k.keep, _mm512_load_si512(k.idx), s));
        }
    }

private:
    static __mmask32 bits(int n) { return n >= 32 ? ~__mmask32(0) : __mmask32((1u << n) - 1); }
    struct Chunk {
        alignas(64) u16 idx[32] = {};
        int to = 0, src = 0;
        __mmask32 load = 0, store = 0, keep = 0;
    };
    std::vector<Chunk> chunks_;
};

// The source rows the next row's y sums read, prefetched while the scan works (spread over
// it, rather than a burst in the memory-bound y pass): the scan's output offset i, at
// about a byte of each row per output.
struct Ahead {
    const char *in, *gone;
    IMGPOOL_SL_LAMBDA512 inline void operator()(size_t i) const {
        _mm_prefetch(in + i, _MM_HINT_T0);
        _mm_prefetch(gone + i, _MM_HINT_T0);
    }
};

// The scans' permute indices for cn channels, built once (per row they cost ~0.2 ms of a 4K
// pass): lane j's source for a shift by cn << q lanes, and the lane of the last sum of lane
// j's channel in a vector of Wc outputs.
template <typename T, size_t W>
struct ScanIdx {
    alignas(64) T last[W];
    alignas(64) T shift[5][W];
};

template <typename T, size_t W>
const ScanIdx<T, W>& scan_idx(size_t cn) {
    static const std::vector<ScanIdx<T, W>> all = [] {
        std::vector<ScanIdx<T, W>> a(kScanMaxCn + 1);
        for (size_t c = 1; c <= kScanMaxCn; ++c)
            for (size_t j = 0; j < W; ++j) {
                a[c].last[j] = T(W - W % c - c + j % c);
                for (size_t q = 0; q < 5; ++q) a[c].shift[q][j] = T(j >= (c << q) ? j - (c << q) : 0);
            }
        return a;
    }();
    return all[cn];
}

// The sums of the first k cells of channels 0 .. cn-1 (cn <= 8) in lanes 0 .. cn-1, reading
// up to 8 cells past the last: k vector adds rather than k * cn scalar ones.
IMGPOOL_SL_INLINE __m256i first_sums(const u16* v, size_t cn, size_t k) {
    __m256i a = _mm256_setzero_si256();
    for (size_t t = 0; t < k; ++t) a = _mm256_add_epi32(a, _mm256_cvtepu16_epi32(ld16(v + t * cn)));
    return a;
}

// The scan along one row; Steps = the lane shifts (cn, 2cn, 4cn... below Wc) as a constant.
// A vector takes Wc = W - W % cn outputs (30 of 32 lanes for RGB), a whole number of pixels:
// then the carry (lane j: the last sum of channel j % cn) is the same in every vector's
// lane order, and goes on by one add of the vector's last sums; with W outputs the carry
// was re-permuted from the previous vector's sums, a permute and adds on the loop's
// critical path (RGB 4K, whole pass: 31x31 5.4 -> 4.9 ms, 63x63 5.7 -> 5.3).
// Scan level Q, d += d shifted up by cn << Q lanes. With cn a constant (CN) and the shift a
// whole number of dwords, valignd with zeros (4K RGB 63x63 1.5% faster than the masked vpermw).
template <class L, int CN, int Q>
IMGPOOL_SL_512_INLINE __m512i level(__m512i d, [[maybe_unused]] typename L::Mask keep, [[maybe_unused]] __m512i sidx) {
    constexpr int bytes = (CN << Q) * int(sizeof(typename L::T));
    if constexpr (CN != 0 && bytes % 4 == 0) return L::add(d, _mm512_alignr_epi32(d, _mm512_setzero_si512(), 16 - bytes / 4));
    else return L::add(d, L::shift(keep, sidx, d));
}

template <class L, int CN, int From, int... Q>
IMGPOOL_SL_512_INLINE __m512i levels(__m512i d, [[maybe_unused]] const typename L::Mask* keep, [[maybe_unused]] const __m512i* sidx, std::integer_sequence<int, Q...>) {
    ((d = Q >= From ? level<L, CN, Q>(d, keep[Q], sidx[Q]) : d), ...);
    return d;
}

template <class L, int Steps, bool Narrow, int CN = 0>
IMGPOOL_SL_512 void x_row_scan_t(const L& lanes, const u16* v, u8* out, size_t n, size_t cn, size_t k, const Divisor& div, const Ahead& pf) {
    constexpr size_t W = L::W;
    using T = typename L::T;
    const size_t Wc = W - W % cn;
    const Divisor dv = div;  // local copies: the stores cannot change them, so no reloads
    const L ln = lanes;
    const Ahead ahead = pf;
    const ScanIdx<T, W>& idx = scan_idx<T, W>(cn);
    alignas(64) T init[W];
    typename L::Mask keep[Steps + 1];
    for (int q = 0; q < Steps; ++q) keep[q] = typename L::Mask(~0ull << (cn << q));
    alignas(32) std::uint32_t first[8];  // the first cn sums directly
    _mm256_store_si256(reinterpret_cast<__m256i*>(first), first_sums(v, cn, k));
    for (size_t c = 0; c < cn; ++c) {
        for (size_t j = c; j < W; j += cn) init[j] = T(first[c] + std::uint32_t(dv.D / 2));
        out[c] = dv.scalar(first[c]);
    }
    __m512i carry = _mm512_load_si512(init);
    const __m512i lidx = _mm512_load_si512(idx.last);
    __m512i sidx[Steps + 1];
    for (int q = 0; q < Steps; ++q) sidx[q] = _mm512_load_si512(idx.shift[q]);
    const size_t far = (k - 1) * cn;
    auto step = [&](size_t i, typename L::Mask m, bool full) IMGPOOL_SL_LAMBDA512 {
        ahead(i);
        __m512i d;
        if constexpr (L::kPairs) {
            d = L::diff2(v + i + far, v + i - cn, cn, keep[0], m, full);
            d = levels<L, CN, 1>(d, keep, sidx, std::make_integer_sequence<int, Steps>{});
        } else {
            d = L::template diff<Narrow>(v + i + far, v + i - cn, m, full);
            d = levels<L, CN, 0>(d, keep, sidx, std::make_integer_sequence<int, Steps>{});
        }
        ln.put(out + i, full, m, L::add(d, carry), dv);
        carry = L::add(carry, L::perm(lidx, d));
    };
    // While W outputs remain, one mask and whole stores (the last W - Wc bytes rewritten by
    // the next vector); then the tail's masks.
    size_t i = cn;
    const typename L::Mask whole = L::mask(Wc);
    for (; i + W <= n; i += Wc) step(i, whole, true);
    for (; i < n; i += Wc) step(i, L::mask(std::min(n - i, Wc)), false);
}

template <class L, bool Narrow>
IMGPOOL_SL_512 void x_row_scan_n(const u16* v, u8* out, size_t n, size_t cn, size_t k, const Divisor& dv, const Ahead& pf, const L& ln = L{}) {
    // The common channel counts with their shifts constant (steps: cn << q below W - W % cn).
    if constexpr (L::W == 32) {
        if (cn == 1) return x_row_scan_t<L, 5, Narrow, 1>(ln, v, out, n, cn, k, dv, pf);
        if (cn == 3) return x_row_scan_t<L, 4, Narrow, 3>(ln, v, out, n, cn, k, dv, pf);
        if (cn == 4) return x_row_scan_t<L, 3, Narrow, 4>(ln, v, out, n, cn, k, dv, pf);
    }
    int steps = 0;
    for (size_t sh = cn; sh < L::W - L::W % cn; sh *= 2) ++steps;
    switch (steps) {
    case 0: return x_row_scan_t<L, 0, Narrow>(ln, v, out, n, cn, k, dv, pf);
    case 1: return x_row_scan_t<L, 1, Narrow>(ln, v, out, n, cn, k, dv, pf);
    case 2: return x_row_scan_t<L, 2, Narrow>(ln, v, out, n, cn, k, dv, pf);
    case 3: return x_row_scan_t<L, 3, Narrow>(ln, v, out, n, cn, k, dv, pf);
    case 4: return x_row_scan_t<L, 4, Narrow>(ln, v, out, n, cn, k, dv, pf);
    default: return x_row_scan_t<L, 5, Narrow>(ln, v, out, n, cn, k, dv, pf);  // 32 lanes, cn == 1
    }
}

template <class L>
IMGPOOL_SL_512 void x_row_scan_l(const u16* v, u8* out, size_t n, size_t cn, size_t k, const Divisor& dv, bool narrow, const Ahead& pf) {
    if (narrow) return x_row_scan_n<L, true>(v, out, n, cn, k, dv, pf);
    x_row_scan_n<L, false>(v, out, n, cn, k, dv, pf);
}

// The scans' x pass of one row of y sums `v` (virtual cells from 0) into n = outputs * cn bytes.
// `narrow`: every y sum below 2^15. `above`: the result row of the window one row up, where
// Lanes16Above::fits (else null), and `ad` its division (Lanes16Above::divisor, once per image).
IMGPOOL_SL_512 void x_row_scan(const u16* v, u8* out, size_t n, size_t cn, size_t k, const Divisor& dv, bool narrow, const u8* above,
                               const AboveDiv& ad, const Ahead& pf) {
    if (above) {
        const std::ptrdiff_t up = above - out;
        const int D = dv.D, kx = int(k);
        auto scan = [&](auto lanes) { x_row_scan_n<decltype(lanes), false>(v, out, n, cn, k, dv, pf, lanes); };
        if (dv.ties) return ad.one ? scan(Lanes16Above<true, true>(up, D, kx, ad)) : scan(Lanes16Above<true, false>(up, D, kx, ad));
        return ad.one ? scan(Lanes16Above<false, true>(up, D, kx, ad)) : scan(Lanes16Above<false, false>(up, D, kx, ad));
    }
    if (dv.D > 256)
        return dv.ties ? x_row_scan_l<Lanes32<true>>(v, out, n, cn, k, dv, narrow, pf) : x_row_scan_l<Lanes32<false>>(v, out, n, cn, k, dv, narrow, pf);
    switch (div16_mode(dv)) {  // 16-bit differences wrap and still end exact: narrow or not, one loop
    case 1: return x_row_scan_n<Lanes16<1>, false>(v, out, n, cn, k, dv, pf);
    case 2: return x_row_scan_n<Lanes16<2>, false>(v, out, n, cn, k, dv, pf);
    default: return x_row_scan_n<Lanes16<3>, false>(v, out, n, cn, k, dv, pf);  // k > 4 here: mode 0 never
    }
}

// ---------------------------------------------------------------- along x, max/min: AVX-512 VBMI

// Wide max/min along x with AVX-512 VBMI: windows of 2, 4 ... 2^M cells built in registers,
// one level from the one below as op(L, L shifted by d = cn << l bytes), the shift a
// two-source byte permute (vpermt2b) of a vector and its successor at that level: one load,
// M permutes, M ops and one store per 64 bytes, where the AVX2 passes are load-bound (4
// loads per 32 bytes and pass). Level l gets its vectors one step behind level l-1.
#define IMGPOOL_SL_VBMI __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vbmi")))
#define IMGPOOL_SL_LAMBDA_VBMI __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vbmi"), always_inline))

template <bool Max>
IMGPOOL_SL_512_INLINE __m512i vop512(__m512i a, __m512i b) {
    return Max ? _mm512_max_epu8(a, b) : _mm512_min_epu8(a, b);
}

// The levels' input: a row of y results (BandIn), or the y pass of van Herk's next row
// itself (HerkIn: its result vectors go to the levels in registers, not through a row),
// read below `lim` (zeros beyond: they reach no result).
struct BandIn {
    const u8* v;
    size_t lim;
    BandIn from(size_t g) const { return {v + g, lim - g}; }  // the same from byte g on
    IMGPOOL_SL_LAMBDA_VBMI inline __m512i operator()(size_t t) const {
        const size_t at = 64 * t;
        if (at + 64 <= lim) return _mm512_loadu_si512(v + at);
        if (at >= lim) return _mm512_setzero_si512();
        return _mm512_maskz_loadu_epi8(~0ull >> (64 - (lim - at)), v + at);
    }
};

// HerkIn's input bytes [lead, lead + n) are the y pass's (bytes 0 .. n-1 of its rows), the
// rest the identity: the padding of a strip at the source's ends (ignored cells), and the
// bytes before the result on the grid (xy_row_vbmi).
template <bool Max>
struct HerkIn {
    typename HerkY<Max>::Plan plan;
    u8* P;
    size_t lead, n;
    // Byte `at` - lead of row p, masked lanes only (the address may lie before the row).
    static IMGPOOL_SL_LAMBDA_VBMI inline __m512i masked(__m512i id, __mmask64 m, const u8* p, size_t at, size_t lead) {
        return _mm512_mask_loadu_epi8(id, m, reinterpret_cast<const u8*>(reinterpret_cast<std::uintptr_t>(p) + at - lead));
    }
    IMGPOOL_SL_LAMBDA_VBMI inline __m512i operator()(size_t t) const {
        const size_t at = 64 * t;
        if (at >= lead && at + 64 <= lead + n) {  // masked stores only at the ends: on Zen 4 they measured slow
            const size_t o = at - lead;
            _mm_prefetch(reinterpret_cast<const char*>(plan.ahead) + o, _MM_HINT_T0);
            const __m512i p = vop512<Max>(_mm512_loadu_si512(plan.pre + o), _mm512_loadu_si512(plan.r + o));
            if (plan.keep) _mm512_storeu_si512(P + o, p);
            return vop512<Max>(_mm512_loadu_si512(plan.s + o), p);
        }
        const __m512i id = _mm512_set1_epi8(char(Max ? 0 : 255));
        if (at + 64 <= lead || at >= lead + n) return id;
        const size_t from = at < lead ? lead - at : 0, to = std::min<size_t>(64, lead + n - at);
        const __mmask64 m = (~0ull >> (64 - (to - from))) << from;
        const __m512i p = vop512<Max>(masked(id, m, plan.pre, at, lead), masked(id, m, plan.r, at, lead));
        if (plan.keep) _mm512_storeu_si512(P + (std::ptrdiff_t(at) - std::ptrdiff_t(lead)), p);  // identity into P's slack: no masked store
        return vop512<Max>(masked(id, m, plan.s, at, lead), p);
    }
};

// Q < 0: a[i] = op of v[i + t*cn] (v: the input), t < 2^M, for i < m, in whole vectors (a
// holds round_up(m, 64) bytes). Q = 0 or 1: the last level joined in registers too, a[i] = op of
// the windows of 2^M at i and i + D (D = 64 Q + D % 64), for i < m, the last vector masked
// and whole vectors non-temporal where `nt` (a 64-byte aligned): no row of windows of 2^M
// stored and loaded again. The first `skip` bytes of `a` are not written (a result that
// begins off the grid, aligned down: its whole lines then stream).
template <bool Max, int M, int Q, class In>
IMGPOOL_SL_VBMI void x_levels(const In& input, u8* a, size_t m, size_t cn, size_t D, bool nt, size_t skip) {
    const In in = input;  // a local copy: the stores cannot change it, so no reloads per vector
    static constexpr struct alignas(64) Iota {
        u8 b[64] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                    22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
                    44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
    } iota{};
    const __m512i j = _mm512_load_si512(iota.b);
    __m512i idx[M + 1], prev[M], h0 = _mm512_setzero_si512(), h1 = h0;
    for (int l = 0; l <= M; ++l) {  // lane j takes byte j + d; 64 and up: the successor's
        idx[l] = _mm512_add_epi8(j, _mm512_set1_epi8(char(l < M ? cn << l : D % 64)));
        if (l < M) prev[l] = _mm512_setzero_si512();
    }
    auto put = [&](size_t w, __m512i x) IMGPOOL_SL_LAMBDA_VBMI {
        const size_t at = 64 * w;
        if (at + 64 > m || at < skip) {
            const __mmask64 keep = (at + 64 > m ? ~0ull >> (64 - (m - at)) : ~0ull) & (at < skip ? ~0ull << skip : ~0ull);
            return _mm512_mask_storeu_epi8(a + at, keep, x);
        }
        if (nt) return _mm512_stream_si512(reinterpret_cast<__m512i*>(a + at), x);
        _mm512_storeu_si512(a + at, x);
    };
    // Step t: level l receives its vector t - l, and with the one before makes level l+1's;
    // the join gets level M's vector u = t - M and makes result vector u - 1 - Q.
    auto step = [&](size_t t, bool warm) IMGPOOL_SL_LAMBDA_VBMI {
        __m512i cur = in(t);
        for (int l = 0; l < M; ++l) {
            if (warm && t == size_t(l)) {
                prev[l] = cur;
                return;
            }
            const __m512i up = vop512<Max>(prev[l], _mm512_permutex2var_epi8(prev[l], idx[l], cur));
            prev[l] = cur;
            cur = up;
        }
        const size_t u = t - M;
        if (Q < 0) return _mm512_storeu_si512(a + 64 * u, cur);
        if (Q == 0) {
            if (!warm || u >= 1) put(u - 1, vop512<Max>(h0, _mm512_permutex2var_epi8(h0, idx[M], cur)));
            h0 = cur;
            return;
        }
        if (!warm || u >= 2) put(u - 2, vop512<Max>(h0, _mm512_permutex2var_epi8(h1, idx[M], cur)));
        h0 = h1;
        h1 = cur;
    };
    const size_t T = (m + 63) / 64, lag = size_t(M) + (Q < 0 ? 0 : 1 + Q);
    for (size_t t = 0; t < lag; ++t) step(t, true);
    for (size_t t = lag; t < T + lag; ++t) step(t, false);
}

template <bool Max, int Q, class In>
IMGPOOL_SL_VBMI void x_levels_m(const In& in, u8* a, size_t m, size_t cn, int M, size_t D, bool nt, size_t skip = 0) {
    switch (M) {
    case 1: return x_levels<Max, 1, Q>(in, a, m, cn, D, nt, skip);
    case 2: return x_levels<Max, 2, Q>(in, a, m, cn, D, nt, skip);
    case 3: return x_levels<Max, 3, Q>(in, a, m, cn, D, nt, skip);
    case 4: return x_levels<Max, 4, Q>(in, a, m, cn, D, nt, skip);
    case 5: return x_levels<Max, 5, Q>(in, a, m, cn, D, nt, skip);
    case 6: return x_levels<Max, 6, Q>(in, a, m, cn, D, nt, skip);
    default: return x_levels<Max, 7, Q>(in, a, m, cn, D, nt, skip);
    }
}

// The levels of windows of 2^M <= k cells (shifts up to one vector), and whether one join
// of two of them in registers ends the row: k < 2W and their offset D = (k - W) cn under
// two vectors (k = 63, RGB: 5 levels, D = 93).
struct Levels {
    int M = 0;
    size_t W = 1, D = 0;
    bool joined = false;
    Levels(size_t K, size_t cn) {
        while (M < 7 && (size_t(2) << M) <= K && (cn << M) <= 64) ++M;
        W = size_t(1) << M;
        D = (K - W) * cn;
        joined = M > 0 && K < 2 * W && D < 128;
    }
};

template <bool Max, class In>
IMGPOOL_SL_VBMI void x_joined_nt(const In& in, const Levels& lv, u8* out, size_t n, size_t cn, bool nt, size_t skip = 0) {
    if (lv.D < 64) return x_levels_m<Max, 0>(in, out, n, cn, lv.M, lv.D, nt, skip);
    x_levels_m<Max, 1>(in, out, n, cn, lv.M, lv.D, nt, skip);
}

// Non-temporal stores need the 64-byte grid: a streamed row off it has its first g bytes,
// up to the grid, done plainly by a call of their own, which repeats the warm-up steps
// (M + 2 + Q vectors: 8 for 63x63). A row stored plainly took 1.8x as long (4K RGB, 63x63).
// Rows of under a line past the grid are stored plainly, as by_alignment does.
template <bool Max>
IMGPOOL_SL_VBMI void x_joined(const BandIn& in, const Levels& lv, u8* out, size_t n, size_t cn, bool stream) {
    const size_t g = to_grid(out);
    if (!stream || g == 0 || g + 64 > n) return x_joined_nt<Max>(in, lv, out, n, cn, stream && g == 0);
    x_joined_nt<Max>(in, lv, out, g, cn, false);
    x_joined_nt<Max>(in.from(g), lv, out + g, n - g, cn, true);
}

// x_joined with the y pass of van Herk's next row as its input (`lv.joined` only): the y
// pass's bytes begin `lead` bytes into the input (the identity before them and after). A
// streamed row off the 64-byte grid is taken from the line it begins in, its first bytes
// not written, so that its whole lines stream. (Split as x_joined does, with the warm-up
// and the y pass done twice over the first steps, 4K RGB 63x63 unpadded took 2.65 ms,
// against 2.28 ms through HerkY::next and x_joined.)
template <bool Max>
IMGPOOL_SL_VBMI void xy_row_vbmi(HerkY<Max>& herk, const Levels& lv, u8* out, size_t n, size_t cn, size_t lead, bool stream) {
    const size_t g = stream ? reinterpret_cast<std::uintptr_t>(out) & 63 : 0;
    const HerkIn<Max> in{herk.advance(), herk.P, lead + g, herk.n};
    x_joined_nt<Max>(in, lv, out - g, n + g, cn, stream, g);
}

// x_row_maxmin_wide's result: the levels up to windows of W = 2^M <= k cells (shifts up to
// one vector), then one join of two windows of W in registers where k < 2W and their
// offset D = (k - W) cn is under two vectors (k = 63, RGB: 5 levels, D = 93), else
// x_row_maxmin_wide's passes and join from windows of W.
template <bool Max>
IMGPOOL_SL_VBMI void x_row_maxmin_vbmi(const u8* v, u8* a, u8* out, size_t n, size_t cn, int k, bool stream) {
    const size_t K = size_t(k);
    const Levels lv(K, cn);
    if (lv.M == 0) return x_row_maxmin_wide<Max>(v, a, out, n, cn, k, stream);
    const BandIn in{v, n + (K - 1) * cn};
    if (lv.joined) return x_joined<Max>(in, lv, out, n, cn, stream);
    x_levels_m<Max, -1>(in, a, n + (K - lv.W) * cn, cn, lv.M, 0, false);
    x_row_maxmin_from<Max>(a, lv.W, a, out, n, cn, K, stream);
}

#pragma GCC diagnostic pop

// ---------------------------------------------------------------- the engines

size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

// Storage for vectors (std::vector<__m256i> would drop the type's attributes).
struct alignas(32) Lane32 {
    u8 b[32];
};
struct alignas(16) Lane16 {
    u8 b[16];
};

// AVX-512 loops where the CPU has them; IMGPOOL_SLIDING_ISA=avx2 keeps to the AVX2 ones (for
// tests and comparisons).
bool use_avx512() {
    static const bool hardware = cv::checkHardwareSupport(CV_CPU_AVX_512F) && cv::checkHardwareSupport(CV_CPU_AVX_512BW) &&
                                 cv::checkHardwareSupport(CV_CPU_AVX_512VL);
    const char* cap = std::getenv("IMGPOOL_SLIDING_ISA");
    return hardware && !(cap && std::strcmp(cap, "avx2") == 0);
}

// The VBMI levels of wide max/min along x where the CPU has them (same override).
bool use_vbmi() {
    static const bool hardware = cv::checkHardwareSupport(CV_CPU_AVX_512VBMI);
    return hardware && use_avx512();
}

// Row mode's x pass at strides beyond 1 by two-source permutes where the CPU has them
// (vpermt2b for bytes, vpermt2w for the y sums of averages; VBMI for both, as the code is
// compiled for it): each step loads 2V values from output o's first cell and takes K_ of
// them (whole pixels), one permute per tap, the taps joined by max, min or +. Else the x
// pass at every cell and subsample(), which took more than half of max 3x3/2's time.
enum class Join { max, min, add };

template <typename T, Join J>
class Strided {
public:
    static constexpr size_t V = 64 / sizeof(T);  // values per vector

    Strided() = default;
    Strided(size_t cn, size_t s, size_t k) : cn_(cn), s_(s), k_(k) {
        const size_t reach = (k - 1) * cn;  // of a step's last pixel past its first cell
        if (reach + 2 * s * cn > 2 * V || !use_vbmi()) return;  // 2+ pixels a step
        K_ = std::min((2 * V - cn - reach) / (s * cn) + 1, V / cn) * cn;  // within the loads and a vector
        idx_.assign(k * V, T(0));
        for (size_t t = 0; t < k; ++t)
            for (size_t j = 0; j < K_; ++j) idx_[t * V + j] = T(s * cn * (j / cn) + j % cn + t * cn);
    }
    bool fast() const { return K_ > 0; }

    // out[o cn + c] = join over taps t < k of f[o s cn + t cn + c], o < outputs, from the n
    // readable values of f.
    void run(const T* f, size_t n, T* out, size_t outputs) const {
        if (k_ == 1) run_k<1>(f, n, out, outputs * cn_);
        else run_k<0>(f, n, out, outputs * cn_);
    }

private:
    size_t cn_ = 1, s_ = 1, k_ = 1, K_ = 0;
    std::vector<T> idx_;  // k tables of V

    // Taps: k_, or a constant 1 (its table kept in a register: stores through T* could
    // otherwise alias it, and with it reloaded every step one tap was 10% slower).
    template <int Taps>
    IMGPOOL_SL_VBMI void run_k(const T* f, size_t n, T* out, size_t total) const {
        const __m512i idx0 = _mm512_loadu_si512(idx_.data());
        const auto taps = [&](__m512i a, __m512i b) IMGPOOL_SL_LAMBDA_VBMI {
            __m512i r = permute(a, idx0, b);
            if constexpr (Taps != 1)
                for (size_t t = 1; t < k_; ++t) {
                    const __m512i p = permute(a, _mm512_loadu_si512(idx_.data() + t * V), b);
                    if constexpr (J == Join::max) r = _mm512_max_epu8(r, p);
                    else if constexpr (J == Join::min) r = _mm512_min_epu8(r, p);
                    else r = _mm512_add_epi16(r, p);
                }
            return r;
        };
        size_t o = 0, i = 0;
        for (; o + V <= total && i + 2 * V <= n; o += K_, i += K_ * s_)
            _mm512_storeu_si512(out + o, taps(_mm512_loadu_si512(f + i), _mm512_loadu_si512(f + i + V)));
        for (; o < total; o += K_, i += K_ * s_) {  // i < n: output o's first cell
            const std::ptrdiff_t left = std::ptrdiff_t(n - i), count = std::ptrdiff_t(std::min(K_, total - o));
            store(out + o, taps(load(f + i, left), load(f + i + V, left - std::ptrdiff_t(V))), count);
        }
    }
    static IMGPOOL_SL_VBMI __m512i permute(__m512i a, __m512i idx, __m512i b) {
        if constexpr (sizeof(T) == 1) return _mm512_permutex2var_epi8(a, idx, b);
        else return _mm512_permutex2var_epi16(a, idx, b);
    }
    static IMGPOOL_SL_VBMI std::uint64_t first(std::ptrdiff_t c) {  // the first c of V lanes
        return c <= 0 ? 0 : c >= std::ptrdiff_t(V) ? ~0ull >> (64 - V) : (1ull << c) - 1;
    }
    static IMGPOOL_SL_VBMI __m512i load(const T* p, std::ptrdiff_t c) {
        if constexpr (sizeof(T) == 1) return _mm512_maskz_loadu_epi8(first(c), p);
        else return _mm512_maskz_loadu_epi16(__mmask32(first(c)), p);
    }
    static IMGPOOL_SL_VBMI void store(T* p, __m512i v, std::ptrdiff_t c) {
        if constexpr (sizeof(T) == 1) _mm512_mask_storeu_epi8(p, first(c), v);
        else _mm512_mask_storeu_epi16(p, __mmask32(first(c)), v);
    }
};

// What both engines share: the job's sizes, the identity row, the x padding to fill, and
// the staging rows for the tiles' rows past the result's end.
struct Base {
    const Job& jb_;
    const size_t cn_;
    size_t vlen_ = 0, real_ = 0, stride_ = 0, chunk_ = 0, ostride_ = 0;
    bool tiles_ = false;
    std::vector<u8> ident_, stage_;
    std::vector<std::pair<int, int>> margins_;

    Base(const Job& jb, u8 identity)
        : jb_(jb), cn_(size_t(jb.cn)), vlen_(size_t(jb.x.len) * cn_), real_(size_t(jb.x.hi - jb.x.lo) * cn_),
          stride_(round_up(vlen_, 32) + 64), ostride_(round_up(size_t(jb.x.out) * cn_, 32) + 64),
          ident_(real_ + 64, identity), margins_(x_margins(jb)) {}

    // Where band row r's results go: the result, or for the rows past its end a staging
    // row. Tiles store 16 rows 32 bytes at a time: non-temporal stores (directly, or from
    // staging rows as before) measured no faster than plain ones, and staging cost a copy.
    u8* out_row(int b, int r, int rows) {
        return r < rows ? jb_.dst->ptr<u8>(b + r) : stage_.data() + size_t(r) * ostride_;
    }
};

template <bool Max>
class MaxMin : Base {
public:
    MaxMin(const Job& jb) : Base(jb, Max ? 0 : 255) {
        const Axis &x = jb.x, &y = jb.y;
        zero_.assign(real_ + 64, 0);
        rows_ = make_rows(jb, ident_.data(), zero_.data());
        ymeth_.rows = rows_;
        ymeth_.k = y.k;
        ymeth_.s = y.s;
        ymeth_.n = real_;
        if (y.k > 4) {
            p_.resize(64 + real_ + 64);  // a vector's slack either side for HerkIn's edge stores
            s_.resize(size_t(y.k) * real_ + 64);
            ymeth_.herk = HerkY<Max>{rows_, y.k, real_, p_.data() + 64, s_.data(), 0, 0, nullptr};
        }
        if (x.s > 1) strided_ = Strided<u8, Max ? Join::max : Join::min>(cn_, size_t(x.s), size_t(x.k));
        if (x.s > 1 && !strided_.fast()) full_.resize(size_t(x.len - x.k + 1) * cn_ + 64);
        band_.assign(stride_, u8(Max ? 0 : 255));
        if (x.k > kDirectMax) wide_.assign(stride_ + 32, 0);
        vbmi_ = x.k > kDirectMax && use_vbmi();
        // 3x3 to 9x9: two result rows a pass (sliding_pairs_u8.hpp). Streamed, each pair's
        // second row through a staging row unless every result row starts on the 64-byte grid.
        const bool grid = jb.dst->step[0] % 64 == 0 && to_grid(jb.dst->data) == 0;
        staged_ = jb.stream && !grid;
        if (x.k == y.k && x.s == 1 && y.s == 1) {
            const PairStores nt = !jb.stream ? PairStores::plain : staged_ ? PairStores::first : PairStores::both;
            pairs_ = pairs_kernel(Max, x.k, int(cn_), nt, use_avx512());
        }
    }

    // Row mode only, at any width (transposed tiles measured slower for max/min).
    IMGPOOL_SL_AVX2 void run(int oy0, int oy1) {
        const Axis& y = jb_.y;
        if (pairs_ && run_pairs(oy0, oy1)) return;
        if (y.s == 1 && jb_.x.s == 1 && y.k == jb_.x.k && y.k >= 2 && y.k <= kDirectMax) switch (y.k) {
            case 2: return run_fused<2>(oy0, oy1);
            case 3: return run_fused<3>(oy0, oy1);
            case 4: return run_fused<4>(oy0, oy1);
            case 5: return run_fused<5>(oy0, oy1);
            default: return run_fused<6>(oy0, oy1);
            }
        if (y.k > 4 && jb_.x.s == 1) return run_strips(oy0, oy1);  // van Herk: y.s == 1
        u8* v = band_.data() + size_t(jb_.x.lo) * cn_;
        for (int oy = oy0; oy < oy1; ++oy) {
            ymeth_.row(y.v0 + i64(oy) * y.s, v, oy == oy0);
            fill_margins(band_.data(), margins_, cn_);
            u8* out = jb_.dst->ptr<u8>(oy);
            if (jb_.x.s == 1) {
                x_row(band_.data(), out, size_t(jb_.x.out) * cn_, jb_.stream);
                continue;
            }
            if (strided_.fast()) {
                strided_.run(band_.data(), vlen_, out, size_t(jb_.x.out));
                continue;
            }
            x_row(band_.data(), full_.data(), full_.size() - 64, false);
            subsample(full_.data(), out, size_t(jb_.x.out), cn_, size_t(jb_.x.s));
        }
        _mm_sfence();
    }

    // Van Herk along y (k > 4) over column strips of the result, each strip down all the
    // rows: the strip's suffix rows and the k source rows it reads twice (when they come in
    // and when their block is complete) then stay in the cache (4K RGB at k = 63: 62 suffix
    // rows of the whole row are 714 KB, and as much of source rows: one strip). A strip's y pass
    // covers the cells its windows read, [o0, o1 + k - 1), and the source cells its filled
    // padding copies.
    IMGPOOL_SL_AVX2 void run_strips(int oy0, int oy1) {
        const Axis &x = jb_.x, &y = jb_.y;
        const int per = strip_outputs();
        std::vector<std::pair<int, int>> margins;
        for (int o0 = 0; o0 < x.out; o0 += per) {
            const int o1 = std::min(x.out, o0 + per), a = o0, b = o1 + x.k - 1;
            int ya = std::max(a, x.lo), yb = std::min(b, x.hi);
            margins.clear();
            for (const auto& m : margins_) {
                if (m.first < a || m.first >= b) continue;
                margins.push_back(m);
                if (m.second >= 0) ya = std::min(ya, m.second), yb = std::max(yb, m.second + 1);
            }
            if (ya >= yb) ya = std::clamp(a, x.lo, x.hi - 1), yb = ya + 1;  // all padding: not reached
            ymeth_.herk.rows.off = rows_.off + size_t(ya - x.lo) * cn_;
            ymeth_.herk.n = size_t(yb - ya) * cn_;
            // With VBMI and no padding to fill (the source's, or ignored cells): after the
            // strip's first row, the y pass inside the x pass, no row of y results in between
            // (xy_row_vbmi): 4K RGB 63x63 with ignored SAME padding 4% faster than with the
            // padded ends through a row of y results.
            const bool fused = vbmi_ && levels_.joined && margins.empty() && ya >= a;
            for (int oy = oy0; oy < oy1; ++oy) {
                u8* out = jb_.dst->ptr<u8>(oy) + size_t(o0) * cn_;
                if (fused && oy > oy0) {
                    xy_row_vbmi<Max>(ymeth_.herk, levels_, out, size_t(o1 - o0) * cn_, cn_, size_t(ya - a) * cn_, jb_.stream);
                    continue;
                }
                ymeth_.row(y.v0 + oy, band_.data() + size_t(ya) * cn_, oy == oy0);
                fill_margins(band_.data(), margins, cn_);
                x_row(band_.data() + size_t(a) * cn_, out, size_t(o1 - o0) * cn_, jb_.stream);
            }
        }
        _mm_sfence();
    }

    // Outputs per strip: the strip's 2k rows of y pass (k - 1 suffixes, k source rows)
    // within strip_budget(), at least 2 KB, a whole number of 64-byte lines of result.
    int strip_outputs() const {
        const size_t bytes = std::max<size_t>(strip_budget() / (2 * size_t(jb_.y.k)), 2048);
        return int(std::max<size_t>(bytes / cn_ / 64, 1) * 64);
    }

    // K x K windows (3 to 9): each pair of result rows by pairs_ over the bytes whose windows
    // and vectors stay within the source rows, the ends (and the padding) through the band
    // rows as one row at a time does; a last odd row that way whole. False, with nothing
    // done, for rows too short for a 64-byte step between their ends.
    IMGPOOL_SL_AVX2 bool run_pairs(int oy0, int oy1) {
        switch (jb_.x.k) {
        case 3: return run_pairs<3>(oy0, oy1);
        case 5: return run_pairs<5>(oy0, oy1);
        case 7: return run_pairs<7>(oy0, oy1);
        default: return run_pairs<9>(oy0, oy1);
        }
    }
    template <int K>
    IMGPOOL_SL_AVX2 bool run_pairs(int oy0, int oy1) {
        const Axis& y = jb_.y;
        const size_t nx = size_t(jb_.x.out) * cn_, lo = size_t(jb_.x.lo) * cn_;
        // Output byte o's windows are centred on source byte o + shift of rows_().
        const std::ptrdiff_t shift = std::ptrdiff_t(K / 2 * cn_) - std::ptrdiff_t(lo);
        const std::ptrdiff_t first = std::max<std::ptrdiff_t>(64 - shift, 0);
        // Each pass begins on the grid of its pair's first row, at most 63 bytes after
        // `first`, and takes at least one 64-byte step.
        auto begin_at = [&](int oy) { return first + std::ptrdiff_t(to_grid(jb_.dst->ptr<u8>(oy) + first)); };
        const std::ptrdiff_t limit = std::min(std::ptrdiff_t(nx), std::ptrdiff_t(real_) - 64 - shift);
        if (limit - (first + 63) < 64) return false;
        if (band2_.empty()) band2_.assign(stride_, u8(Max ? 0 : 255));
        if (staged_ && pair_stage_.empty()) pair_stage_.assign(stride_ + 64, 0);
        int oy = oy0;
        for (; oy + 1 < oy1; oy += 2) {
            const i64 w = y.v0 + oy;  // the first row of row oy's windows
            const u8* r[K + 1];
            for (int t = 0; t <= K; ++t) r[t] = rows_(w + t);
            const u8* ahead[2] = {rows_(w + K + 1), rows_(w + K + 2)};
            u8* d0 = jb_.dst->ptr<u8>(oy);
            u8* d1 = jb_.dst->ptr<u8>(oy + 1);
            const std::ptrdiff_t begin = begin_at(oy);
            const size_t b = size_t(begin), e = size_t(begin + (limit - begin) / 64 * 64);
            if (staged_) pairs_staged(r, ahead, d0, d1, b, e, shift);
            else pairs_(r, ahead, d0, d1, b, e, shift);
            row_ends<K>(r, band_.data(), d0, b, e);
            row_ends<K>(r + 1, band2_.data(), d1, b, e);
        }
        if (oy < oy1) {
            ymeth_.row(y.v0 + oy, band_.data() + lo, true);
            fill_margins(band_.data(), margins_, cn_);
            x_row(band_.data(), jb_.dst->ptr<u8>(oy), nx, jb_.stream);
        }
        _mm_sfence();
        return true;
    }

    // pairs_ on a pair of streamed rows not all on the 64-byte grid: with the pass aligned to
    // the first row, the second row's results go to pair_stage_ a chunk at a time, and each
    // chunk's whole lines of d1 are streamed from there while still in L1 (the bytes before
    // d1's first line and after its last: plainly, so that no line is written both ways).
    // 3838x2160 RGB 3x3 max, one thread: 1.2-1.3x faster than one row at a time; d1 stored
    // plainly from the pass instead: 1.15x this one's time; the staging row off the grid of
    // d0: 1.1x; chunks of 1 to 16 KB alike.
    IMGPOOL_SL_AVX2 void pairs_staged(const u8* const* r, const u8* const* ahead, u8* d0, u8* d1, size_t b, size_t e,
                                      std::ptrdiff_t shift) {
        constexpr size_t kChunk = 2048;
        // The staging row's bytes from b on the grid, as the kernel's stores to d0 are.
        u8* stage = pair_stage_.data() + to_grid(pair_stage_.data() + b);
        size_t done = b;
        for (size_t c = b; c < e; c += kChunk) {
            const size_t c2 = std::min(e, c + kChunk);
            pairs_(r, ahead, d0, stage, c, c2, shift);
            const size_t to = c2 == e ? e : c2 - (reinterpret_cast<std::uintptr_t>(d1 + c2) & 63);
            by_alignment(d1 + done, to - done, true, [&](size_t o, size_t n, auto nt) IMGPOOL_SL_LAMBDA {
                copy_row<decltype(nt)::value>(stage + done + o, d1 + done + o, n);
            });
            done = to;
        }
    }

    // The results of one row outside [b, e): the y results of the source rows r[0..K-1] that
    // their windows read into band row `band`, its padding, then the x pass. The padding
    // copies cells within K - 1 of the source's ends (no window lies wholly in the padding),
    // inside those ranges: the interior leaves at least 64 bytes at either end.
    template <int K>
    IMGPOOL_SL_AVX2 void row_ends(const u8* const* r, u8* band, u8* out, size_t b, size_t e) {
        const size_t nx = size_t(jb_.x.out) * cn_, lo = size_t(jb_.x.lo) * cn_, reach = b + (K - 1) * cn_;
        const size_t left = std::min(real_, reach - std::min(lo, reach)), right = e - std::min(lo, e);
        const u8* rr[K];
        for (int t = 0; t < K; ++t) rr[t] = r[t] + right;
        op_rows_c<Max, K>(band + lo, r, left, nullptr, 0);
        op_rows_c<Max, K>(band + lo + right, rr, real_ - right, nullptr, 0);
        fill_margins(band, margins_, cn_);
        x_row(band, out, b, false);
        x_row(band + e, out + e, nx - e, false);
    }

    // Square windows of 2 to kDirectMax (stride 1): the y pass of row oy+1 in the same loop
    // as the x pass of row oy, so that the source's loads and the result's stores overlap
    // (13% fewer cycles for 3x3 than one pass after the other; 5x5, whose y pass was van
    // Herk's: 1.74 -> 1.52 ms on 4K RGB).
    template <int W>
    IMGPOOL_SL_AVX2 void run_fused(int oy0, int oy1) {
        const Axis& y = jb_.y;
        const size_t lo = size_t(jb_.x.lo) * cn_, nx = size_t(jb_.x.out) * cn_, ny = real_, cn = cn_;
        if (band2_.empty()) band2_.assign(stride_, u8(Max ? 0 : 255));
        ymeth_.row(y.v0 + oy0, band_.data() + lo, true);
        fill_margins(band_.data(), margins_, cn_);
        for (int oy = oy0; oy < oy1; ++oy) {
            u8* out = jb_.dst->ptr<u8>(oy);
            if (oy + 1 == oy1) {
                x_row(band_.data(), out, nx, jb_.stream);
                break;
            }
            const u8* r[W + 1];
            for (int t = 0; t <= W; ++t) r[t] = rows_(y.v0 + oy + 1 + t);  // r[W]: the next row in
            by_alignment(out, nx, jb_.stream, [&](size_t o, size_t c, auto nt) IMGPOOL_SL_LAMBDA {
                // the y pass from o to the x pass's end, or to the row's for the last part
                const size_t y_end = o + c == nx ? ny : std::min(ny, o + c), m = y_end > o ? y_end - o : 0;
                const u8* ro[W + 1];
                for (int t = 0; t <= W; ++t) ro[t] = r[t] + o;
                fused_row<W, decltype(nt)::value>(ro, band2_.data() + lo + o, band_.data() + o, out + o, m, c, cn);
            });
            fill_margins(band2_.data(), margins_, cn_);
            std::swap(band_, band2_);
        }
        _mm_sfence();
    }

    // yb = op of rows r[0 .. W-1] (ny bytes); out = op of xb's W taps (nx bytes).
    template <int W, bool NT>
    static IMGPOOL_SL_ROW void fused_row(const u8* const* rows, u8* yb, const u8* xb, u8* out, size_t ny, size_t nx, size_t cn) {
        const u8* r[W + 1];  // a local copy: the stores cannot change it, so no reloads per vector
        std::copy(rows, rows + W + 1, r);
        const size_t m = std::min(nx, ny);
        size_t i = 0;
        for (; i + 32 <= m; i += 32) {
            _mm_prefetch(reinterpret_cast<const char*>(r[W]) + i, _MM_HINT_T0);
            __m256i a = ld(r[0] + i), b = ld(xb + i);
            for (int t = 1; t < W; ++t) {
                a = vop<Max>(a, ld(r[t] + i));
                b = vop<Max>(b, ld(xb + i + size_t(t) * cn));
            }
            st(yb + i, a);
            put<NT>(out + i, b);
        }
        const u8* rest[W + 1];
        for (int t = 0; t <= W; ++t) rest[t] = r[t] + i;
        if (i < ny) op_rows_c<Max, W>(yb + i, rest, ny - i, rest + W, 1);
        if (i < nx) x_row_maxmin_k<Max, W, NT>(xb + i, out + i, nx - i, cn);
    }

private:
    std::vector<u8> zero_, p_, s_, band_, band2_, full_, wide_, pair_stage_;
    Strided<u8, Max ? Join::max : Join::min> strided_;
    Rows rows_{};
    MaxMinY<Max> ymeth_;
    bool vbmi_ = false;
    Levels levels_{size_t(jb_.x.k), cn_};
    PairsFn pairs_ = nullptr;
    bool staged_ = false;  // streamed results off the 64-byte grid (run_pairs)

    // The x pass of the y results `v` (virtual cells from the first output's) into n bytes.
    IMGPOOL_SL_AVX2 void x_row(const u8* v, u8* out, size_t n, bool stream) {
        if (jb_.x.k <= kDirectMax) return x_row_maxmin<Max>(v, out, n, cn_, jb_.x.k, stream);
        if (vbmi_) return x_row_maxmin_vbmi<Max>(v, wide_.data(), out, n, cn_, jb_.x.k, stream);
        x_row_maxmin_wide<Max>(v, wide_.data(), out, n, cn_, jb_.x.k, stream);
    }
};

class Avg : Base {
public:
    Avg(const Job& jb) : Base(jb, 0), div_(jb.divisor, jb.half_even) {
        const Axis& x = jb.x;
        rows_ = make_rows(jb, ident_.data(), ident_.data());
        // Wide windows: the AVX-512 scans where the CPU has them (measured faster than the
        // tiles), else transposed tiles. IMGPOOL_SLIDING_ISA=avx2 keeps to the tiles (for
        // tests and comparisons).
        const bool avx512 = use_avx512();
        const bool wide = x.k > kRowModeAvg || jb.divisor > 256;
        scan_ = wide && avx512 && x.s == 1 && cn_ <= kScanMaxCn;
        if (scan_) margins512_ = Margins512(margins_, cn_);
        tiles_ = wide && !scan_;
        if (x.s > 1) full_.resize(size_t(x.len - x.k + 1) * cn_ + 64), sums_ = Strided<u16, Join::add>(cn_, size_t(x.s), size_t(x.k));
        // Row mode and the scans: one row of y sums, updated in place (half the footprint of
        // two alternating rows, which with the source rows spilled out of L1).
        band_.assign(kFront + stride_ * (tiles_ ? 16 : 1), 0);
        if (tiles_) {
            chunk_ = 512;
            const size_t m = round_up((chunk_ + size_t(x.k) - 1) * cn_, 8) + 8;
            t_.resize(m);
            o_.resize(round_up(chunk_ * cn_, 32) + 32);
            stage_.resize(16 * ostride_);
        }
    }

    IMGPOOL_SL_AVX2 void run(int oy0, int oy1) {
        const Axis& y = jb_.y;
        const size_t lo = size_t(jb_.x.lo) * cn_;
        const int R = tiles_ ? 16 : 1;
        u16* prev = nullptr;
        const bool above = scan_ && y.s == 1 && Lanes16Above<false, false>::fits(div_.D, jb_.x.k, div_.ties);
        const AboveDiv ad = above ? Lanes16Above<false, false>::divisor(div_.D, jb_.x.k, div_.ties) : AboveDiv{};
        for (int b = oy0; b < oy1; b += R) {
            const int rows = std::min(R, oy1 - b);
            for (int r = 0; r < rows; ++r) {
                u16* v = row(r) + lo;
                const bool first = !prev || y.s > 1;
                if (first) sum_rows_first(rows_, y.v0 + i64(b + r) * y.s, y.k, y.s, real_, v);
                else if (scan_) sum_rows_next512(rows_, y.v0 + b + r, y.k, real_, prev, v);
                else sum_rows_next(rows_, y.v0 + b + r, y.k, real_, prev, v);
                prev = v;
                if (scan_) margins512_.fill(row(r));
                else fill_margins(row(r), margins_, cn_);
                if (tiles_) continue;
                if (scan_) {
                    const u8* up = above && !first ? jb_.dst->ptr<u8>(b + r - 1) : nullptr;
                    const i64 w = y.v0 + i64(b + r) * y.s;
                    const Ahead pf{reinterpret_cast<const char*>(rows_(w + y.k)), reinterpret_cast<const char*>(rows_(w))};
                    x_row_scan(row(r), jb_.dst->ptr<u8>(b + r), size_t(jb_.x.out) * cn_, cn_, size_t(jb_.x.k), div_, jb_.y.k <= 128, up, ad, pf);
                    continue;
                }
                if (jb_.x.s == 1) {
                    x_row_avg(row(r), jb_.dst->ptr<u8>(b + r), size_t(jb_.x.out) * cn_, cn_, jb_.x.k, div_, jb_.stream);
                } else {
                    const size_t outputs = size_t(jb_.x.out);
                    if (sums_.fast()) {
                        sums_.run(row(r), vlen_, full_.data(), outputs);
                    } else {
                        x_row_sums(row(r), full_.data(), size_t(jb_.x.len - jb_.x.k + 1) * cn_, cn_, jb_.x.k);
                        subsample(full_.data(), full_.data(), outputs, cn_, size_t(jb_.x.s));  // in place: o <= o*s
                    }
                    x_row_avg(full_.data(), jb_.dst->ptr<u8>(b + r), outputs * cn_, cn_, 1, div_, false);
                }
            }
            if (!tiles_) continue;
            band_x(b, rows);
        }
        _mm_sfence();
    }

private:
    const Divisor div_;
    bool scan_ = false;
    Margins512 margins512_;
    std::vector<u16> full_;
    Strided<u16, Join::add> sums_;
    std::vector<u16> band_;
    std::vector<Lane32> t_;
    std::vector<Lane16> o_;
    Rows rows_{};

    // The scans' first level reads up to 2 cn cells before a row (lanes it then clears).
    static constexpr size_t kFront = 32;  // 2 kScanMaxCn, rounded to keep rows 64-byte aligned
    u16* row(int r) { return band_.data() + kFront + size_t(r) * stride_; }
    __m128i* o() { return reinterpret_cast<__m128i*>(o_.data()); }

    // Running sums along x over one channel's tile vectors, each output divided and
    // packed to 16 bytes (lane r = row r).
    IMGPOOL_SL_AVX2 void sums_x(const __m256i* t, __m128i* o, size_t c, size_t k) {
        const size_t cn = cn_;
        const Divisor dv = div_;  // a local copy: the stores below cannot change it, so no reloads
        if (dv.D <= 256) {
            switch (div16_mode(dv)) {
            case 1: return sums_x16<1>(t, o, c, k, cn, dv);
            case 2: return sums_x16<2>(t, o, c, k, cn, dv);
            default: return sums_x16<3>(t, o, c, k, cn, dv);  // D > 4 here: mode 0 never
            }
        }
        // Column sums up to 255 * 128 differ by less than 2^15: one 16-bit difference, widened.
        const bool narrow = jb_.y.k <= 128;
        if (narrow && dv.ties) return sums_x32<true, true>(t, o, c, k, cn, dv);
        if (narrow) return sums_x32<true, false>(t, o, c, k, cn, dv);
        if (dv.ties) return sums_x32<false, true>(t, o, c, k, cn, dv);
        sums_x32<false, false>(t, o, c, k, cn, dv);
    }

    // sums_x in 16 bits, the division's method out of the loop.
    template <int Mode>
    static IMGPOOL_SL_AVX2 void sums_x16(const __m256i* t, __m128i* o, size_t c, size_t k, size_t cn, const Divisor& dv) {
        __m256i a = _mm256_set1_epi16(short(dv.bias16));
        for (size_t p = 0; p < k; ++p) a = _mm256_add_epi16(a, t[p * cn]);
        // Two columns per step: their results pack together ([q0 0-7, q1 0-7 | q0 8-15,
        // q1 8-15], reordered by qwords to [q0 | q1]).
        for (size_t j = 0;; j += 2) {
            const __m256i q0 = div16m<Mode>(a, dv);
            if (j + 1 == c) {
                o[j * cn] = _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packus_epi16(q0, q0), 0x08));
                break;
            }
            a = _mm256_add_epi16(a, _mm256_sub_epi16(t[(j + k) * cn], t[j * cn]));
            const __m256i q1 = div16m<Mode>(a, dv);
            const __m256i both = _mm256_permute4x64_epi64(_mm256_packus_epi16(q0, q1), 0xD8);
            o[j * cn] = _mm256_castsi256_si128(both);
            o[(j + 1) * cn] = _mm256_extracti128_si256(both, 1);
            if (j + 2 == c) break;
            a = _mm256_add_epi16(a, _mm256_sub_epi16(t[(j + 1 + k) * cn], t[(j + 1) * cn]));
        }
    }

    // sums_x in 32 bits (rows 0-7 in lo, 8-15 in hi), the cases' tests out of the loop.
    template <bool Narrow, bool Ties>
    static IMGPOOL_SL_AVX2 void sums_x32(const __m256i* t, __m128i* o, size_t c, size_t k, size_t cn, const Divisor& div) {
        Divisor dv = div;
        dv.ties = Ties;
        // The 16 results (at most 255) of lo and hi for columns j and j+1 pack to dwords
        // [lo 0-3, hi 0-3, lo' 0-3, hi' 0-3 | lo 4-7, hi 4-7, lo' 4-7, hi' 4-7]: `order`
        // puts column j's rows 0-15 in the low 16 bytes, j+1's in the high.
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        __m256i lo = _mm256_set1_epi32(dv.D / 2), hi = lo;
        for (size_t p = 0; p < k; ++p) {
            lo = _mm256_add_epi32(lo, _mm256_cvtepu16_epi32(_mm256_castsi256_si128(t[p * cn])));
            hi = _mm256_add_epi32(hi, _mm256_cvtepu16_epi32(_mm256_extracti128_si256(t[p * cn], 1)));
        }
        auto slide = [&](size_t j) IMGPOOL_SL_LAMBDA {  // from column j's window to j+1's
            const __m256i in = t[(j + k) * cn], gone = t[j * cn];
            if (Narrow) {
                const __m256i d = _mm256_sub_epi16(in, gone);
                lo = _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(d)));
                hi = _mm256_add_epi32(hi, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(d, 1)));
                return;
            }
            lo = _mm256_sub_epi32(_mm256_add_epi32(lo, _mm256_cvtepu16_epi32(_mm256_castsi256_si128(in))),
                                  _mm256_cvtepu16_epi32(_mm256_castsi256_si128(gone)));
            hi = _mm256_sub_epi32(_mm256_add_epi32(hi, _mm256_cvtepu16_epi32(_mm256_extracti128_si256(in, 1))),
                                  _mm256_cvtepu16_epi32(_mm256_extracti128_si256(gone, 1)));
        };
        // Two columns per step: packed together, `order` gives [column j | column j+1].
        for (size_t j = 0;; j += 2) {
            const __m256i q0 = _mm256_packus_epi32(div32n(lo, dv), div32n(hi, dv));
            if (j + 1 == c) {
                o[j * cn] = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(_mm256_packus_epi16(q0, q0), order));
                break;
            }
            slide(j);
            const __m256i q1 = _mm256_packus_epi32(div32n(lo, dv), div32n(hi, dv));
            const __m256i both = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(q0, q1), order);
            o[j * cn] = _mm256_castsi256_si128(both);
            o[(j + 1) * cn] = _mm256_extracti128_si256(both, 1);
            if (j + 2 == c) break;
            slide(j + 1);
        }
    }

    IMGPOOL_SL_AVX2 void band_x(int b, int rows) {
        const Axis& x = jb_.x;
        const u16* in[16];
        u8* out[16];
        for (int r = 0; r < 16; ++r) {
            in[r] = row(r);
            out[r] = out_row(b, r, rows);
        }
        const size_t k = size_t(x.k);
        for (size_t o0 = 0; o0 < size_t(x.out); o0 += chunk_) {
            const size_t c = std::min(chunk_, size_t(x.out) - o0), L = c + k - 1;
            const size_t m = L * cn_, e0 = o0 * cn_;
            __m256i* t = reinterpret_cast<__m256i*>(t_.data());
            for (size_t e = 0; e < m; e += 8) tile_in16(in, e0 + e, t + e);
            for (size_t ch = 0; ch < cn_; ++ch) sums_x(t + ch, o() + ch, c, k);
            // 32 columns at a time: [o[e+i] | o[e+16+i]], transposed, is 32 bytes of row i.
            const size_t n = c * cn_;
            for (size_t e = 0; e < n; e += 32) {
                __m256i v[16];
                for (int i = 0; i < 16; ++i)
                    v[i] = _mm256_inserti128_si256(_mm256_castsi128_si256(o()[e + size_t(i)]), o()[e + 16 + size_t(i)], 1);
                transpose16(v);
                const size_t w = std::min<size_t>(32, n - e);
                if (w == 32) {
                    for (int r = 0; r < 16; ++r) st(out[r] + e0 + e, v[r]);
                } else {
                    alignas(32) u8 tmp[32];
                    for (int r = 0; r < 16; ++r) {
                        _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), v[r]);
                        std::memcpy(out[r] + e0 + e, tmp, w);
                    }
                }
            }
        }
    }
};

// Stripes of output rows for the threads: each redoes about a window of rows (the y
// pass's warm-up), so a stripe gets several windows' worth, and small images one.
int stripes_for(const Job& jb) {
    const i64 cells = i64(jb.x.out) * jb.y.out * jb.cn;
    if (cells < (i64(1) << 18)) return 1;
    const i64 per = std::max<i64>(4 * i64(jb.y.k), 64);
    return int(std::clamp<i64>(jb.y.out / per, 1, cv::getNumThreads()));
}

template <class Engine>
void run_stripes(const Job& jb) {
    const int n = stripes_for(jb), rows = jb.y.out;
    auto body = [&](int s) {
        Engine e(jb);
        e.run(int(i64(rows) * s / n), int(i64(rows) * (s + 1) / n));
    };
    if (n == 1) return body(0);
    cv::parallel_for_(cv::Range(0, n), [&](const cv::Range& r) {
        for (int s = r.start; s < r.end; ++s) body(s);
    }, n);
}

}  // namespace

bool pool_sliding_u8(const cv::Mat& src, const PoolParams& p, cv::Mat& dst) {
    if (p.scope != Scope::window || src.depth() != CV_8U || result_depth(CV_8U, p) != CV_8U) return false;
    if (p.type != PoolType::max && p.type != PoolType::min && p.type != PoolType::avg) return false;
    const Extent s = effective_stride(p);
    if (p.dilation.w != 1 || p.dilation.h != 1) return false;
    // Strides beyond 1 (e.g. 3x3/2): the narrow windows' row mode, each output row's rows
    // gathered (max/min up to 4 rows, sums up to 8).
    const bool narrow = p.type == PoolType::avg ? p.window.w <= kRowModeAvg && p.window.w * p.window.h <= 256 && p.window.h <= 8
                                                : p.window.w <= kRowModeMax && p.window.h <= 4;
    if ((s.w > 1 || s.h > 1) && !narrow) return false;
    static const bool avx2 = cv::checkHardwareSupport(CV_CPU_AVX2);
    if (!avx2 || !cv::useOptimized()) return false;
    // 16-bit sums along y, and the exact division's range (Divisor).
    if (p.type == PoolType::avg && (p.window.h > 257 || i64(p.window.w) * p.window.h > 13000)) return false;
    const bool filled = p.border != Border::ignore;
    Job jb;
    if (!make_axis(src.cols, p.window.w, s.w, axis_padding(p, true, src.cols), p, filled, jb.x) ||
        !make_axis(src.rows, p.window.h, s.h, axis_padding(p, false, src.rows), p, filled, jb.y))
        return false;
    jb.src = src;
    jb.cn = src.channels();
    jb.kind = p.type == PoolType::max ? Kind::max : p.type == PoolType::min ? Kind::min : Kind::avg;
    jb.divisor = p.window.w * p.window.h;
    jb.half_even = p.rounding == Rounding::half_even;
    jb.border = !filled ? -1 : p.border == Border::zero ? cv::BORDER_CONSTANT
                         : p.border == Border::replicate ? cv::BORDER_REPLICATE : cv::BORDER_REFLECT_101;
    jb.stream = i64(jb.x.out) * jb.y.out * jb.cn >= (i64(4) << 20);
    dst.create(jb.y.out, jb.x.out, CV_8UC(jb.cn));
    jb.dst = &dst;
    switch (jb.kind) {
    case Kind::max: run_stripes<MaxMin<true>>(jb); break;
    case Kind::min: run_stripes<MaxMin<false>>(jb); break;
    case Kind::avg: run_stripes<Avg>(jb); break;
    }
    return true;
}

#else

bool pool_sliding_u8(const cv::Mat&, const PoolParams&, cv::Mat&) { return false; }

#endif

}  // namespace imgpool::detail
