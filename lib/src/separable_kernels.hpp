// The separable engine's kernels (see separable.cpp for the plan and the dispatch).
//
// No include guard, on purpose: separable_run_base.cpp and separable_run_avx2.cpp include
// this file with IMGPOOL_SEP_NS naming another namespace, so the same templates are
// compiled for SSE2 and for AVX2 (in parallel) and picked at run time. The shared
// description of a run (Setup) is in separable_setup.hpp.
#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "plan.hpp"
#include "reduce.hpp"

#include "separable_setup.hpp"

namespace imgpool::detail::IMGPOOL_SEP_NS {

using sep::AxisPlan;
using sep::Finish;
using sep::i64;
using sep::Kind;
using sep::Setup;
using sep::XMethod;
using sep::YMethod;

// ---------------------------------------------------------------- reductions

template <typename V>
struct Max {
    static V identity() {
        if constexpr (std::is_floating_point_v<V>) return -std::numeric_limits<V>::infinity();
        else return std::numeric_limits<V>::lowest();
    }
    // NaN wins, so that any NaN among a window's cells gives NaN (as reduce()).
    static V apply(V a, V b) {
        if constexpr (std::is_floating_point_v<V>) return (b > a || b != b) ? b : a;
        else return b > a ? b : a;
    }
};

template <typename V>
struct Min {
    static V identity() {
        if constexpr (std::is_floating_point_v<V>) return std::numeric_limits<V>::infinity();
        else return std::numeric_limits<V>::max();
    }
    static V apply(V a, V b) {
        if constexpr (std::is_floating_point_v<V>) return (b < a || b != b) ? b : a;
        else return b < a ? b : a;
    }
};

template <typename V>
struct Sum {
    static V identity() { return V(0); }
    static V apply(V a, V b) { return V(a + b); }
};

// A source cell as the reduction sees it: itself, or for lp |x|, x^2 or |x|^p (mode
// 1, 2, 3), as reduce() computes them.
template <typename X, bool Lp, typename T>
inline X load(T v, int mode, double p) {
    if constexpr (!Lp) {
        (void)mode, (void)p;
        return X(v);
    } else {
        const double a = std::abs(double(v));
        return mode == 1 ? a : mode == 2 ? a * a : std::pow(a, p);
    }
}

// A run of source cells as load() sees them, the mode's branch out of the loop.
template <bool Lp, typename X, typename T>
void load_row(X* __restrict d, const T* __restrict s, size_t n, int mode, double p) {
    if (!Lp || mode == 2) {
        for (size_t i = 0; i < n; ++i) d[i] = load<X, Lp>(s[i], 2, p);
    } else if (mode == 1) {
        for (size_t i = 0; i < n; ++i) d[i] = load<X, Lp>(s[i], 1, p);
    } else {
        for (size_t i = 0; i < n; ++i) d[i] = load<X, Lp>(s[i], 3, p);
    }
}

// ---------------------------------------------------------------- row kernels
// Element-wise over n values, converting S to D on the way; plain loops the compiler
// vectorises.

template <class Op, typename D, typename S>
void op2(D* __restrict d, const S* __restrict a, const S* __restrict b, size_t n) {
    for (size_t i = 0; i < n; ++i) d[i] = Op::apply(D(a[i]), D(b[i]));
}

template <class Op, typename D, typename S>
void op3(D* __restrict d, const S* __restrict a, const S* __restrict b, const S* __restrict c, size_t n) {
    for (size_t i = 0; i < n; ++i) d[i] = Op::apply(Op::apply(D(a[i]), D(b[i])), D(c[i]));
}

// d = op over the first N (2 to 8) of the rows a..h: one pass for up to 8 taps.
template <int N, class Op, typename D, typename S>
void opn(D* __restrict d, const S* __restrict a, const S* __restrict b, const S* __restrict c, const S* __restrict e,
         const S* __restrict f, const S* __restrict g, const S* __restrict h, const S* __restrict j, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        D v = Op::apply(D(a[i]), D(b[i]));
        if constexpr (N > 2) v = Op::apply(v, D(c[i]));
        if constexpr (N > 3) v = Op::apply(v, D(e[i]));
        if constexpr (N > 4) v = Op::apply(v, D(f[i]));
        if constexpr (N > 5) v = Op::apply(v, D(g[i]));
        if constexpr (N > 6) v = Op::apply(v, D(h[i]));
        if constexpr (N > 7) v = Op::apply(v, D(j[i]));
        d[i] = v;
    }
}

template <class Op, typename D, typename S>
void op_into(D* __restrict d, const S* __restrict b, size_t n) {
    for (size_t i = 0; i < n; ++i) d[i] = Op::apply(d[i], D(b[i]));
}

// Running sums: d += in - out (exact: integers only).
template <typename D, typename S>
void slide_sum(D* __restrict d, const S* __restrict in, const S* __restrict out, size_t n) {
    for (size_t i = 0; i < n; ++i) d[i] = D(d[i] + D(in[i]) - D(out[i]));
}

