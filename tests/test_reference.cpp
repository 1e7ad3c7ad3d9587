// The library against a naive, obviously-right pooling written from the definitions
// in docs/semantics.md, on random inputs over every type, depth, channel count and
// parameter combination. The reference shares no code with the library: it lays the
// padded plane out cell by cell, walks every window tap, and reduces in long double.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <vector>

#include "imgpool/pool.hpp"
#include "support.hpp"

using namespace imgpool;
using ld = long double;

namespace {

struct Axis {
    int n, k, s, d, pb, pa;
};

// Windows along one axis, counted one by one: floor mode keeps windows that fit in the
// padded axis; ceil mode keeps adding windows while the previous one (for the first, a
// virtual one a stride earlier) has not reached the last padded cell.
int count_windows(const Axis& a, bool ceil_mode) {
    const int padded = a.n + a.pb + a.pa, e = a.d * (a.k - 1) + 1;
    int out = 0;
    for (int o = 0;; ++o) {
        const bool fits = o * a.s + e <= padded;
        const bool previous_short_of_end = (o - 1) * a.s + e < padded;
        if (!fits && !(ceil_mode && previous_short_of_end)) break;
        ++out;
    }
    // PyTorch's ceil-mode rule drops a last window that starts beyond the input and leading padding.
    if (ceil_mode && out > 0 && (out - 1) * a.s >= a.n + a.pb) --out;
    return out;
}

int reflect101(int i, int n) {
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
}

struct Cells {
    std::vector<ld> values;  // cells that take part
    int zeros = 0;           // count-pad zeros: only in the divisor
    bool has_input_cell = false;
};

ld reduce(PoolType t, Cells c, double power) {
    auto& v = c.values;
    for (ld x : v)
        if (std::isnan(x)) return NAN;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    ld sum = 0;
    for (ld x : v) sum += x;
    switch (t) {
    case PoolType::max: return v.back();
    case PoolType::min: return v.front();
    case PoolType::sum: return sum;
    case PoolType::avg: return sum / ld(n + size_t(c.zeros));
    case PoolType::median: return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    case PoolType::mode: {
        std::map<ld, int> freq;
        for (ld x : v) ++freq[x];
        ld best = 0;
        int most = 0;
        for (auto [x, f] : freq)
            if (f > most) best = x, most = f;
        return best;
    }
    case PoolType::lp: {
        ld acc = 0;
        for (ld x : v) acc += std::pow(std::fabs(x), ld(power));
        return std::pow(acc, 1 / ld(power));
    }
    }
    return 0;
}

bool is_integer_depth(int depth) { return depth != CV_32F && depth != CV_64F; }

ld to_depth(ld x, int depth, Rounding r) {
    if (!is_integer_depth(depth)) return depth == CV_32F ? ld(float(x)) : ld(double(x));
    if (std::isnan(x)) return 0;
    ld lo = 0, hi = 0;
    switch (depth) {
    case CV_8U: lo = 0, hi = 255; break;
    case CV_8S: lo = -128, hi = 127; break;
    case CV_16U: lo = 0, hi = 65535; break;
    case CV_16S: lo = -32768, hi = 32767; break;
    default: lo = -2147483648.0L, hi = 2147483647.0L;
    }
    // ties to even is the default floating-point rounding mode
    const ld rounded = r == Rounding::half_even ? std::nearbyint(x) : std::floor(x + 0.5L);
    return std::clamp(rounded, lo, hi);
}

// nullopt: the parameters are invalid for this input.
std::optional<cv::Mat> reference_pool(const cv::Mat& src, const PoolParams& p) {
    const int rows = src.rows, cols = src.cols, cn = src.channels();
    cv::Mat in;
    src.convertTo(in, CV_64F);
    auto at = [&](int y, int x, int c) { return ld(in.ptr<double>(y)[x * cn + c]); };
    const int depth = p.depth >= 0 ? p.depth : (p.type == PoolType::sum ? CV_64F : src.depth());

    if (p.scope != Scope::window) {
        const int ow = p.scope == Scope::global ? 1 : p.output_size.w;
        const int oh = p.scope == Scope::global ? 1 : p.output_size.h;
        cv::Mat out(oh, ow, CV_64FC(cn));
        for (int oy = 0; oy < oh; ++oy)
            for (int ox = 0; ox < ow; ++ox)
                for (int c = 0; c < cn; ++c) {
                    Cells cells;
                    const int y0 = int(std::floor(ld(oy) * rows / oh)), y1 = int(std::ceil(ld(oy + 1) * rows / oh));
                    const int x0 = int(std::floor(ld(ox) * cols / ow)), x1 = int(std::ceil(ld(ox + 1) * cols / ow));
                    for (int y = y0; y < y1; ++y)
                        for (int x = x0; x < x1; ++x) cells.values.push_back(at(y, x, c));
                    out.ptr<double>(oy)[ox * cn + c] = double(to_depth(reduce(p.type, cells, p.power), depth, p.rounding));
                }
        cv::Mat typed;
        out.convertTo(typed, CV_MAKETYPE(depth, cn));
        return typed;
    }

    const int sw = p.stride.w ? p.stride.w : p.window.w, sh = p.stride.h ? p.stride.h : p.window.h;
    Axis ax{cols, p.window.w, sw, p.dilation.w, p.padding.left, p.padding.right};
    Axis ay{rows, p.window.h, sh, p.dilation.h, p.padding.top, p.padding.bottom};
    if (p.padding.same) {
        if (p.ceil_mode) return std::nullopt;
        for (Axis* a : {&ax, &ay}) {
            const int out = (a->n + a->s - 1) / a->s;
            const int need = std::max(0, (out - 1) * a->s + a->d * (a->k - 1) + 1 - a->n);
            a->pb = need / 2;
            a->pa = need - need / 2;
        }
    }
    if (p.count_pad && (p.type != PoolType::avg || p.border != Border::ignore)) return std::nullopt;
    if (p.border == Border::reflect && std::max({ax.pb, ax.pa}) >= cols) return std::nullopt;
    if (p.border == Border::reflect && std::max({ay.pb, ay.pa}) >= rows) return std::nullopt;
    const int ow = count_windows(ax, p.ceil_mode), oh = count_windows(ay, p.ceil_mode);
    if (ow == 0 || oh == 0) return std::nullopt;

    cv::Mat out(oh, ow, CV_64FC(cn));
    for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
            for (int c = 0; c < cn; ++c) {
                Cells cells;
                for (int ty = 0; ty < ay.k; ++ty)
                    for (int tx = 0; tx < ax.k; ++tx) {
                        const int py = oy * ay.s + ty * ay.d, px = ox * ax.s + tx * ax.d;  // padded plane
                        if (py >= ay.n + ay.pb + ay.pa || px >= ax.n + ax.pb + ax.pa) continue;  // overhang
                        const int y = py - ay.pb, x = px - ax.pb;                              // input plane
                        if (y >= 0 && y < rows && x >= 0 && x < cols) {
                            cells.values.push_back(at(y, x, c));
                            cells.has_input_cell = true;
                            continue;
                        }
                        switch (p.border) {
                        case Border::ignore: cells.zeros += p.count_pad; break;
                        case Border::zero: cells.values.push_back(0); break;
                        case Border::replicate:
                            cells.values.push_back(at(std::clamp(y, 0, rows - 1), std::clamp(x, 0, cols - 1), c));
                            break;
                        case Border::reflect: cells.values.push_back(at(reflect101(y, rows), reflect101(x, cols), c)); break;
                        }
                    }
                if (!cells.has_input_cell) return std::nullopt;
                out.ptr<double>(oy)[ox * cn + c] = double(to_depth(reduce(p.type, cells, p.power), depth, p.rounding));
            }
    cv::Mat typed;
    out.convertTo(typed, CV_MAKETYPE(depth, cn));
    return typed;
}

cv::Mat random_image(std::mt19937& rng, int rows, int cols, int depth, int cn) {
    cv::Mat m(rows, cols, CV_MAKETYPE(depth, cn));
    const bool few_values = rng() % 3 == 0;  // many repeats: exercises mode and median ties
    for (int y = 0; y < rows; ++y)
        for (int i = 0; i < cols * cn; ++i) {
            double v = 0;
            switch (depth) {
            case CV_8U: v = double(few_values ? rng() % 4 : rng() % 256); break;
            case CV_8S: v = few_values ? int(rng() % 4) - 2 : int(rng() % 256) - 128; break;
            case CV_16U: v = double(few_values ? rng() % 4 : rng() % 65536); break;
            case CV_16S: v = few_values ? int(rng() % 4) - 2 : int(rng() % 65536) - 32768; break;
            case CV_32S: v = few_values ? int(rng() % 4) - 2 : double(int32_t(rng())); break;
            default:
                v = few_values ? double(rng() % 4) / 2 : std::normal_distribution<double>(0, 100)(rng);
                if (rng() % 200 == 0) v = NAN;
                if (rng() % 300 == 0) v = (rng() % 2 ? 1 : -1) * INFINITY;
            }
            switch (depth) {
            case CV_8U: m.ptr<uint8_t>(y)[i] = uint8_t(v); break;
            case CV_8S: m.ptr<int8_t>(y)[i] = int8_t(v); break;
            case CV_16U: m.ptr<uint16_t>(y)[i] = uint16_t(v); break;
            case CV_16S: m.ptr<int16_t>(y)[i] = int16_t(v); break;
            case CV_32S: m.ptr<int32_t>(y)[i] = int32_t(v); break;
            case CV_32F: m.ptr<float>(y)[i] = float(v); break;
            default: m.ptr<double>(y)[i] = v;
            }
        }
    return m;
}

PoolParams random_params(std::mt19937& rng, PoolType type) {
    auto pick = [&](int lo, int hi) { return lo + int(rng() % unsigned(hi - lo + 1)); };
    PoolParams p;
    p.type = type;
    const int scope = pick(0, 9);
    p.scope = scope == 0 ? Scope::global : scope == 1 ? Scope::adaptive : Scope::window;
    p.output_size = {pick(1, 12), pick(1, 12)};
    p.window = {pick(1, 4), pick(1, 4)};
    if (rng() % 3) p.stride = {pick(1, 4), pick(1, 4)};
    if (rng() % 4 == 0) p.dilation = {pick(1, 3), pick(1, 3)};
    switch (pick(0, 4)) {
    case 0: break;
    case 1: p.padding = Padding::tf_same(); break;
    case 2: p.padding = Padding::symmetric(pick(0, std::min(p.window.w, p.window.h) / 2)); break;
    case 3: p.padding = Padding::per_axis(pick(0, p.window.w / 2), pick(0, p.window.h / 2)); break;
    default: p.padding = Padding::explicit_(pick(0, 3), pick(0, 3), pick(0, 3), pick(0, 3));
    }
    p.ceil_mode = rng() % 3 == 0;
    p.border = Border(pick(0, 3) * (rng() % 2));
    p.count_pad = type == PoolType::avg && rng() % 3 == 0;
    if (rng() % 40 == 0) p.count_pad = true;  // sometimes where it is invalid
    p.rounding = rng() % 2 ? Rounding::half_even : Rounding::half_up;
    p.power = rng() % 2 ? 2.0 : pick(1, 4) + pick(0, 1) * 0.5;
    const int depths[] = {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F};
    if (rng() % 5 == 0) p.depth = depths[rng() % 7];
    return p;
}

std::string describe(const PoolParams& p, const cv::Mat& src) {
    std::ostringstream os;
    os << to_string(p.type) << " scope=" << int(p.scope) << " in=" << src.cols << "x" << src.rows << "x"
       << src.channels() << " depth=" << src.depth() << " win=" << p.window.w << "x" << p.window.h
       << " stride=" << p.stride.w << "x" << p.stride.h << " dil=" << p.dilation.w << "x" << p.dilation.h
       << " pad=" << (p.padding.same ? "same" : "") << p.padding.left << "," << p.padding.top << ","
       << p.padding.right << "," << p.padding.bottom << " ceil=" << p.ceil_mode << " count_pad=" << p.count_pad
       << " border=" << int(p.border) << " round=" << int(p.rounding) << " power=" << p.power
       << " out_depth=" << p.depth << " out_size=" << p.output_size.w << "x" << p.output_size.h;
    return os.str();
}

// Sums, averages and norms of floats may differ from the long-double reference in the
// last bits; everything else (and every integer result) must match exactly.
bool agrees(const cv::Mat& got, const cv::Mat& want, const PoolParams& p) {
    const bool exact = is_integer_depth(want.depth()) || p.type == PoolType::max || p.type == PoolType::min ||
                       p.type == PoolType::mode || p.type == PoolType::median;
    if (exact) return test::same(got, want);
    if (got.type() != want.type()) return false;
    return test::max_rel_diff(got, want) <= (want.depth() == CV_32F ? 1e-6 : 1e-12);
}

}  // namespace

