// Medians of full 3x3 and 5x5 windows of 8-bit images by min/max networks over whole rows
// of samples (as OpenCV's medianBlur does for these sizes), the input read in place: the
// cells of a border fill are mapped to source rows and columns, never copied.
//
// Output rows go in pairs (one row apart), which share k - 1 source rows: those are
// sorted once per column and the pair's first and last rows inserted. Each of the
// window's columns is sorted (shared by the k windows that contain it, through small
// buffers); the median then takes a few ranks of the sorted columns. 3x3: med3(max of
// the minima, med3 of the middles, min of the maxima) (A. Paeth, Graphics Gems, 1990),
// where the columns are the source's computed straight from the source rows (sorting
// each column three times costs less than storing and reloading it). 5x5: each rank row
// across the five columns sorted, then the median of the 13 cells that can still be it
// (in a matrix sorted along rows and columns, cell (i, j) has at least (i+1)(j+1) cells
// at or below it), by merges of the sorted runs: 124 min/max in all, the network made
// and checked on every 0-1 input (the 0-1 principle) by scripts/median_network.py.
#include <opencv2/core.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engines.hpp"
#include "imgpool/pool.hpp"

namespace imgpool::detail {
namespace {

using u8 = std::uint8_t;
using i64 = std::int64_t;

// The loops run on whole vectors (GCC's vector extensions: 64 bytes, which are one
// AVX-512 register in the x86-64-v4 clone, two in the AVX2 clone and four SSE2 registers
// in the baseline code, the clone chosen at load time by target_clones; OpenCV's
// medianBlur dispatches to AVX-512 the same way), and on single bytes for the tails.
// The direct 3x3 kernel loads 32 bytes at a time (VDirect): nearly all of its loads are
// unaligned, and a 64-byte one always spans two cache lines (measured slower on AVX-512).
// The helpers take and return vectors: inlined always, so no call passes one (GCC warns
// that such calls' ABI depends on AVX: -Wpsabi, silenced here). Under GCC's sanitizers
// one version only, the baseline: the sanitizer run of the test suite covers that code,
// and ThreadSanitizer's instrumented ifunc resolvers crash at load time, before its runtime
// is up.
// Clang (the fuzz build) rejects vectors wider than the registers of the function they
// are used in, clones or not: there, 16 bytes and the baseline only.
#define IMGPOOL_INLINE __attribute__((always_inline)) inline
#pragma GCC diagnostic ignored "-Wpsabi"
#if defined(__clang__)
using V = u8 __attribute__((vector_size(16)));
using VDirect = V;
#else
using V = u8 __attribute__((vector_size(64)));
using VDirect = u8 __attribute__((vector_size(32)));
#endif
constexpr size_t kLanes = sizeof(V);
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define IMGPOOL_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#define IMGPOOL_CLONES_AVX2 __attribute__((target_clones("avx2", "default")))
#else
#define IMGPOOL_CLONES
#define IMGPOOL_CLONES_AVX2
#endif

template <typename T>
IMGPOOL_INLINE T mn(T a, T b) { return a < b ? a : b; }
template <typename T>
IMGPOOL_INLINE T mx(T a, T b) { return a < b ? b : a; }
template <typename T>
IMGPOOL_INLINE T med3(T a, T b, T c) { return mx(mn(a, b), mn(mx(a, b), c)); }
template <typename T>
IMGPOOL_INLINE void order(T& a, T& b) {
    const T lo = mn(a, b);
    b = mx(a, b);
    a = lo;
}
template <typename T>
IMGPOOL_INLINE T load(const u8* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <typename T>
IMGPOOL_INLINE void put(u8* p, T v) { std::memcpy(p, &v, sizeof v); }

// Sorts 5 values (9 compare-exchanges, the fewest possible).
template <typename T>
IMGPOOL_INLINE void sort5(T& a, T& b, T& c, T& d, T& e) {
    order(a, b), order(d, e), order(c, e), order(c, d), order(a, d);
    order(a, c), order(b, e), order(b, d), order(b, c);
}

// Each source column's cells, sorted into s0 (the smallest) .. s2 or s4.
template <typename T>
IMGPOOL_INLINE void sort3_at(const u8* const* r, u8* const* s, size_t i) {
    T a = load<T>(r[0] + i), b = load<T>(r[1] + i), c = load<T>(r[2] + i);
    put(s[0] + i, mn(mn(a, b), c)), put(s[1] + i, med3(a, b, c)), put(s[2] + i, mx(mx(a, b), c));
}
template <typename T>
IMGPOOL_INLINE void sort5_at(const u8* const* r, u8* const* s, size_t i) {
    T a = load<T>(r[0] + i), b = load<T>(r[1] + i), c = load<T>(r[2] + i), d = load<T>(r[3] + i), e = load<T>(r[4] + i);
    sort5(a, b, c, d, e);
    put(s[0] + i, a), put(s[1] + i, b), put(s[2] + i, c), put(s[3] + i, d), put(s[4] + i, e);
}

// The pointers are copied to locals first (all 5 or 6, a fixed count, unused ones null):
// the stores are of bytes, which may alias anything, so pointers read through `rows` and
// `sorted` would be read again after each store.
IMGPOOL_CLONES void sort_columns(int k, const u8* const* rows, u8* const* sorted, size_t n) {
    const u8* r[5];
    u8* s[5];
    for (int t = 0; t < 5; ++t) r[t] = rows[t], s[t] = sorted[t];
    size_t i = 0;
    if (k == 3) {
        for (; i + kLanes <= n; i += kLanes) sort3_at<V>(r, s, i);
        if (i < n && n >= kLanes) sort3_at<V>(r, s, n - kLanes), i = n;  // the last vector again
        for (; i < n; ++i) sort3_at<u8>(r, s, i);
    } else {
        for (; i + kLanes <= n; i += kLanes) sort5_at<V>(r, s, i);
        if (i < n && n >= kLanes) sort5_at<V>(r, s, n - kLanes), i = n;
        for (; i < n; ++i) sort5_at<u8>(r, s, i);
    }
}

// Two output rows at once: rows 1..k-1 of r are shared, sorted once, and row 0 (for the
// first output row, into a) or row k (for the second, into b) inserted into them.
template <typename T>
IMGPOOL_INLINE void insert(const T* c, int n, T x, u8* const* s, size_t i) {
    put(s[0] + i, mn(c[0], x));
    for (int t = 1; t < n; ++t) put(s[t] + i, mx(c[t - 1], mn(c[t], x)));
    put(s[n] + i, mx(c[n - 1], x));
}
template <typename T>
IMGPOOL_INLINE void sort_pair_at(int k, const u8* const* r, u8* const* a, u8* const* b, size_t i) {
    T c[4];
    for (int t = 0; t < k - 1; ++t) c[t] = load<T>(r[t + 1] + i);
    if (k == 3) order(c[0], c[1]);
    else order(c[0], c[1]), order(c[2], c[3]), order(c[0], c[2]), order(c[1], c[3]), order(c[1], c[2]);
    insert(c, k - 1, load<T>(r[0] + i), a, i);
    insert(c, k - 1, load<T>(r[k] + i), b, i);
}

IMGPOOL_CLONES void sort_column_pairs(int k, const u8* const* rows, u8* const* sorted_a, u8* const* sorted_b, size_t n) {
    const u8* r[6];
    u8 *a[5], *b[5];
    for (int t = 0; t < 5; ++t) r[t] = rows[t], a[t] = sorted_a[t], b[t] = sorted_b[t];
    r[5] = rows[5];
    size_t i = 0;
    if (k == 3) {  // k as a constant: the loops over t unroll
        for (; i + kLanes <= n; i += kLanes) sort_pair_at<V>(3, r, a, b, i);
        if (i < n && n >= kLanes) sort_pair_at<V>(3, r, a, b, n - kLanes), i = n;
        for (; i < n; ++i) sort_pair_at<u8>(3, r, a, b, i);
    } else {
        for (; i + kLanes <= n; i += kLanes) sort_pair_at<V>(5, r, a, b, i);
        if (i < n && n >= kLanes) sort_pair_at<V>(5, r, a, b, n - kLanes), i = n;
        for (; i < n; ++i) sort_pair_at<u8>(5, r, a, b, i);
    }
}

template <typename T>
IMGPOOL_INLINE T median9(const u8* const* s, size_t i, size_t cn) {
    const u8 *s0 = s[0] + i, *s1 = s[1] + i, *s2 = s[2] + i;
    return med3(mx(mx(load<T>(s0), load<T>(s0 + cn)), load<T>(s0 + 2 * cn)),
                med3(load<T>(s1), load<T>(s1 + cn), load<T>(s1 + 2 * cn)),
                mn(mn(load<T>(s2), load<T>(s2 + cn)), load<T>(s2 + 2 * cn)));
}

// 3x3 from the source rows themselves, no buffer: each of the window's columns sorted
// where it is needed (3x the sorting, none of the stores and reloads). With b, two output
// rows: rows r[1], r[2] sorted once, r[0] inserted for a, r[3] for b.
template <typename T>
IMGPOOL_INLINE void median9_direct_at(const u8* const* r, u8* a, u8* b, size_t i, size_t cn) {
    T lo_a[3], mid_a[3], hi_a[3], lo_b[3], mid_b[3], hi_b[3];
    for (size_t d = 0; d < 3; ++d) {
        const size_t o = i + d * cn;
        const T x1 = load<T>(r[1] + o), x2 = load<T>(r[2] + o), p0 = mn(x1, x2), p1 = mx(x1, x2);
        const T x0 = load<T>(r[0] + o);
        lo_a[d] = mn(p0, x0), mid_a[d] = mx(p0, mn(p1, x0)), hi_a[d] = mx(p1, x0);
        if (b) {
            const T x3 = load<T>(r[3] + o);
            lo_b[d] = mn(p0, x3), mid_b[d] = mx(p0, mn(p1, x3)), hi_b[d] = mx(p1, x3);
        }
    }
    put(a + i, med3(mx(mx(lo_a[0], lo_a[1]), lo_a[2]), med3(mid_a[0], mid_a[1], mid_a[2]),
                    mn(mn(hi_a[0], hi_a[1]), hi_a[2])));
    if (b)
        put(b + i, med3(mx(mx(lo_b[0], lo_b[1]), lo_b[2]), med3(mid_b[0], mid_b[1], mid_b[2]),
                        mn(mn(hi_b[0], hi_b[1]), hi_b[2])));
}

IMGPOOL_CLONES_AVX2 void median9_direct(const u8* const* rows, u8* a, u8* b, size_t m, size_t cn) {
    const u8* r[4];
    for (int t = 0; t < 4; ++t) r[t] = rows[t];
    size_t i = 0;
    if (b) {  // two rows; the branch inside folds away
        for (; i + sizeof(VDirect) <= m; i += sizeof(VDirect)) median9_direct_at<VDirect>(r, a, b, i, cn);
        for (; i < m; ++i) median9_direct_at<u8>(r, a, b, i, cn);
    } else {
        for (; i + sizeof(VDirect) <= m; i += sizeof(VDirect)) median9_direct_at<VDirect>(r, a, nullptr, i, cn);
        for (; i < m; ++i) median9_direct_at<u8>(r, a, nullptr, i, cn);
    }
}

// akd: rank k of the window's column d. Generated by scripts/median_network.py.
template <typename V>
IMGPOOL_INLINE V median25(const u8* const* s, size_t i, size_t cn) {
    const u8 *s0 = s[0], *s1 = s[1], *s2 = s[2], *s3 = s[3], *s4 = s[4];
    const V a00 = load<V>(s0 + i), a01 = load<V>(s0 + i + 1 * cn), a02 = load<V>(s0 + i + 2 * cn), a03 = load<V>(s0 + i + 3 * cn), a04 = load<V>(s0 + i + 4 * cn);
    const V a10 = load<V>(s1 + i), a11 = load<V>(s1 + i + 1 * cn), a12 = load<V>(s1 + i + 2 * cn), a13 = load<V>(s1 + i + 3 * cn), a14 = load<V>(s1 + i + 4 * cn);
    const V a20 = load<V>(s2 + i), a21 = load<V>(s2 + i + 1 * cn), a22 = load<V>(s2 + i + 2 * cn), a23 = load<V>(s2 + i + 3 * cn), a24 = load<V>(s2 + i + 4 * cn);
    const V a30 = load<V>(s3 + i), a31 = load<V>(s3 + i + 1 * cn), a32 = load<V>(s3 + i + 2 * cn), a33 = load<V>(s3 + i + 3 * cn), a34 = load<V>(s3 + i + 4 * cn);
    const V a40 = load<V>(s4 + i), a41 = load<V>(s4 + i + 1 * cn), a42 = load<V>(s4 + i + 2 * cn), a43 = load<V>(s4 + i + 3 * cn), a44 = load<V>(s4 + i + 4 * cn);
    const V t0 = mn(a00, a01);
    const V t1 = mx(a00, a01);
    const V t2 = mn(a03, a04);
    const V t3 = mx(a03, a04);
    const V t4 = mn(a02, t3);
    const V t5 = mx(a02, t3);
    const V t7 = mx(t4, t2);
    const V t9 = mx(t0, t7);
    const V t12 = mn(t1, t5);
    const V t13 = mx(t1, t5);
    const V t15 = mx(t12, t9);
    const V t18 = mn(a10, a11);
    const V t19 = mx(a10, a11);
    const V t20 = mn(a13, a14);
    const V t21 = mx(a13, a14);
    const V t22 = mn(a12, t21);
    const V t23 = mx(a12, t21);
    const V t24 = mn(t22, t20);
    const V t25 = mx(t22, t20);
    const V t26 = mn(t18, t25);
    const V t27 = mx(t18, t25);
    const V t29 = mx(t26, t24);
    const V t30 = mn(t19, t23);
    const V t31 = mx(t19, t23);
    const V t32 = mn(t30, t27);
    const V t33 = mx(t30, t27);
    const V t35 = mx(t32, t29);
    const V t36 = mn(a20, a21);
    const V t37 = mx(a20, a21);
    const V t38 = mn(a23, a24);
    const V t39 = mx(a23, a24);
    const V t40 = mn(a22, t39);
    const V t41 = mx(a22, t39);
    const V t42 = mn(t40, t38);
    const V t43 = mx(t40, t38);
    const V t44 = mn(t36, t43);
    const V t45 = mx(t36, t43);
    const V t47 = mx(t44, t42);
    const V t48 = mn(t37, t41);
    const V t50 = mn(t48, t45);
    const V t51 = mx(t48, t45);
    const V t52 = mn(t50, t47);
    const V t53 = mx(t50, t47);
    const V t54 = mn(a30, a31);
    const V t55 = mx(a30, a31);
    const V t56 = mn(a33, a34);
    const V t57 = mx(a33, a34);
    const V t58 = mn(a32, t57);
    const V t59 = mx(a32, t57);
    const V t60 = mn(t58, t56);
    const V t61 = mx(t58, t56);
    const V t62 = mn(t54, t61);
    const V t63 = mx(t54, t61);
    const V t64 = mn(t62, t60);
    const V t65 = mx(t62, t60);
    const V t66 = mn(t55, t59);
    const V t68 = mn(t66, t63);
    const V t70 = mn(t68, t65);
    const V t71 = mx(t68, t65);
    const V t72 = mn(a40, a41);
    const V t73 = mx(a40, a41);
    const V t74 = mn(a43, a44);
    const V t75 = mx(a43, a44);
    const V t76 = mn(a42, t75);
    const V t77 = mx(a42, t75);
    const V t78 = mn(t76, t74);
    const V t79 = mx(t76, t74);
    const V t80 = mn(t72, t79);
    const V t81 = mx(t72, t79);
    const V t82 = mn(t80, t78);
    const V t83 = mx(t80, t78);
    const V t84 = mn(t73, t77);
    const V t86 = mn(t84, t81);
    const V t88 = mn(t86, t83);
    const V t90 = mn(t15, t35);
    const V t91 = mx(t15, t35);
    const V t92 = mn(t31, t91);
    const V t93 = mx(t31, t91);
    const V t94 = mn(t13, t33);
    const V t95 = mx(t13, t33);
    const V t96 = mn(t94, t92);
    const V t97 = mx(t94, t92);
    const V t98 = mn(t95, t93);
    const V t99 = mx(t95, t93);
    const V t100 = mn(t64, t82);
    const V t101 = mx(t64, t82);
    const V t102 = mn(t71, t101);
    const V t103 = mx(t71, t101);
    const V t104 = mn(t70, t88);
    const V t105 = mx(t70, t88);
    const V t106 = mn(t104, t102);
    const V t107 = mx(t104, t102);
    const V t108 = mn(t105, t103);
    const V t109 = mx(t105, t103);
    const V t110 = mn(t100, t52);
    const V t111 = mx(t100, t52);
    const V t112 = mn(t109, t111);
    const V t113 = mx(t109, t111);
    const V t114 = mn(t107, t51);
    const V t115 = mx(t107, t51);
    const V t116 = mn(t114, t112);
    const V t117 = mx(t114, t112);
    const V t118 = mn(t115, t113);
    const V t120 = mn(t106, t53);
    const V t121 = mx(t106, t53);
    const V t122 = mn(t108, t121);
    const V t123 = mx(t108, t121);
    const V t124 = mn(t120, t116);
    const V t125 = mx(t120, t116);
    const V t126 = mn(t122, t117);
    const V t127 = mx(t122, t117);
    const V t128 = mn(t123, t118);
    const V t129 = mx(t123, t118);
    const V t131 = mx(t90, t110);
    const V t132 = mn(t99, t127);
    const V t135 = mx(t132, t131);
    const V t137 = mx(t97, t125);
    const V t138 = mn(t129, t137);
    const V t142 = mn(t138, t135);
    const V t147 = mx(t96, t124);
    const V t148 = mn(t128, t147);
    const V t150 = mn(t98, t126);
    const V t155 = mx(t150, t148);
    const V t163 = mx(t155, t142);
    return t163;
}

// The medians of the m windows whose first sample is 0..m-1 of the sorted rows s.
IMGPOOL_CLONES void median_row(int k, const u8* const* sorted, u8* out, size_t m, size_t cn) {
    const u8* s[5];
    for (int t = 0; t < 5; ++t) s[t] = sorted[t];
    size_t i = 0;
    if (k == 3) {
        for (; i + kLanes <= m; i += kLanes) put(out + i, median9<V>(s, i, cn));
        if (i < m && m >= kLanes) put(out + m - kLanes, median9<V>(s, m - kLanes, cn)), i = m;  // the last vector again
        for (; i < m; ++i) out[i] = median9<u8>(s, i, cn);
    } else {
        for (; i + kLanes <= m; i += kLanes) put(out + i, median25<V>(s, i, cn));
        if (i < m && m >= kLanes) put(out + m - kLanes, median25<V>(s, m - kLanes, cn)), i = m;
        for (; i < m; ++i) out[i] = median25<u8>(s, i, cn);
    }
}

// Every window takes k cells along the axis: none is cut short by the image's edge (no
// border fill) or by ceil mode's overhang.
bool full_windows(const std::vector<Span>& spans, int k) {
    return std::all_of(spans.begin(), spans.end(), [k](const Span& s) { return s.count == k && s.step == 1; });
}

// The source index of cell q (input coordinates) along an axis of n cells under the
// border fill, or -1 for a zero fill. Reflect padding is smaller than n (validate()).
int source_index(int q, int n, Border b) {
    if (q >= 0 && q < n) return q;
    if (b == Border::replicate) return q < 0 ? 0 : n - 1;
    if (b == Border::reflect) return q < 0 ? -q : 2 * (n - 1) - q;
    return -1;
}

class Network {
public:
    Network(const cv::Mat& src, const PoolParams& p, int k, std::vector<Span> xs, std::vector<Span> ys, int ox, int oy,
            cv::Mat& dst)
        : src_(src), dst_(dst), border_(p.border), k_(k), xs_(std::move(xs)), ys_(std::move(ys)), ox_(ox), oy_(oy),
          cn_(size_t(src.channels())), zeros_(size_t(src.cols) * cn_, 0) {
        lo_ = xs_.front().first;
        width_ = size_t(xs_.back().first + k - lo_);
        // Stride 1: the medians of consecutive windows are the output row itself.
        contiguous_ = true;
        for (size_t o = 0; o < xs_.size(); ++o) contiguous_ = contiguous_ && xs_[o].first == lo_ + int(o);
    }

    void rows(int oy0, int oy1) const {
        const int windows = int(width_) - k_ + 1;
        const size_t span = size_t(kTile + k_ - 1) * cn_;
        std::vector<u8> sorted(2 * size_t(k_) * span);
        std::vector<u8> med(2 * size_t(windows) * cn_);
        u8* sa[5] = {};
        u8* sb[5] = {};
        for (int t = 0; t < k_; ++t) sa[t] = sorted.data() + size_t(t) * span, sb[t] = sa[t] + size_t(k_) * span;
        const bool direct = contiguous_ && dst_.depth() == CV_8U;
        // 3x3 straight into the output: the windows whose columns are all the source's.
        int wa = 0, wb = 0;
        if (k_ == 3 && direct) {
            wa = std::clamp(ox_ - lo_, 0, windows);
            wb = std::clamp(ox_ + src_.cols - 2 - lo_, wa, windows);
        }
        for (int oy = oy0; oy < oy1;) {
            // Two output rows whose windows are one row apart share k - 1 rows.
            const bool pair = oy + 1 < oy1 && ys_[size_t(oy) + 1].first == ys_[size_t(oy)].first + 1;
            const u8* r[6] = {};
            for (int t = 0; t < k_ + int(pair); ++t) {
                const int y = source_index(ys_[size_t(oy)].first - oy_ + t, src_.rows, border_);
                r[t] = y < 0 ? zeros_.data() : src_.ptr<u8>(y);
            }
            u8* out_a = direct ? dst_.ptr<u8>(oy) : med.data();
            u8* out_b = !pair ? nullptr : direct ? dst_.ptr<u8>(oy + 1) : med.data() + size_t(windows) * cn_;
            through_buffers(r, pair, sa, sb, out_a, out_b, 0, wa);
            if (wb > wa) {
                const u8* from[6] = {};
                const size_t in = size_t(lo_ + wa - ox_) * cn_, at = size_t(wa) * cn_;
                for (int t = 0; t < 3 + int(pair); ++t) from[t] = r[t] + in;
                median9_direct(from, out_a + at, pair ? out_b + at : nullptr, size_t(wb - wa) * cn_, cn_);
            }
            through_buffers(r, pair, sa, sb, out_a, out_b, std::max(wa, wb), windows);
            if (!direct) {
                store(oy, med.data());
                if (pair) store(oy + 1, med.data() + size_t(windows) * cn_);
            }
            oy += pair ? 2 : 1;
        }
    }

private:
    // Columns in tiles, sorted into small buffers that stay in L1 while the medians read
    // them (k times each); a tile sorts the k - 1 columns it shares again. A multiple of
    // the vector for any cn.
    static constexpr int kTile = 256;

    // The medians of windows [w0, w1) of one output row (into a) or two (a and b) through
    // the sorted-column buffers.
    void through_buffers(const u8* const* r, bool pair, u8* const* sa, u8* const* sb, u8* a, u8* b, int w0,
                         int w1) const {
        for (int t0 = w0; t0 < w1; t0 += kTile) {
            const int t1 = std::min(w1, t0 + kTile);
            sort_row(r, sa, pair ? sb : nullptr, lo_ + t0, lo_ + t1 + k_ - 1);
            const size_t at = size_t(t0) * cn_, m = size_t(t1 - t0) * cn_;
            median_row(k_, sa, a + at, m, cn_);
            if (pair) median_row(k_, sb, b + at, m, cn_);
        }
    }

    const cv::Mat& src_;
    cv::Mat& dst_;
    const Border border_;
    const int k_;
    const std::vector<Span> xs_, ys_;
    const int ox_, oy_;  // padded coordinate of source cell 0 (0 without a fill)
    const size_t cn_;
    const std::vector<u8> zeros_;  // a zero-filled row
    int lo_ = 0;                   // the padded column of sorted column 0
    size_t width_ = 0;             // columns the windows cover
    bool contiguous_ = true;

    // Sorts the padded columns [qa, qb) of rows r[0..k) into s (column qa first), and with
    // `s2` those of rows r[1..k] into s2: the source's columns in one vectorised pass, the
    // filled ones one by one.
    void sort_row(const u8* const* r, u8* const* s, u8* const* s2, int qa, int qb) const {
        const int cols = src_.cols;
        const int begin = std::clamp(ox_, qa, qb), end = std::clamp(ox_ + cols, begin, qb);
        const size_t in = size_t(begin - ox_) * cn_, at = size_t(begin - qa) * cn_, n = size_t(end - begin) * cn_;
        const u8* from[6] = {};
        u8 *to[5] = {}, *to2[5] = {};
        for (int t = 0; t < k_ + int(s2 != nullptr); ++t) from[t] = r[t] + in;
        for (int t = 0; t < k_; ++t) to[t] = s[t] + at, to2[t] = s2 ? s2[t] + at : nullptr;
        if (s2) sort_column_pairs(k_, from, to, to2, n);
        else sort_columns(k_, from, to, n);
        for (int q = qa; q < qb; ++q) {
            if (q == begin) q = end;
            if (q >= qb) break;
            const int x = source_index(q - ox_, cols, border_);
            for (int second = 0; second <= int(s2 != nullptr); ++second)
                for (size_t c = 0; c < cn_; ++c) {
                    u8 v[5] = {0, 0, 0, 0, 0};
                    for (int t = 0; t < k_; ++t) v[t] = x < 0 ? 0 : r[t + second][size_t(x) * cn_ + c];
                    if (k_ == 3) order(v[0], v[1]), order(v[1], v[2]), order(v[0], v[1]);
                    else sort5(v[0], v[1], v[2], v[3], v[4]);
                    u8* const* into = second ? s2 : s;
                    for (int t = 0; t < k_; ++t) into[t][size_t(q - qa) * cn_ + c] = v[t];
                }
        }
    }

    // Every s-th median, or another depth.
    void store(int oy, const u8* med) const {
        for (size_t o = 0; o < xs_.size(); ++o) {
            const u8* v = med + size_t(xs_[o].first - lo_) * cn_;
            const size_t at = o * cn_;
            switch (dst_.depth()) {
            case CV_8U: std::copy(v, v + cn_, dst_.ptr<u8>(oy) + at); break;
            case CV_32F: std::copy(v, v + cn_, dst_.ptr<float>(oy) + at); break;
            default: std::copy(v, v + cn_, dst_.ptr<double>(oy) + at); break;
            }
        }
    }
};

}  // namespace

bool pool_median_net_u8(const cv::Mat& src, const PoolParams& p, cv::Mat& dst) {
    if (p.type != PoolType::median || p.scope != Scope::window || src.depth() != CV_8U || src.dims != 2) return false;
    const int k = p.window.w;
    if (p.window.h != k || (k != 3 && k != 5) || !(p.dilation == Extent{1, 1})) return false;
    const int depth = result_depth(CV_8U, p);
    if (depth != CV_8U && depth != CV_32F && depth != CV_64F) return false;
    const Extent s = effective_stride(p);
    const AxisPadding px = axis_padding(p, true, src.cols), py = axis_padding(p, false, src.rows);
    const bool filled = p.border != Border::ignore;
    std::vector<Span> xs = window_spans(src.cols, k, s.w, 1, px, p.ceil_mode, filled);
    std::vector<Span> ys = window_spans(src.rows, k, s.h, 1, py, p.ceil_mode, filled);
    if (xs.empty() || ys.empty() || !full_windows(xs, k) || !full_windows(ys, k)) return false;
    dst.create(int(ys.size()), int(xs.size()), CV_MAKETYPE(depth, src.channels()));
    const Network net(src, p, k, std::move(xs), std::move(ys), filled ? px.before : 0, filled ? py.before : 0, dst);
    const int out_rows = dst.rows;
    const auto run = [&](const cv::Range& r) { net.rows(r.start, r.end); };
    if (i64(src.total()) * src.channels() < (i64(1) << 18)) run(cv::Range(0, out_rows));
    else cv::parallel_for_(cv::Range(0, out_rows), run, 4.0 * cv::getNumThreads());
    return true;
}

}  // namespace imgpool::detail