// Van Herk's step along y in one pass: the prefix p takes row x (or restarts with
// it), and the output is suffix s op p (or p itself, when s is null).
template <class Op, typename D>
void prefix_step(D* __restrict p, const D* __restrict x, const D* __restrict s, D* __restrict out, size_t n,
                 bool restart) {
    if (restart && s) {
        for (size_t i = 0; i < n; ++i) p[i] = x[i], out[i] = Op::apply(s[i], x[i]);
    } else if (s) {
        for (size_t i = 0; i < n; ++i) {
            const D v = Op::apply(p[i], x[i]);
            p[i] = v;
            out[i] = Op::apply(s[i], v);
        }
    } else {
        for (size_t i = 0; i < n; ++i) out[i] = p[i] = restart ? x[i] : Op::apply(p[i], x[i]);
    }
}

// Window sums from rows of prefix sums p (wrapping in P, X's unsigned twin): the
// window at i is p[i + w] - p[i]. Set d to them, add them, or add those of `in` and
// subtract those of `out` (running sums).
template <typename X, typename D, typename P>
void diff_row(D* __restrict d, const P* __restrict p, size_t w, size_t n, bool add) {
    if (add) {
        for (size_t i = 0; i < n; ++i) d[i] = D(d[i] + D(X(P(p[i + w] - p[i]))));
    } else {
        for (size_t i = 0; i < n; ++i) d[i] = D(X(P(p[i + w] - p[i])));
    }
}

template <typename X, typename D, typename P>
void slide_diff(D* __restrict d, const P* __restrict in, const P* __restrict out, size_t w, size_t n) {
    for (size_t i = 0; i < n; ++i) d[i] = D(d[i] + D(X(P(in[i + w] - in[i]))) - D(X(P(out[i + w] - out[i]))));
}

// d = a - b, wrapping (prefix sums).
template <typename D>
void sub_row(D* __restrict d, const D* __restrict a, const D* __restrict b, size_t n) {
    for (size_t i = 0; i < n; ++i) d[i] = D(a[i] - b[i]);
}

template <typename D, typename S>
void copy_row(D* d, const S* s, size_t n) {
    if constexpr (std::is_same_v<D, S>) {
        if (d != s) std::memcpy(d, s, n * sizeof(D));
    } else {
        for (size_t i = 0; i < n; ++i) d[i] = D(s[i]);
    }
}

// ---------------------------------------------------------------- storing
// One value to the result depth exactly as generic.cpp's store(): saturate, NaN -> 0
// in integer depths, float32 overflow rounded by hand. Always inlined: GCC sometimes left
// it a call per value, 40% of float 3x3/2 averages' time.
template <typename U>
[[gnu::always_inline]] inline U store_as(double v) {
    if constexpr (std::is_integral_v<U>) {
        if (std::isnan(v)) v = 0;
        v = std::min<double>(std::max<double>(v, std::numeric_limits<U>::lowest()), std::numeric_limits<U>::max());
        return static_cast<U>(v);
    } else if constexpr (std::is_same_v<U, float>) {
        if (std::abs(v) > std::numeric_limits<float>::max() && std::isfinite(v)) {
            const double max = std::numeric_limits<float>::max();
            v = std::abs(v) < max + 0x1p103 ? std::copysign(max, v) : std::copysign(INFINITY, v);
        }
        return static_cast<float>(v);
    } else {
        return v;
    }
}

// Integer values into an integer depth: the same saturation, in integers.
template <typename U, typename A>
inline U clamp_as(A v) {
    using W = std::conditional_t<(sizeof(A) > sizeof(int)), A, int>;
    const W lo = W(std::numeric_limits<U>::lowest()), hi = W(std::numeric_limits<U>::max());
    return static_cast<U>(std::min(std::max(W(v), lo), hi));  // min/max: vectorises well
}

// round_div(a, D) for sums `a` sharing the divisor D, without a division. With
// N = a + off*D + D/2 >= 0 (off even, so ties keep their parity), floor(N/D) is
// trunc(N * c) for c = 1/D rounded up, as long as 1.25 (q+1) D < 2^(mantissa bits - 2)
// and N is exact in F: the product then stays in [q, q+1) (divide_method() in
// separable.cpp picks float or double by these bounds). Only an even D can tie (odd D: D/2 rounds to nearest).
// Offset and clamp are compiled in only where the types need them.
template <typename F, bool Offset, bool Clamp, typename S, typename U>
void divide_row(const S* __restrict a, U* __restrict out, size_t n, std::int32_t D, std::int32_t off, bool half_even) {
    const std::int32_t bias = (Offset ? off * D : 0) + D / 2;
    const F c = std::nextafter(F(1) / F(D), std::numeric_limits<F>::infinity());
    auto store = [&](std::int32_t q) { return Clamp ? clamp_as<U>(Offset ? q - off : q) : U(Offset ? q - off : q); };
    if (!half_even || D % 2) {
        for (size_t i = 0; i < n; ++i) out[i] = store(std::int32_t(F(std::int32_t(a[i]) + bias) * c));
        return;
    }
    for (size_t i = 0; i < n; ++i) {
        const std::int32_t N = std::int32_t(a[i]) + bias;
        std::int32_t q = std::int32_t(F(N) * c);
        q -= (N == q * D ? 1 : 0) & q;  // a tie, and q odd: back to the even neighbour
        out[i] = store(q);
    }
}

