// The separable engine: max, min, avg, sum and lp over rectangular windows are a
// reduction along x (each source row into a row of per-column results) followed by one
// along y (over those rows, per output row), then the finish (divide, round, store) of
// reduce()/generic.cpp. Where windows overlap, neither pass costs k operations per cell:
// along y, van Herk / Gil-Werman blocks (3 per cell, any k) or running sums (integers);
// along x, where a running quantity would be a serial chain, vectorised passes: max/min
// from windows of 4, 16, 64... (about log4 k passes), integer sums as differences of
// prefix sums built 16 cells at a time (4 passes, any k). Cells outside the source are
// the reduction's identity, so clipped windows need no special case. Rows stream through
// a ring per thread: memory is a few windows of rows, never the whole intermediate.
// Kernels: separable_kernels.hpp, compiled for SSE2 and AVX2 (separable_run_*.cpp).
//
// Exactness: max/min pick a cell; integer sums are exact in 16, 32 or 64 bits (whichever
// cannot overflow) and divided exactly; float sums are in double, in another order than
// generic's. Cases where that order could change an integer result (float avg/sum/lp
// stored as integers; lp whose |x|^p sums are not exact) are left to the generic engine.
#include "engines.hpp"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "imgpool/pool.hpp"

#include "separable_setup.hpp"

// The kernels for AVX2 are chosen at run time (OpenCV's own filters dispatch the same way,
// so this is what they are measured against).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define IMGPOOL_SEP_AVX2 1
#endif