TEST_CASE("pool agrees with the naive reference on random inputs") {
    std::mt19937 rng(20261121);
    const PoolType types[] = {PoolType::max, PoolType::avg, PoolType::min, PoolType::median,
                              PoolType::sum, PoolType::mode, PoolType::lp};
    const int depths[] = {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F};
    int compared = 0, rejected = 0;
    for (PoolType type : types)
        for (int depth : depths)
            for (int cn : {1, 2, 3, 4, 5})
                for (int trial = 0; trial < 12; ++trial) {
                    const cv::Mat src = random_image(rng, 1 + int(rng() % 9), 1 + int(rng() % 9), depth, cn);
                    const PoolParams p = random_params(rng, type);
                    INFO(describe(p, src));
                    const std::optional<cv::Mat> want = reference_pool(src, p);
                    if (!want) {
                        CHECK_THROWS_AS(pool(src, p), imgpool::Error);
                        ++rejected;
                        continue;
                    }
                    const cv::Mat got = pool(src, p);
                    REQUIRE(got.size() == want->size());
                    CHECK(got.type() == want->type());
                    CHECK(agrees(got, *want, p));
                    CHECK(pooled_size(src.size(), p) == got.size());
                    ++compared;
                }
    // Both outcomes must be exercised well, or the test proves little.
    CHECK(compared > 1500);
    CHECK(rejected > 50);
    MESSAGE("compared " << compared << " random cases, " << rejected << " rejected as invalid");
}