// Hides a value from the optimiser's range analysis: knowing the multiplier's range
// keeps GCC from using the 16-bit high multiply (vpmulhuw).
template <typename V>
inline V opaque(V v) {
#if defined(__GNUC__)
    __asm__("" : "+r"(v));
#endif
    return v;
}

// divide_row16's quotients with the shift a constant, for vpsrlw (GCC widens a
// variable 16-bit shift to 32 bits).
template <int Shift, bool Clamp, typename U>
void divide_row16_by(const std::uint16_t* __restrict a, U* __restrict out, size_t n, std::uint16_t bias,
                     std::uint16_t mul, std::uint16_t d16, bool ties) {
    for (size_t i = 0; i < n; ++i) {
        const std::uint16_t N = std::uint16_t(a[i] + bias);
        const std::uint16_t t = std::uint16_t((std::uint32_t(N) * mul) >> 16);
        std::uint16_t q = std::uint16_t(std::uint16_t(std::uint16_t(std::uint16_t(N - t) >> 1) + t) >> Shift);
        if (ties) q = std::uint16_t(q - ((std::uint16_t(q * d16) == N ? 1 : 0) & q));  // a tie, and q odd
        out[i] = Clamp ? clamp_as<U>(q) : U(q);
    }
}

// The same for 8-bit averages of at most 256 cells, in 16-bit lanes. With
// N = a + D/2 < 2^16, floor(N/D) = (N*m) >> (16+l) for l = ceil(log2 D) and
// m = floor(2^(16+l)/D) + 1 (Granlund & Montgomery: exact for N < 2^16). m has 17
// bits, 2^16 + mul: with t = (N*mul) >> 16, the quotient is (N + t) >> l, computed as
// (((N - t) >> 1) + t) >> (l-1) so nothing overflows. False if mul does not fit.
template <bool Clamp, typename U>
bool divide_row16(const std::uint16_t* a, U* out, size_t n, std::int32_t D, bool half_even) {
    int l = 0;
    while ((std::int32_t(1) << l) < D) ++l;
    const std::uint32_t m = std::uint32_t((std::uint64_t(1) << (16 + l)) / std::uint64_t(D) + 1) - 0x10000u;
    if (D < 2 || D > 256 || m > 0xffff) return false;
    const std::uint16_t bias = std::uint16_t(D / 2), mul = opaque(std::uint16_t(m)), d16 = std::uint16_t(D);
    const bool ties = half_even && D % 2 == 0;
    switch (l) {
    case 1: divide_row16_by<0, Clamp>(a, out, n, bias, mul, d16, ties); break;
    case 2: divide_row16_by<1, Clamp>(a, out, n, bias, mul, d16, ties); break;
    case 3: divide_row16_by<2, Clamp>(a, out, n, bias, mul, d16, ties); break;
    case 4: divide_row16_by<3, Clamp>(a, out, n, bias, mul, d16, ties); break;
    case 5: divide_row16_by<4, Clamp>(a, out, n, bias, mul, d16, ties); break;
    case 6: divide_row16_by<5, Clamp>(a, out, n, bias, mul, d16, ties); break;
    case 7: divide_row16_by<6, Clamp>(a, out, n, bias, mul, d16, ties); break;
    default: divide_row16_by<7, Clamp>(a, out, n, bias, mul, d16, ties); break;
    }
    return true;
}

// ---------------------------------------------------------------- the engine

// T: source cells; OpT: the reduction; X: the row type of x results; A: y's
// accumulator (X may be narrower: 8-bit sums along x fit 16 bits); Lp: lp's |x|^p.
template <typename T, template <typename> class OpT, typename A, typename X, bool Lp>
class Engine {
    using XOp = OpT<X>;
    using AOp = OpT<A>;
    static constexpr bool kIdempotent = !std::is_same_v<OpT<A>, Sum<A>>;

public:
    Engine(const Setup& su, cv::Mat& dst)
        : su_(su), dst_(dst), cn_(size_t(su.cn)), width_(size_t(su.x.out) * cn_),
          ring_width_(su.prefix_rows ? size_t(su.x.out + su.x.k * su.x.d) * cn_ : width_) {}

    void run(int oy0, int oy1) {
        switch (su_.ym) {
        case YMethod::direct: return run_direct(oy0, oy1);
        case YMethod::herk:
            if constexpr (std::is_same_v<X, A>) return run_herk(oy0, oy1);
            break;
        case YMethod::running:
            if constexpr (std::is_integral_v<A> && !kIdempotent) return run_running(oy0, oy1);
            break;
        }
        CV_Error(cv::Error::StsInternal, "separable engine: a method these types cannot run");
    }

private:
    const Setup& su_;
    cv::Mat& dst_;
    const size_t cn_, width_;  // width_: values in a reduced row
    const size_t ring_width_;  // in a row of the ring (prefix rows are longer)
    std::vector<X> ring_, vbuf_, lv_[2], fbuf_, ident_, prefix_;
    std::vector<A> acc_;
    std::vector<i64> tags_;