namespace imgpool::detail {
namespace {

using sep::AxisPlan;
using sep::Finish;
using sep::i64;
using sep::Kind;
using sep::Setup;
using sep::XMethod;
using sep::YMethod;

// Largest |value| and largest value of an integer depth (0 for floats).
i64 max_abs(int depth) {
    switch (depth) {
    case CV_8U: return 255;
    case CV_8S: return 128;
    case CV_16U: return 65535;
    case CV_16S: return 32768;
    case CV_32S: return i64(1) << 31;
    default: return 0;
    }
}

bool integer_depth(int depth) { return depth != CV_32F && depth != CV_64F; }

// divide_row's conditions for divisors up to dmax: N = a + off*D + D/2 < 2^31, exact in
// the float type, and 1.25 (q+1) D below 2^22 (float) or 2^51 (double); q <= top.
sep::Divide divide_method(int depth, i64 dmax, int& even_offset) {
    even_offset = depth == CV_8S ? 128 : depth == CV_16S ? 32768 : 0;
    const i64 top = max_abs(depth) + even_offset;
    if ((top + 1) * dmax * 5 < (i64(1) << 24)) return sep::Divide::single;
    if ((top + 1) * dmax < (i64(1) << 31)) return sep::Divide::twice;
    return sep::Divide::exact;
}

// Whether the spans are sliding windows of k taps, d apart, s apart from output to
// output, clipped to [0, n): then cells outside the source can be taken as the
// identity and every output is a full window. Sets v0, the first tap of output 0.
bool sliding_windows(AxisPlan& ax, int k, int d) {
    const std::vector<Span>& spans = *ax.spans;
    for (size_t o = 0; o < spans.size(); ++o) {
        const Span& sp = spans[o];
        if (sp.step != d || sp.count < 1 || sp.count > k) return false;
        // A window clipped at the start ends at its last real tap; otherwise it starts at
        // its first one.
        const i64 v = sp.count < k && sp.first < d ? sp.first - i64(k - sp.count) * d : sp.first;
        if (o == 0) ax.v0 = v;
        else if (v != ax.vstart(int(o))) return false;
        const i64 t0 = v >= 0 ? 0 : (-v + d - 1) / d;
        const i64 t1 = std::min<i64>(k - 1, ax.n - 1 - v >= 0 ? (ax.n - 1 - v) / d : -1);
        if (sp.first != v + t0 * d || sp.count != t1 - t0 + 1) return false;
    }
    return true;
}

AxisPlan make_axis(const std::vector<Span>& spans, int n, const PoolParams& p, bool x) {
    AxisPlan ax;
    ax.spans = &spans;
    ax.n = n;
    ax.out = int(spans.size());
    for (const Span& sp : spans) {
        ax.extent_max = std::max(ax.extent_max, i64(sp.count - 1) * sp.step + 1);
        ax.divisor.push_back(p.count_pad ? sp.extent : sp.count);
    }
    if (p.scope == Scope::window) {
        const Extent s = effective_stride(p);
        ax.k = x ? p.window.w : p.window.h;
        ax.s = x ? s.w : s.h;
        ax.d = x ? p.dilation.w : p.dilation.h;
        ax.sliding = sliding_windows(ax, ax.k, ax.d);
    }
    return ax;
}

i64 most_cells(const AxisPlan& ax) {
    i64 most = ax.sliding ? std::min(ax.k, ax.n) : 1;
    for (const Span& sp : *ax.spans) most = std::max<i64>(most, std::max(sp.count, sp.extent));
    return most;
}

int floor_log2(int v) {
    int l = 0;
    while (v >>= 1) ++l;
    return l;
}

int popcount(int v) {
    int c = 0;
    for (; v; v &= v - 1) ++c;
    return c;
}

// Vectorised passes over a row that a full-resolution method makes for k taps.
int passes(XMethod m, int k, int cn) {
    int p = 1;
    switch (m) {
    case XMethod::levels:
        for (int w = 4; w < k; w *= 4) ++p;
        return p;
    case XMethod::binary: return floor_log2(k) + popcount(k);
    case XMethod::prefix: return sep::prefix_taps(cn) == 4 ? 3 : 4;
    default: return 1;
    }
}

// Along x: the spans one by one (k scalar ops per output), or every cell of the
// virtual row at full resolution (vectorised passes, then every s-th taken).
XMethod choose_x(const AxisPlan& ax, Kind kind, bool integral, int cn) {
    if (!ax.sliding) return XMethod::direct;
    const int k = ax.k;
    // One pass of up to 4 taps for max/min, 8 for sums (which have nothing better).
    XMethod m = XMethod::shift;
    if (k > 4 && (kind == Kind::max || kind == Kind::min)) m = XMethod::levels;
    else if (k > 8) m = integral && passes(XMethod::prefix, k, cn) < passes(XMethod::binary, k, cn) ? XMethod::prefix
                                                                                                  : XMethod::binary;
    const double cells = double(ax.out - 1) * ax.s + double(ax.k - 1) * ax.d + 1;
    const double full = cells * passes(m, k, cn) / 8 + (ax.s > 1 ? ax.out : 0);
    const double direct = double(ax.out) * (k + 2);
    return full < direct ? m : XMethod::direct;
}

// Along y. Direct gathers each output's rows (kept in a ring of `ring_rows`); van Herk
// costs 3 ops per cell whatever k; running sums 2, for integer sums at stride 1.
void choose_y(Setup& su, size_t row_bytes, bool exact_sums) {
    const AxisPlan& ay = su.y;
    const i64 budget = i64(16) << 20;  // bytes of rows a direct ring may hold
    if (!ay.sliding) {
        su.ym = YMethod::direct;
        su.ring_rows = ay.extent_max * i64(row_bytes) <= budget ? int(ay.extent_max) : 2;
    } else if (exact_sums && ay.s == 1 && ay.k >= 4) {
        su.ym = YMethod::running;
    } else if (ay.k > 2 * ay.s + 2) {
        su.ym = YMethod::herk;
    } else {
        su.ym = YMethod::direct;
        su.ring_rows = int(ay.extent_max);
    }
}

// Runs of outputs along x with one divisor, for the division's fast path.
std::vector<sep::DivisorRun> divisor_runs(const AxisPlan& ax) {
    std::vector<sep::DivisorRun> runs;
    for (int o = 0; o < ax.out; ++o) {
        const i64 dv = ax.divisor[size_t(o)];
        if (!runs.empty() && runs.back().divisor == dv) runs.back().end = o + 1;
        else runs.push_back({o, o + 1, dv});
    }
    return runs;
}

// Enough work per stripe that threads pay off; herk and running sums redo about one
// window of rows per stripe.
int stripes_for(const Setup& su) {
    const i64 cells = i64(su.src.total()) * su.cn + i64(su.y.out) * su.x.out * su.cn;
    const i64 warmup = su.ym == YMethod::direct ? 4 : 4 * i64(su.y.k) * su.y.d;
    i64 n = std::min<i64>(cv::getNumThreads(), cells >> 17);
    n = std::min<i64>(n, su.y.out / std::max<i64>(warmup, 1));
    return int(std::max<i64>(n, 1));
}

// Avg and sum: exact integer sums, in the narrowest type that cannot overflow.
bool describe_sum(const PoolParams& p, int depth, i64 count_x, i64 cells, Setup& su) {
    const bool int_in = integer_depth(depth);
    // Float sums in another order than generic's could round to another integer.
    if (!int_in && su.integer_result) return false;
    const i64 big = max_abs(depth);
    su.kind = Kind::sum;
    su.wide = int_in && cells * big >= (i64(1) << 31);
    if (p.type == PoolType::sum) su.finish = Finish::value;
    else su.finish = int_in && su.integer_result ? Finish::avg_exact : Finish::avg_div;
    // 8-bit sums fit 16 bits along x, or everywhere, for windows of few cells.
    const i64 room = depth == CV_8U ? 65536 : 32768;  // uint16 or int16
    if (int_in && su.src.elemSize1() == 1) su.narrow = cells * big < room ? 2 : count_x * big < room ? 1 : 0;
    if (su.finish == Finish::avg_exact && !su.wide) {
        su.divide = divide_method(depth, cells, su.even_offset);
        if (depth == CV_8U && su.narrow == 2 && cells <= 256) su.divide = sep::Divide::half;  // divide_row16
    }
    return true;
}

// Lp: integer results need the |x|^p sums exact in double, as generic's are.
bool describe_lp(const PoolParams& p, int depth, i64 cells, Setup& su) {
    const double bound = double(cells) * std::pow(double(max_abs(depth)), p.power);
    const bool exact = integer_depth(depth) && (p.power == 1 || p.power == 2) && bound < 0x1p53;
    if (su.integer_result && !exact) return false;
    su.kind = Kind::lp;
    su.lp_mode = p.power == 1 ? 1 : p.power == 2 ? 2 : 3;
    su.finish = Finish::lp;
    return true;
}

// Fills everything but the methods; false when the case is not this engine's.
bool describe(const Plan& plan, const PoolParams& p, Setup& su) {
    const int depth = plan.source.depth();
    su.src = plan.source;
    su.cn = plan.source.channels();
    su.integer_result = integer_depth(plan.depth);
    su.rounding = p.rounding;
    su.power = p.power;
    su.x = make_axis(plan.xs, plan.source.cols, p, true);
    su.y = make_axis(plan.ys, plan.source.rows, p, false);
    // Most cells a partial result can take along each axis: a divisor, a window, or a
    // run of taps of a sliding window.
    const i64 count_x = most_cells(su.x), cells = count_x * most_cells(su.y);
    switch (p.type) {
    case PoolType::max:
    case PoolType::min:
        su.kind = p.type == PoolType::max ? Kind::max : Kind::min;
        su.finish = plan.depth == depth ? Finish::copy : Finish::value;
        return true;
    case PoolType::sum:
    case PoolType::avg: return describe_sum(p, depth, count_x, cells, su);
    case PoolType::lp: return describe_lp(p, depth, cells, su);
    case PoolType::median:
    case PoolType::mode: return false;  // not separable
    }
    return false;
}

size_t acc_size(const Setup& su) {
    if (su.kind == Kind::max || su.kind == Kind::min) return su.src.elemSize1();
    if (su.kind == Kind::lp || !integer_depth(su.src.depth()) || su.wide) return 8;
    return su.narrow == 2 ? 2 : 4;
}

}  // namespace

bool pool_separable(const Plan& plan, const PoolParams& p, cv::Mat& dst) {
    Setup su;
    if (!describe(plan, p, su)) return false;
    su.xm = choose_x(su.x, su.kind, integer_depth(su.src.depth()) && su.kind == Kind::sum, su.cn);
    const bool exact_sums = su.kind == Kind::sum && integer_depth(su.src.depth());
    choose_y(su, size_t(su.x.out) * size_t(su.cn) * acc_size(su), exact_sums);
    if (su.ym == YMethod::herk && su.narrow == 1) su.narrow = 0;  // herk keeps its suffixes in x's rows
    // Running sums over rows of x's prefix sums: one pass fewer (wrapping sums are linear).
    su.prefix_rows = su.xm == XMethod::prefix && su.x.s == 1 && su.ym == YMethod::running;
    su.runs = divisor_runs(su.x);
    su.stripes = stripes_for(su);
    dst.create(su.y.out, su.x.out, CV_MAKETYPE(plan.depth, su.cn));
#ifdef IMGPOOL_SEP_AVX2
    static const bool avx2 = cv::checkHardwareSupport(CV_CPU_AVX2);
    if (avx2 && cv::useOptimized()) {
        avx2::run(su, dst);
        return true;
    }
#endif
    base::run(su, dst);
    return true;
}

}  // namespace imgpool::detail