TEST_CASE("properties: identity, ordering, constants, global = whole-image window") {
    std::mt19937 rng(7);
    for (int depth : {CV_8U, CV_16S, CV_32F, CV_64F})
        for (int trial = 0; trial < 20; ++trial) {
            const cv::Mat src = random_image(rng, 1 + int(rng() % 12), 1 + int(rng() % 12), depth, 1 + int(rng() % 4));
            cv::Mat clean = src.clone();  // ordering properties need finite numbers
            if (depth == CV_32F) clean.reshape(1).forEach<float>([](float& v, const int*) { v = std::isfinite(v) ? v : 0; });
            if (depth == CV_64F) clean.reshape(1).forEach<double>([](double& v, const int*) { v = std::isfinite(v) ? v : 0; });
            PoolParams p;
            p.window = {1, 1};
            CHECK(test::same(pool(clean, p), clean));  // window 1, stride 1: identity for every type
            p.type = PoolType::median;
            CHECK(test::same(pool(clean, p), clean));

            p = {};
            p.window = {1 + int(rng() % 3), 1 + int(rng() % 3)};
            p.stride = {1, 1};
            p.padding = Padding::tf_same();
            p.depth = CV_64F;
            p.type = PoolType::min;
            const cv::Mat lo = pool(clean, p);
            p.type = PoolType::avg;
            const cv::Mat mid = pool(clean, p);
            p.type = PoolType::max;
            const cv::Mat hi = pool(clean, p);
            const cv::Mat bad = (lo > mid) | (mid > hi);
            CHECK(cv::countNonZero(bad.reshape(1)) == 0);

            // global pooling equals one window the size of the image
            for (PoolType t : {PoolType::max, PoolType::avg, PoolType::median, PoolType::mode, PoolType::lp}) {
                PoolParams g;
                g.type = t;
                g.scope = Scope::global;
                PoolParams w = g;
                w.scope = Scope::window;
                w.window = {src.cols, src.rows};
                const cv::Mat a = pool(src, g), b = pool(src, w);
                // float sums may be added in another order by different engines
                const bool sums = (t == PoolType::avg || t == PoolType::lp) && (depth == CV_32F || depth == CV_64F);
                if (sums) CHECK(test::max_rel_diff(a, b) <= 1e-6);
                else CHECK(test::same(a, b));
            }
        }
    const cv::Mat constant(9, 7, CV_16UC3, cv::Scalar(5, 600, 65535));
    for (PoolType t : {PoolType::max, PoolType::avg, PoolType::min, PoolType::median, PoolType::mode}) {
        PoolParams p;
        p.type = t;
        p.window = {3, 2};
        p.padding = Padding::symmetric(1);
        const cv::Mat out = pool(constant, p);
        CHECK(out.size() == cv::Size(3, 5));
        CHECK(test::same(out, cv::Mat(out.size(), CV_16UC3, cv::Scalar(5, 600, 65535))));
    }
}