    // ------------------------------------------------------------ x: one source row

    void x_reduce(i64 v, X* out) {
        if (v < 0 || v >= su_.y.n) return std::fill(out, out + ring_width_, XOp::identity());
        const T* row = su_.src.ptr<T>(int(v));
        if (su_.xm == XMethod::direct) return x_direct(row, out);
        x_sliding(row, out);
    }

    void x_direct(const T* row, X* out) {
        switch (cn_) {
        case 1: return x_direct_cn<1>(row, out);
        case 2: return x_direct_cn<2>(row, out);
        case 3: return x_direct_cn<3>(row, out);
        case 4: return x_direct_cn<4>(row, out);
        default: return x_direct_cn<0>(row, out);
        }
    }

    template <int CN>
    void x_direct_cn(const T* row, X* out) {
        const size_t cn = CN ? size_t(CN) : cn_;
        const double p = su_.power;
        const int mode = su_.lp_mode;
        const std::vector<Span>& spans = *su_.x.spans;
        for (size_t o = 0; o < spans.size(); ++o) {
            const Span& sp = spans[o];
            const T* c0 = row + size_t(sp.first) * cn;
            const size_t step = size_t(sp.step) * cn;
            X* q = out + o * cn;
            for (size_t c = 0; c < cn; ++c) q[c] = load<X, Lp>(c0[c], mode, p);
            for (int t = 1; t < sp.count; ++t) {
                c0 += step;
                for (size_t c = 0; c < cn; ++c) q[c] = XOp::apply(q[c], load<X, Lp>(c0[c], mode, p));
            }
        }
    }

    // The virtual row's cells [lo, hi) with the identity outside the source.
    const X* virtual_row(const T* row, i64 lo, i64 hi) {
        const i64 n = su_.x.n;
        vbuf_.resize(size_t(hi - lo) * cn_);
        X* v = vbuf_.data();
        const i64 a = std::clamp<i64>(0, lo, hi), b = std::clamp<i64>(n, lo, hi);
        std::fill(v, v + size_t(a - lo) * cn_, XOp::identity());
        const size_t m = size_t(std::max<i64>(b - a, 0)) * cn_;
        const T* s = row + size_t(std::max<i64>(a, 0)) * cn_;
        X* d = v + size_t(a - lo) * cn_;
        load_row<Lp>(d, s, m, su_.lp_mode, su_.power);
        std::fill(v + size_t(std::max(a, b) - lo) * cn_, v + size_t(hi - lo) * cn_, XOp::identity());
        return v;
    }

    void x_sliding(const T* row, X* out) {
        const AxisPlan& ax = su_.x;
        const i64 lo = ax.v0, hi = ax.vstart(ax.out - 1) + i64(ax.k - 1) * ax.d + 1;
        const size_t len = size_t(hi - lo), m = size_t(ax.out - 1) * size_t(ax.s) + 1;  // m: outputs at stride 1
        if (su_.xm != XMethod::shift && lv_[0].empty()) {  // level buffers, sized once
            for (auto& b : lv_) b.resize(len * cn_);
            if (su_.xm == XMethod::prefix && !su_.prefix_rows) prefix_.resize(len * cn_);
        }
        X* f = out;
        if (ax.s > 1) {
            fbuf_.resize(m * cn_);
            f = fbuf_.data();
        }
        // The source row itself when it covers the cells and needs no |x|^p: the first
        // pass converts as it reads.
        if (!Lp && lo >= 0 && hi <= ax.n) slide(row + size_t(lo) * cn_, len, m, f);
        else slide(virtual_row(row, lo, hi), len, m, f);
        if (ax.s == 1) return;
        switch (cn_) {
        case 1: return subsample<1>(f, out);
        case 2: return subsample<2>(f, out);
        case 3: return subsample<3>(f, out);
        case 4: return subsample<4>(f, out);
        default: return subsample<0>(f, out);
        }
    }

    // Every s-th cell of the full-resolution windows.
    template <int CN>
    void subsample(const X* f, X* out) {
        const size_t cn = CN ? size_t(CN) : cn_, s = size_t(su_.x.s) * cn;
        for (size_t o = 0; o < size_t(su_.x.out); ++o)
            for (size_t c = 0; c < cn; ++c) out[o * cn + c] = f[o * s + c];
    }

    // f[i] = op of the window of k taps from cell i, i < m, from `len` cells of v.
    template <typename S>
    void slide(const S* v, size_t len, size_t m, X* f) {
        const size_t k = size_t(su_.x.k);
        switch (su_.xm) {
        case XMethod::shift: return windows_of(f, v, 1, k, m);
        case XMethod::levels: return slide_levels(v, len, m, f);
        case XMethod::prefix:
            if constexpr (std::is_integral_v<X> && !kIdempotent) return slide_prefix(v, len, m, f);
            CV_Error(cv::Error::StsInternal, "separable engine: prefix sums of these types");
        default: return slide_binary(v, len, m, f);
        }
    }

    // f[i] = op over k taps from windows of w taps at src: ceil(k/w) <= 8 of them,
    // overlapping at the end (max/min), or k/w exactly (sums). In chunks of 2 KiB, each
    // asking for the 2 KiB that follow the next one: the source rows come from memory, and
    // this took a fifth to a third off float 3x3/2 on 4K RGB (max 10 -> 8 ms, avg 19 -> 13).
    // The chunks keep the prefetches out of the loops the compiler vectorises.
    template <typename S>
    void windows_of(X* f, const S* src, size_t w, size_t k, size_t m) {
        const size_t D = size_t(su_.x.d) * cn_, c = (k + w - 1) / w, n = m * cn_;
        const S* o[8] = {src, src, src, src, src, src, src, src};
        for (size_t j = 1; j < c; ++j) o[j] = src + (j + 1 < c ? j * w : k - w) * D;
        constexpr size_t kChunk = 2048 / sizeof(S);
        for (size_t i = 0; i < n; i += kChunk) {
            const size_t len = std::min(kChunk, n - i);
            const std::uintptr_t next = reinterpret_cast<std::uintptr_t>(o[c - 1] + i + len) + 2048;
            for (size_t b = 0; b < len * sizeof(S); b += 64) __builtin_prefetch(reinterpret_cast<const void*>(next + b));
            windows_chunk(f + i, o, c, i, len);
        }
    }