TEST_CASE("properties: min <= median <= max, channel permutation commutes, integer and float paths agree") {
    std::mt19937 rng(8);
    for (int trial = 0; trial < 40; ++trial) {
        const cv::Mat src = random_image(rng, 3 + int(rng() % 10), 3 + int(rng() % 10), CV_16S, 3);
        PoolParams p;
        p.window = {1 + int(rng() % 3), 1 + int(rng() % 3)};
        p.stride = {1, 1};
        p.padding = Padding::tf_same();
        p.depth = CV_64F;
        auto with = [&](PoolType t) {
            PoolParams q = p;
            q.type = t;
            return pool(src, q);
        };
        const cv::Mat lo = with(PoolType::min), mid = with(PoolType::median), hi = with(PoolType::max);
        const cv::Mat bad = (lo > mid) | (mid > hi);
        CHECK(cv::countNonZero(bad.reshape(1)) == 0);

        // pooling each channel on its own: permuting channels permutes the result
        std::vector<cv::Mat> planes;
        cv::split(src, planes);
        std::swap(planes[0], planes[2]);
        cv::Mat permuted;
        cv::merge(planes, permuted);
        for (PoolType t : {PoolType::max, PoolType::avg, PoolType::median, PoolType::mode}) {
            PoolParams q = p;
            q.type = t;
            q.depth = -1;
            std::vector<cv::Mat> out;
            cv::split(pool(permuted, q), out);
            std::swap(out[0], out[2]);
            cv::Mat back;
            cv::merge(out, back);
            CHECK(test::same(back, pool(src, q)));
        }

        // the integer path (exact int64 sums) and the float path agree after rounding
        cv::Mat as_double;
        src.convertTo(as_double, CV_64F);
        for (Rounding r : {Rounding::half_even, Rounding::half_up}) {
            PoolParams q = p;
            q.type = PoolType::avg;
            q.rounding = r;
            q.depth = CV_16S;
            CHECK(test::same(pool(src, q), pool(as_double, q)));
        }
    }
}