    template <typename S>
    void windows_chunk(X* f, const S* const* at, size_t c, size_t i, size_t n) {
        const S* o[8];
        for (size_t j = 0; j < 8; ++j) o[j] = at[j] + i;
        const S* src = o[0];
        switch (c) {
        case 1: return copy_row(f, src, n);
        case 2: return opn<2, XOp>(f, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], n);
        case 3: return opn<3, XOp>(f, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], n);
        case 4: return opn<4, XOp>(f, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], n);
        case 5: return opn<5, XOp>(f, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], n);
        case 6: return opn<6, XOp>(f, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], n);
        case 7: return opn<7, XOp>(f, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], n);
        default: return opn<8, XOp>(f, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], n);
        }
    }

    // Max/min: windows of 4, 16, 64... taps, each from four of the previous, then the
    // window of k from at most four overlapping ones. (Fewer, wider passes load more:
    // loads are what these passes cost.)
    template <typename S>
    void slide_levels(const S* v, size_t len, size_t m, X* f) {
        const size_t k = size_t(su_.x.k), d = size_t(su_.x.d);
        if (k <= 4) return windows_of(f, v, 1, k, m);
        len -= 3 * d;
        X* cur = k == 4 ? f : lv_[0].data();
        windows_of(cur, v, 1, 4, k == 4 ? m : len);
        size_t w = 4;
        for (size_t i = 1; 4 * w <= k; ++i, w *= 4) {
            len -= 3 * w * d;
            X* nxt = 4 * w == k ? f : lv_[i & 1].data();
            windows_of(nxt, cur, w, 4 * w, 4 * w == k ? m : len);
            cur = nxt;
        }
        if (w < k) windows_of(f, cur, w, k, m);
    }

    // Sums: windows of 1, 2, 4... taps by doubling; the set bits of k add up to k.
    template <typename S>
    void slide_binary(const S* v, size_t len, size_t m, X* f) {
        const size_t k = size_t(su_.x.k), d = size_t(su_.x.d);
        size_t off = 0;  // f[i] holds the window of `off` taps from i
        if (k & 1) {
            copy_row(f, v, m * cn_);
            off = 1;
        }
        if (off == k) return;
        len -= d;
        X* cur = lv_[0].data();
        op2<XOp>(cur, v, v + d * cn_, len * cn_);
        for (size_t w = 2, i = 1;; w *= 2, ++i) {
            if (k & w) {
                if (off == 0) copy_row(f, cur, m * cn_);
                else op_into<XOp>(f, cur + off * d * cn_, m * cn_);
                off += w;
            }
            if (off == k) return;
            len -= w * d;
            X* nxt = lv_[i & 1].data();
            op2<XOp>(nxt, cur, cur + w * d * cn_, len * cn_);
            cur = nxt;
        }
    }

    // Integer sums of wide windows: each is a difference of prefix sums P (along each
    // residue class of the dilation), kept wrapping in X's unsigned twin: only
    // differences are used and each fits X. P advances B taps at a time,
    // P[j] = (B taps ending at j) + P[j - B taps], a loop that vectorises with each
    // load matching an earlier store (B*cn is a multiple of 16).
    template <typename S>
    void slide_prefix(const S* v, size_t len, size_t m, X* f) {
        using P = std::make_unsigned_t<X>;
        const size_t k = size_t(su_.x.k), d = size_t(su_.x.d), D = d * cn_, n = len * cn_;
        const size_t B = sep::prefix_taps(su_.cn);
        // Prefix rows for the running sums: D zeros, then P, straight into the ring.
        if (su_.prefix_rows) std::fill(f, f + D, X(0));
        P* pre = reinterpret_cast<P*>(su_.prefix_rows ? f + D : prefix_.data());
        const size_t head = std::min(n, B * D);  // where P[j - B taps] does not exist yet
        for (size_t j = 0; j < head; ++j) pre[j] = P(P(X(v[j])) + (j >= D ? pre[j - D] : P(0)));
        if (head < n) {
            // B taps from each cell, from windows of 4 (and 16).
            X* taps = lv_[0].data();
            windows_of(taps, v, 1, 4, len - 3 * d);
            if (B == 16) {
                windows_of(lv_[1].data(), taps, 4, 16, len - 15 * d);
                taps = lv_[1].data();
            }
            const size_t step = B * D, back = (B - 1) * D;
            for (size_t j = head; j < n; j += step) {
                P* __restrict out = pre + j;
                const P* __restrict prev = pre + j - step;
                const X* __restrict t = taps + j - back;
                const size_t e = std::min(step, n - j);
                for (size_t i = 0; i < e; ++i) out[i] = P(P(t[i]) + prev[i]);
            }
        }
        if (su_.prefix_rows) return;
        // f[i] = P[i + (k-1) taps] - P[i - 1 tap], the latter 0 for the first tap.
        const size_t first = std::min(D, m * cn_);
        for (size_t i = 0; i < first; ++i) f[i] = X(pre[i + (k - 1) * D]);
        if (m * cn_ > D) sub_row(reinterpret_cast<P*>(f) + D, pre + k * D, pre, m * cn_ - D);
    }

    // ------------------------------------------------------------ y and finishing

    X* row_at(size_t slot) { return ring_.data() + slot * ring_width_; }

    // The x result of source row v, computed once and kept in a ring of rows.
    const X* get(i64 v) {
        if (v < 0 || v >= su_.y.n) return identity_row();
        const size_t slot = size_t(v % i64(tags_.size()));
        X* r = row_at(slot);
        if (tags_[slot] != v) {
            x_reduce(v, r);
            tags_[slot] = v;
        }
        return r;
    }

    const X* identity_row() {
        if (ident_.empty()) ident_.assign(ring_width_, XOp::identity());
        return ident_.data();
    }

    void make_ring(size_t rows) {
        ring_.resize(rows * ring_width_);
        tags_.assign(rows, -1);
    }

    // Where the reduction of output row oy goes: straight into the result when the
    // finish is a copy.
    A* target(int oy) {
        if (su_.finish == Finish::copy) return dst_.ptr<A>(oy);
        acc_.resize(width_);
        return acc_.data();
    }

    void run_direct(int oy0, int oy1) {
        make_ring(size_t(su_.ring_rows));
        const bool resident = su_.ring_rows >= su_.y.extent_max;  // a window's rows all fit
        for (int oy = oy0; oy < oy1; ++oy) {
            const Span& sp = (*su_.y.spans)[size_t(oy)];
            const i64 r0 = sp.first, st = sp.step;
            if constexpr (std::is_same_v<X, A>) {
                if (sp.count == 1 && su_.finish != Finish::copy) {
                    finish(get(r0), oy);
                    continue;
                }
            }
            A* acc = target(oy);
            int t = 1;
            if (sp.count == 1) {
                copy_row(acc, get(r0), width_);
            } else if (resident && sp.count >= 3) {
                op3<AOp>(acc, get(r0), get(r0 + st), get(r0 + 2 * st), width_);
                t = 3;
            } else if (resident) {
                op2<AOp>(acc, get(r0), get(r0 + st), width_);
                t = 2;
            } else {
                copy_row(acc, get(r0), width_);
            }
            for (; t < sp.count; ++t) op_into<AOp>(acc, get(r0 + t * st), width_);
            finish(acc, oy);
        }
    }

    // Van Herk / Gil-Werman along y: rows in blocks of k taps (per residue class of the
    // dilation); within a block a running prefix, and at its end suffixes computed in
    // place, so a window is suffix(block b) op prefix(block b+1): 3 ops per cell.
    void run_herk(int oy0, int oy1) {
        const AxisPlan& ay = su_.y;
        const i64 k = ay.k, d = ay.d, kd = k * d, shift = 2 * kd;  // shifted rows are >= 0
        make_ring(size_t(2 * kd));
        std::vector<A> prefix(size_t(d) * width_);
        auto slot_of = [&](i64 w) { return size_t(w % (2 * kd)); };
        const i64 w0 = ay.vstart(oy0) + shift;
        // From a multiple of k*d, where every residue class starts a block.
        i64 w = (w0 - d + 1) / kd * kd;
        for (int oy = oy0; oy < oy1; ++w) {
            A* x = row_at(slot_of(w));
            x_reduce(w - shift, x);
            const i64 j = w / d, q = j % k;
            A* p = prefix.data() + size_t(w % d) * width_;
            if (ay.vstart(oy) + shift + (k - 1) * d == w) {  // output oy's window ends here
                A* acc = target(oy);
                const A* suffix = q == k - 1 ? nullptr : row_at(slot_of(w - (k - 1) * d));
                prefix_step<AOp>(p, x, suffix, acc, width_, q == 0);
                finish(acc, oy);
                ++oy;
            } else if (q == 0) {
                copy_row(p, x, width_);
            } else {
                op_into<AOp>(p, x, width_);
            }
            if (q == k - 1)  // the block is complete: its suffixes, in place
                for (i64 u = w - d; u > w - kd; u -= d) op_into<AOp>(row_at(slot_of(u)), row_at(slot_of(u + d)), width_);
        }
    }

    // Integer sums with stride 1 along y: each window is the one d rows up, plus its new
    // last row, minus the row it lost. Exact in integers.
    void run_running(int oy0, int oy1) {
        const AxisPlan& ay = su_.y;
        const i64 k = ay.k, d = ay.d;
        make_ring(size_t(k * d + 1));
        std::vector<A> sums(size_t(d) * width_);
        for (int oy = oy0; oy < oy1; ++oy) {
            A* acc = sums.data() + size_t((oy - oy0) % d) * width_;
            const i64 v = ay.vstart(oy);
            if (oy - oy0 < d) {
                for (i64 t = 0; t < k; ++t) add_row(acc, get(v + t * d), t > 0);
            } else {
                const X* in = get(v + (k - 1) * d);
                slide_row(acc, in, get(v - d));
            }
            finish(acc, oy);
        }
    }

    // acc = (or +=) the x windows of a ring row; acc += those of in - those of out.
    void add_row(A* acc, const X* row, bool add) {
        if (su_.prefix_rows) {
            using P = std::make_unsigned_t<X>;
            diff_row<X>(acc, reinterpret_cast<const P*>(row), size_t(su_.x.k * su_.x.d) * cn_, width_, add);
        } else if (add) {
            op_into<AOp>(acc, row, width_);
        } else {
            copy_row(acc, row, width_);
        }
    }

    void slide_row(A* acc, const X* in, const X* out) {
        if (su_.prefix_rows) {
            using P = std::make_unsigned_t<X>;
            const size_t w = size_t(su_.x.k * su_.x.d) * cn_;
            slide_diff<X>(acc, reinterpret_cast<const P*>(in), reinterpret_cast<const P*>(out), w, width_);
        } else {
            slide_sum(acc, in, out, width_);
        }
    }

    void finish(const A* acc, int oy) {
        if (su_.finish == Finish::copy) {
            copy_row(dst_.ptr<A>(oy), acc, width_);
            return;
        }
        switch (dst_.depth()) {
        case CV_8U: return finish_as(acc, dst_.ptr<std::uint8_t>(oy), oy);
        case CV_8S: return finish_as(acc, dst_.ptr<std::int8_t>(oy), oy);
        case CV_16U: return finish_as(acc, dst_.ptr<std::uint16_t>(oy), oy);
        case CV_16S: return finish_as(acc, dst_.ptr<std::int16_t>(oy), oy);
        case CV_32S: return finish_as(acc, dst_.ptr<std::int32_t>(oy), oy);
        case CV_32F: return finish_as(acc, dst_.ptr<float>(oy), oy);
        default: return finish_as(acc, dst_.ptr<double>(oy), oy);
        }
    }

    // A reduced value as reduce() finishes it: a float result stored as an integer is
    // rounded once.
    double settle(double v) const { return su_.integer_result ? round_to_integer(v, su_.rounding) : v; }

    template <typename U>
    void finish_as(const A* acc, U* out, int oy) {
        // Only the finishes this engine's reduction can have are compiled.
        if constexpr (Lp) {
            finish_lp(acc, out);
        } else if constexpr (!kIdempotent) {
            const i64 dy = su_.y.divisor[size_t(oy)];
            if (su_.finish == Finish::avg_exact) finish_avg_exact(acc, out, dy);
            else if (su_.finish == Finish::avg_div) finish_avg_div(acc, out, dy);
            else finish_value(acc, out);
        } else {
            finish_value(acc, out);
        }
    }

    template <typename U>
    void finish_value(const A* acc, U* out) {
        if constexpr (std::is_integral_v<A> && std::is_integral_v<U>) {
            for (size_t i = 0; i < width_; ++i) out[i] = clamp_as<U>(acc[i]);
        } else if constexpr (std::is_integral_v<A>) {
            for (size_t i = 0; i < width_; ++i) out[i] = store_as<U>(double(acc[i]));
        } else {
            for (size_t i = 0; i < width_; ++i) out[i] = store_as<U>(settle(double(acc[i])));
        }
    }

    template <typename U>
    void finish_avg_exact(const A* acc, U* out, i64 dy) {
        if constexpr (std::is_integral_v<A> && std::is_integral_v<U>) {
            for (const sep::DivisorRun& run : su_.runs) {
                const i64 D = run.divisor * dy;
                const size_t b = size_t(run.begin) * cn_, e = size_t(run.end) * cn_;
                if constexpr (sizeof(A) <= 4) {
                    if (su_.divide != sep::Divide::exact) {
                        divide(acc + b, out + b, e - b, std::int32_t(D));
                        continue;
                    }
                }
                for (size_t i = b; i < e; ++i) out[i] = clamp_as<U>(round_div(i64(acc[i]), D, su_.rounding));
            }
        } else {
            (void)acc, (void)out, (void)dy;
        }
    }

    // divide_row for this source and result: averages lie within the source's range,
    // so only a narrower result needs the clamp.
    template <typename U>
    void divide(const A* acc, U* out, size_t n, std::int32_t D) {
        constexpr bool offset = std::is_signed_v<T>;
        constexpr bool clamp = double(std::numeric_limits<U>::lowest()) > double(std::numeric_limits<T>::lowest()) ||
                               double(std::numeric_limits<U>::max()) < double(std::numeric_limits<T>::max());
        const bool even = su_.rounding == Rounding::half_even;
        if constexpr (std::is_same_v<A, std::uint16_t>) {
            if (su_.divide == sep::Divide::half && divide_row16<clamp>(acc, out, n, D, even)) return;
        }
        if (su_.divide != sep::Divide::twice)
            divide_row<float, offset, clamp>(acc, out, n, D, su_.even_offset, even);
        else
            divide_row<double, offset, clamp>(acc, out, n, D, su_.even_offset, even);
    }

    template <typename U>
    void finish_avg_div(const A* acc, U* out, i64 dy) {
        for (const sep::DivisorRun& run : su_.runs) {
            const double D = double(run.divisor * dy);
            for (size_t i = size_t(run.begin) * cn_; i < size_t(run.end) * cn_; ++i)
                out[i] = store_as<U>(settle(double(acc[i]) / D));
        }
    }

    template <typename U>
    void finish_lp(const A* acc, U* out) {
        const double p = su_.power;
        for (size_t i = 0; i < width_; ++i) {
            const double s = double(acc[i]);
            out[i] = store_as<U>(settle(p == 1 ? s : p == 2 ? std::sqrt(s) : std::pow(s, 1 / p)));
        }
    }
};

// ---------------------------------------------------------------- dispatch

template <typename T, template <typename> class OpT, typename A, typename X = A, bool Lp = false>
void run_typed(const Setup& su, cv::Mat& dst) {
    auto body = [&](int stripe) {
        const int rows = su.y.out, n = su.stripes;
        Engine<T, OpT, A, X, Lp> engine(su, dst);
        engine.run(int(i64(rows) * stripe / n), int(i64(rows) * (stripe + 1) / n));
    };
    if (su.stripes <= 1) return body(0);
    cv::parallel_for_(cv::Range(0, su.stripes), [&](const cv::Range& r) {
        for (int i = r.start; i < r.end; ++i) body(i);
    }, su.stripes);
}

template <typename T>
void run_sum(const Setup& su, cv::Mat& dst) {
    if constexpr (std::is_floating_point_v<T>) {
        run_typed<T, Sum, double>(su, dst);
    } else {
        // 8-bit sums fit 16 bits along x, or along both axes, when Setup says so: twice
        // the lanes of int32.
        using Narrow = std::conditional_t<std::is_signed_v<T>, std::int16_t, std::uint16_t>;
        if constexpr (sizeof(T) == 4) {
            run_typed<T, Sum, std::int64_t>(su, dst);  // 32-bit sums are always wide
        } else {
            if (su.wide) run_typed<T, Sum, std::int64_t>(su, dst);
            else if (sizeof(T) == 1 && su.narrow == 2) run_typed<T, Sum, Narrow>(su, dst);
            else if (sizeof(T) == 1 && su.narrow == 1) run_typed<T, Sum, std::int32_t, Narrow>(su, dst);
            else run_typed<T, Sum, std::int32_t>(su, dst);
        }
    }
}

template <typename T>
void run_kind(const Setup& su, cv::Mat& dst) {
    switch (su.kind) {
    case Kind::max: return run_typed<T, Max, T>(su, dst);
    case Kind::min: return run_typed<T, Min, T>(su, dst);
    case Kind::sum: return run_sum<T>(su, dst);
    case Kind::lp: return run_typed<T, Sum, double, double, true>(su, dst);
    }
}

void run(const Setup& su, cv::Mat& dst) {
    switch (su.src.depth()) {
    case CV_8U: return run_kind<std::uint8_t>(su, dst);
    case CV_8S: return run_kind<std::int8_t>(su, dst);
    case CV_16U: return run_kind<std::uint16_t>(su, dst);
    case CV_16S: return run_kind<std::int16_t>(su, dst);
    case CV_32S: return run_kind<std::int32_t>(su, dst);
    case CV_32F: return run_kind<float>(su, dst);
    default: return run_kind<double>(su, dst);
    }
}

}  // namespace imgpool::detail::IMGPOOL_SEP_NS
