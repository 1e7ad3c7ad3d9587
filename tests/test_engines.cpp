// Every fast engine against the generic one (itself checked against the naive reference
// in test_reference.cpp), on images large enough to reach their vectorised loops.
#include <doctest/doctest.h>

#include <opencv2/imgproc.hpp>

#include <random>
#include <string>

#include "engines.hpp"
#include "imgpool/pool.hpp"
#include "support.hpp"

using namespace imgpool;
using test::random_image;

namespace {

// Floats may be summed in another order than the generic engine's; all else is exact.
void check_same_result(const cv::Mat& src, const PoolParams& p) {
    const cv::Mat fast = pool(src, p);
    const cv::Mat generic = detail::pool_generic(detail::make_plan(src, p), p);
    REQUIRE(fast.size() == generic.size());
    REQUIRE(fast.type() == generic.type());
    const bool exact = fast.depth() != CV_32F && fast.depth() != CV_64F ? true
                       : p.type == PoolType::max || p.type == PoolType::min || p.type == PoolType::median ||
                             p.type == PoolType::mode;
    if (exact) CHECK(test::same(fast, generic));
    else CHECK(test::max_rel_diff(fast, generic) <= (fast.depth() == CV_32F ? 2e-6 : 1e-12));
}

}  // namespace

TEST_CASE("engines: 2x2 stride 2 as the generic engine") {
    std::mt19937 rng(11);
    for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg, PoolType::sum})
        for (int depth : {CV_8U, CV_16U, CV_32F, CV_64F})
            for (int cn : {1, 2, 3, 4})
                for (cv::Size size : {cv::Size(64, 48), cv::Size(101, 37), cv::Size(2, 2), cv::Size(3, 7)})
                    for (Rounding r : {Rounding::half_even, Rounding::half_up}) {
                        PoolParams p;
                        p.type = t;
                        p.rounding = r;
                        INFO(std::string(to_string(t)) << " depth " << depth << " cn " << cn << " " << size);
                        check_same_result(random_image(rng, size, depth, cn), p);
                    }
}

TEST_CASE("engines: random windows, strides, padding, borders, dilation as the generic engine") {
    std::mt19937 rng(12);
    auto pick = [&](int lo, int hi) { return lo + int(rng() % unsigned(hi - lo + 1)); };
    int checked = 0;
    for (int trial = 0; trial < 600; ++trial) {
        const PoolType types[] = {PoolType::max, PoolType::min, PoolType::avg, PoolType::sum, PoolType::lp};
        const int depths[] = {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F};
        PoolParams p;
        p.type = types[rng() % 5];
        p.window = {pick(1, 9), pick(1, 9)};
        p.stride = {pick(1, 4), pick(1, 4)};
        if (rng() % 4 == 0) p.dilation = {pick(1, 3), pick(1, 3)};
        if (rng() % 2) p.padding = Padding::explicit_(pick(0, 3), pick(0, 3), pick(0, 3), pick(0, 3));
        else if (rng() % 3 == 0) p.padding = Padding::tf_same();
        p.ceil_mode = !p.padding.same && rng() % 3 == 0;
        p.border = Border(rng() % 4);
        p.count_pad = p.type == PoolType::avg && p.border == Border::ignore && rng() % 2;
        p.rounding = rng() % 2 ? Rounding::half_even : Rounding::half_up;
        if (rng() % 5 == 0) p.scope = rng() % 2 ? Scope::global : Scope::adaptive;
        p.output_size = {pick(1, 20), pick(1, 20)};
        if (rng() % 5 == 0) p.depth = depths[rng() % 7];
        const cv::Mat src = random_image(rng, {pick(8, 90), pick(8, 70)}, depths[rng() % 7], pick(1, 5));
        try {
            validate(p, src.size());
        } catch (const imgpool::Error&) {
            continue;  // invalid draws are test_reference's business
        }
        INFO("trial " << trial << ": " << std::string(to_string(p.type)) << " window " << p.window.w << "x" << p.window.h
                      << " stride " << p.stride.w << "x" << p.stride.h << " depth " << src.depth() << " cn "
                      << src.channels() << " border " << int(p.border) << " scope " << int(p.scope));
        check_same_result(src, p);
        ++checked;
    }
    CHECK(checked > 300);
}

// ---- The 2x2 stride-2 engine (lib/src/pool_2x2.cpp): bit-identical to the generic engine,
// floats included (same summation order, NaN rule and sign of zero), on each of its code
// paths (AVX-512, AVX2, scalar; IMGPOOL_2X2_ISA caps the choice).
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <vector>

namespace {

bool same_bits(const cv::Mat& a, const cv::Mat& b) {
    if (a.size() != b.size() || a.type() != b.type()) return false;
    for (int y = 0; y < a.rows; ++y)
        if (std::memcmp(a.ptr(y), b.ptr(y), size_t(a.cols) * a.elemSize()) != 0) return false;
    return true;
}

// Selects the engine's code path for a scope: "" the widest the CPU has (AVX-512 or AVX2),
// "avx2", or "scalar" (the portable loops, as after cv::setUseOptimized(false)).
struct Isa {
    explicit Isa(const char* cap) {
        if (*cap) ::setenv("IMGPOOL_2X2_ISA", cap, 1);
    }
    ~Isa() { ::unsetenv("IMGPOOL_2X2_ISA"); }
    Isa(const Isa&) = delete;
    Isa& operator=(const Isa&) = delete;
};
const char* const kIsas[] = {"", "avx2", "scalar"};

// Random samples; floats get a share of NaN (both signs, a payload), infinities, signed
// zeros, extremes, subnormals and values far apart (where the summation order shows).
cv::Mat image_2x2(std::mt19937& rng, cv::Size size, int depth, int cn) {
    cv::Mat m(size, CV_MAKETYPE(depth, cn));
    cv::theRNG().state = rng();
    if (depth != CV_32F) {
        cv::randu(m, 0, depth == CV_8U ? 256 : 65536);
        if (rng() % 3 == 0) m.setTo(depth == CV_8U ? 255 : 65535, m > (depth == CV_8U ? 200 : 50000));  // ties, extremes
        return m;
    }
    cv::randn(m.reshape(1), 0, 100);
    float payload_nan = std::numeric_limits<float>::quiet_NaN();
    const std::uint32_t bits = 0xffc12345u;  // a negative NaN with a payload
    std::memcpy(&payload_nan, &bits, sizeof bits);
    const float special[] = {std::numeric_limits<float>::quiet_NaN(), payload_nan, INFINITY, -INFINITY, 0.0f, -0.0f,
                             std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                             std::numeric_limits<float>::denorm_min(), 1e30f, 1e-30f, -1e30f};
    const int per = int(rng() % 4);  // 0: none; else about 1 in 2^per samples
    for (int y = 0; y < m.rows && per; ++y) {
        float* row = m.ptr<float>(y);
        for (int i = 0; i < m.cols * cn; ++i)
            if (rng() % (1u << per) == 0) row[i] = special[rng() % std::size(special)];
    }
    return m;
}

void check_2x2(const cv::Mat& src, const PoolParams& p) {
    cv::Mat fast;
    REQUIRE(detail::pool_2x2(src, p, result_depth(src.depth(), p), fast));
    const cv::Mat generic = detail::pool_generic(detail::make_plan(src, p), p);
    CHECK(same_bits(fast, generic));
    CHECK(same_bits(pool(src, p), generic));
}

}  // namespace

TEST_CASE("engines: 2x2 engine, every type, depth, channel count and rounding, bit for bit") {
    std::mt19937 rng(2024);
    for (const char* isa : kIsas) {
        const Isa guard(isa);
        for (int depth : {CV_8U, CV_16U, CV_32F})
            for (int cn : {1, 2, 3, 4, 5})
                for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg, PoolType::sum})
                    for (Rounding r : {Rounding::half_even, Rounding::half_up})
                        for (cv::Size size : {cv::Size(2, 2), cv::Size(3, 3), cv::Size(66, 2), cv::Size(131, 17),
                                              cv::Size(257, 6), cv::Size(64, 65)}) {
                            if (r == Rounding::half_up && t != PoolType::avg) continue;
                            PoolParams p;
                            p.type = t;
                            p.rounding = r;
                            INFO(std::string(to_string(t)) << " depth " << depth << " cn " << cn << " round " << int(r) << " "
                                              << size << " isa '" << isa << "'");
                            check_2x2(image_2x2(rng, size, depth, cn), p);
                        }
    }
}

TEST_CASE("engines: 2x2 engine on large images, odd sizes dropping the last row and column") {
    std::mt19937 rng(7);
    for (cv::Size size : {cv::Size(1920, 1080), cv::Size(1921, 1081), cv::Size(1023, 769)})
        for (int depth : {CV_8U, CV_16U, CV_32F})
            for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg, PoolType::sum}) {
                const int cn = size.width == 1920 ? 3 : depth == CV_8U ? 4 : 1;
                PoolParams p;
                p.type = t;
                p.rounding = depth == CV_8U ? Rounding::half_up : Rounding::half_even;
                INFO(std::string(to_string(t)) << " depth " << depth << " cn " << cn << " " << size);
                const cv::Mat src = image_2x2(rng, size, depth, cn);
                for (const char* isa : kIsas) {
                    const Isa guard(isa);
                    INFO("isa '" << isa << "'");
                    check_2x2(src, p);
                }
                // Several threads give the same bytes as one.
                const int threads = cv::getNumThreads();
                cv::setNumThreads(1);
                const cv::Mat one = pool(src, p);
                cv::setNumThreads(threads);
                CHECK(same_bits(one, pool(src, p)));
            }
}

// The 8-bit averages work in 8-bit lanes (rounded halvings and a correction bit), so every
// (upper-left, upper-right) pair meets lower pairs of every parity and residue mod 4, on each
// code path and channel count, and is checked against the integer formula itself.
TEST_CASE("engines: 2x2 engine, 8-bit averages of every upper pair round exactly") {
    const int lower[][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 2}, {2, 1}, {3, 3}, {254, 255},
                            {255, 255}, {255, 254}, {128, 127}, {77, 200}, {200, 77}, {1, 254}, {6, 9}, {250, 3}};
    for (int cn : {1, 2, 3, 4}) {
        // 65536 upper pairs x 16 lower pairs, one output each, in rows of 1001 pixels (the
        // vector loops' full steps, and a tail, in every row).
        const int outputs = 65536 * 16, w = 1001, rows = (outputs + w * cn - 1) / (w * cn);
        cv::Mat src(2 * rows, 2 * w, CV_8UC(cn), cv::Scalar::all(0));
        std::vector<int> expect_up(static_cast<size_t>(outputs)), expect_even(static_cast<size_t>(outputs));
        for (int i = 0; i < outputs; ++i) {
            const int a = (i / 16) & 255, b = (i / 16) >> 8, c = lower[i % 16][0], d = lower[i % 16][1];
            const int y = i / (w * cn), x = (i / cn) % w, ch = i % cn;
            src.ptr<std::uint8_t>(2 * y)[2 * x * cn + ch] = std::uint8_t(a);
            src.ptr<std::uint8_t>(2 * y)[(2 * x + 1) * cn + ch] = std::uint8_t(b);
            src.ptr<std::uint8_t>(2 * y + 1)[2 * x * cn + ch] = std::uint8_t(c);
            src.ptr<std::uint8_t>(2 * y + 1)[(2 * x + 1) * cn + ch] = std::uint8_t(d);
            const int s = a + b + c + d, q = s >> 2, r = s & 3;
            expect_up[size_t(i)] = (s + 2) >> 2;
            expect_even[size_t(i)] = q + (r > 2 || (r == 2 && (q & 1)));
        }
        for (const char* isa : kIsas) {
            const Isa guard(isa);
            for (Rounding rounding : {Rounding::half_up, Rounding::half_even}) {
                PoolParams p;
                p.type = PoolType::avg;
                p.rounding = rounding;
                cv::Mat out;
                REQUIRE(detail::pool_2x2(src, p, CV_8U, out));
                const std::vector<int>& expect = rounding == Rounding::half_up ? expect_up : expect_even;
                int wrong = 0;
                for (int i = 0; i < outputs; ++i)
                    wrong += out.ptr<std::uint8_t>(i / (w * cn))[i % (w * cn)] != expect[size_t(i)];
                INFO("cn " << cn << " isa '" << isa << "' half_up " << (rounding == Rounding::half_up));
                CHECK(wrong == 0);
            }
        }
    }
}

TEST_CASE("engines: 2x2 engine, signed zeros, NaN and infinities as max_element and the double sum") {
    const float nz = -0.0f, pz = 0.0f, inf = INFINITY, nan = std::numeric_limits<float>::quiet_NaN();
    auto run = [](PoolType t, std::vector<float> cells, const char* isa) {
        const Isa guard(isa);
        // The window repeated over 16 outputs per row, so the vector loops see it too.
        cv::Mat src(2, 64, CV_32FC1);
        for (int x = 0; x < 64; ++x) src.at<float>(0, x) = cells[size_t(x % 2)], src.at<float>(1, x) = cells[2 + size_t(x % 2)];
        PoolParams p;
        p.type = t;
        cv::Mat out;
        REQUIRE(detail::pool_2x2(src, p, result_depth(CV_32F, p), out));
        CHECK(same_bits(out, detail::pool_generic(detail::make_plan(src, p), p)));
        return out.depth() == CV_64F ? out.at<double>(0, 31) : double(out.at<float>(0, 31));
    };
    for (const char* isa : kIsas) {
        INFO("isa '" << isa << "'");
        CHECK(std::signbit(run(PoolType::max, {nz, pz, -1, -2}, isa)));   // the first of the equal maxima
        CHECK(!std::signbit(run(PoolType::max, {pz, nz, -1, -2}, isa)));
        CHECK(std::signbit(run(PoolType::max, {-1, nz, pz, -2}, isa)));
        CHECK(std::signbit(run(PoolType::min, {1, nz, 2, pz}, isa)));
        CHECK(!std::signbit(run(PoolType::min, {1, 2, pz, nz}, isa)));
        CHECK(!std::signbit(run(PoolType::avg, {nz, nz, nz, nz}, isa)));  // 0 + -0 = +0
        CHECK(!std::signbit(run(PoolType::sum, {nz, nz, nz, nz}, isa)));
        CHECK(std::isnan(run(PoolType::max, {1, nan, 2, 3}, isa)));
        CHECK(std::isnan(run(PoolType::min, {1, 2, 3, nan}, isa)));
        CHECK(std::isnan(run(PoolType::avg, {inf, -inf, 1, 1}, isa)));
        CHECK(run(PoolType::max, {-inf, -inf, -inf, -inf}, isa) == -inf);
        CHECK(run(PoolType::avg, {inf, 1, 2, 3}, isa) == inf);
        // Summed in double in row-major order: 1e30 + 1 - 1e30 + 1 = 1, not 2 nor 0.
        CHECK(run(PoolType::sum, {1e30f, 1, -1e30f, 1}, isa) == 1);
        // 3 * FLT_MAX overflows float but not double: the average is exact.
        const float big = std::numeric_limits<float>::max();
        CHECK(run(PoolType::avg, {big, big, big, big}, isa) == double(big));
    }
}

TEST_CASE("engines: 2x2 engine takes its cases and leaves the rest") {
    const cv::Mat even(8, 10, CV_8UC3, cv::Scalar::all(7)), odd(9, 11, CV_32FC1, cv::Scalar::all(1));
    auto takes = [](const cv::Mat& src, const PoolParams& p) {
        cv::Mat out;
        return detail::pool_2x2(src, p, result_depth(src.depth(), p), out);
    };
    PoolParams p;
    CHECK(takes(even, p));
    CHECK(takes(odd, p));
    p.stride = {2, 2};
    CHECK(takes(even, p));
    p.ceil_mode = true;
    CHECK(takes(even, p));  // even sizes: no partial window
    CHECK_FALSE(takes(odd, p));
    p.ceil_mode = false;
    p.padding = Padding::tf_same();
    CHECK(takes(even, p));  // SAME pads nothing on even sizes
    CHECK_FALSE(takes(odd, p));
    p.padding = Padding::explicit_(0, 0, 1, 0);
    CHECK_FALSE(takes(even, p));
    p.padding = Padding::valid();
    for (auto change : std::vector<std::function<void(PoolParams&)>>{
             [](PoolParams& q) { q.stride = {1, 1}; }, [](PoolParams& q) { q.window = {3, 3}; },
             [](PoolParams& q) { q.window = {2, 1}; }, [](PoolParams& q) { q.dilation = {2, 2}; },
             [](PoolParams& q) { q.type = PoolType::median; }, [](PoolParams& q) { q.type = PoolType::lp; },
             [](PoolParams& q) { q.depth = CV_32F; }, [](PoolParams& q) { q.scope = Scope::global; }}) {
        PoolParams q = p;
        change(q);
        CHECK_FALSE(takes(even, q));
    }
    CHECK_FALSE(takes(cv::Mat(4, 4, CV_8SC1, cv::Scalar::all(1)), p));
    CHECK_FALSE(takes(cv::Mat(4, 4, CV_64FC1, cv::Scalar::all(1)), p));
    // cv::setUseOptimized(false) selects the portable loops, with the same results.
    {
        std::mt19937 r(5);
        const cv::Mat src = image_2x2(r, {70, 9}, CV_32F, 3);
        PoolParams avg;
        avg.type = PoolType::avg;
        const cv::Mat fast = pool(src, avg);
        cv::setUseOptimized(false);
        const cv::Mat portable = pool(src, avg);
        cv::setUseOptimized(true);
        CHECK(same_bits(fast, portable));
    }
    // A region of a larger image (rows not contiguous).
    std::mt19937 rng(3);
    const cv::Mat big = image_2x2(rng, {300, 40}, CV_8U, 3);
    for (PoolType t : {PoolType::max, PoolType::avg}) {
        p.type = t;
        check_2x2(big(cv::Rect(3, 5, 201, 31)), p);
    }
}

// ---- The separable engine (lib/src/separable.cpp): rows, then columns, with van Herk /
// Gil-Werman and prefix sums where windows overlap. Every integer result and every
// max/min equals the generic engine's exactly, float sums to float precision; both of
// its code paths (AVX2 when the CPU has it, the portable loops after
// cv::setUseOptimized(false)), and one thread or several, give the same.
#include <algorithm>
#include <array>
#include <sstream>
#include <string>

namespace {

struct SepOptimized {  // restores cv::useOptimized() on scope exit
    explicit SepOptimized(bool on) : was(cv::useOptimized()) { cv::setUseOptimized(on); }
    ~SepOptimized() { cv::setUseOptimized(was); }
    SepOptimized(const SepOptimized&) = delete;
    SepOptimized& operator=(const SepOptimized&) = delete;
    bool was;
};

cv::Mat sep_pool(const cv::Mat& src, const PoolParams& p) {
    cv::Mat out;
    REQUIRE(detail::pool_separable(detail::make_plan(src, p), p, out));
    return out;
}

void sep_compare(const cv::Mat& fast, const cv::Mat& generic, const PoolParams& p) {
    REQUIRE(fast.size() == generic.size());
    REQUIRE(fast.type() == generic.type());
    const bool exact = (fast.depth() != CV_32F && fast.depth() != CV_64F) || p.type == PoolType::max ||
                       p.type == PoolType::min;
    if (exact) CHECK(test::same(fast, generic));
    else CHECK(test::max_rel_diff(fast, generic) <= (fast.depth() == CV_32F ? 2e-6 : 1e-12));
}

// The separable engine, on both code paths, against the generic engine.
void sep_check(const cv::Mat& src, const PoolParams& p) {
    const cv::Mat generic = detail::pool_generic(detail::make_plan(src, p), p);
    for (bool optimized : {true, false}) {
        const SepOptimized guard(optimized);
        INFO("optimized " << optimized);
        sep_compare(sep_pool(src, p), generic, p);
    }
}

// Floats with NaN and infinities of both signs here and there.
cv::Mat sep_image(std::mt19937& rng, cv::Size size, int depth, int cn, int specials) {
    cv::Mat m = random_image(rng, size, depth, cn);
    cv::Mat flat = m.reshape(1);
    const double values[] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < specials && (depth == CV_32F || depth == CV_64F); ++i) {
        const int y = int(rng() % unsigned(flat.rows)), x = int(rng() % unsigned(flat.cols));
        const double v = values[rng() % 3];
        if (depth == CV_32F) flat.at<float>(y, x) = float(v);
        else flat.at<double>(y, x) = v;
    }
    return m;
}

std::string sep_describe(const PoolParams& p, const cv::Mat& src) {
    std::ostringstream s;
    s << to_string(p.type) << " window " << p.window.w << "x" << p.window.h << " stride " << p.stride.w << "x"
      << p.stride.h << " dilation " << p.dilation.w << "x" << p.dilation.h << " padding "
      << (p.padding.same ? "same" : "") << p.padding.left << "," << p.padding.top << "," << p.padding.right << ","
      << p.padding.bottom << " border " << int(p.border) << " ceil " << p.ceil_mode << " count_pad " << p.count_pad
      << " round " << int(p.rounding) << " depth " << src.depth() << "->" << p.depth << " cn " << src.channels()
      << " " << src.size();
    return s.str();
}

// Valid windows of k: crops of the whole result are the generic engine's results for the
// matching crops of the input (the generic engine is too slow for the whole image).
void check_crops(const cv::Mat& whole, const cv::Mat& src, const PoolParams& p, int k, cv::Size size,
                 std::initializer_list<cv::Point> corners) {
    for (cv::Point at : corners) {
        const cv::Rect out(at, size);
        const cv::Mat crop = src(cv::Rect(at, out.size() + cv::Size(k - 1, k - 1)));
        INFO("crop at " << at);
        CHECK(test::same(whole(out).clone(), detail::pool_generic(detail::make_plan(crop, p), p)));
    }
}

PoolParams avg_stride1(Extent w, Rounding r) {
    PoolParams p;
    p.type = PoolType::avg;
    p.window = w;
    p.stride = {1, 1};
    p.rounding = r;
    return p;
}

// Several threads give the same result as one.
void check_one_thread(const cv::Mat& src, const PoolParams& p, const cv::Mat& whole) {
    const int threads = cv::getNumThreads();
    cv::setNumThreads(1);
    const cv::Mat one = pool(src, p);
    cv::setNumThreads(threads);
    CHECK(test::same(one, whole));
}

}  // namespace

TEST_CASE("engines: separable, stride 1 with large windows, clipped edges, dilation, count-pad") {
    std::mt19937 rng(31);
    const Extent windows[] = {{15, 15}, {31, 3}, {3, 31}, {63, 63}, {40, 1}, {1, 40}, {17, 6}, {5, 9}};
    const PoolType types[] = {PoolType::max, PoolType::min, PoolType::avg, PoolType::sum, PoolType::lp};
    const int depths[] = {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F};
    int checked = 0;
    for (Extent w : windows)
        for (PoolType t : types)
            for (int trial = 0; trial < 5; ++trial) {
                PoolParams p;
                p.type = t;
                p.window = w;
                p.stride = {1, 1};
                const bool big = w.w * w.h > 1000;  // 63x63: few cases, generic is slow there
                if (trial == 1) p.dilation = {2 + int(rng() % 2), 2 + int(rng() % 2)};
                if (trial >= 2 || rng() % 2) {
                    if (rng() % 3 == 0) p.padding = Padding::tf_same();
                    else p.padding = Padding::explicit_(int(rng() % 20), int(rng() % 9), int(rng() % 25), int(rng() % 30));
                    p.border = Border(rng() % 4);
                    p.ceil_mode = !p.padding.same && rng() % 2;
                    p.count_pad = t == PoolType::avg && p.border == Border::ignore && rng() % 2;
                }
                p.rounding = rng() % 2 ? Rounding::half_even : Rounding::half_up;
                if (rng() % 4 == 0) p.depth = depths[rng() % 7];
                const int depth = big && trial > 0 ? CV_8U : depths[rng() % 7];
                const cv::Mat src = sep_image(rng, {100, 80}, depth, big ? 1 : 1 + int(rng() % 4), 12);
                try {
                    validate(p, src.size());
                } catch (const imgpool::Error&) {
                    continue;  // e.g. reflect padding as large as the image
                }
                INFO(sep_describe(p, src));
                cv::Mat out;
                if (!detail::pool_separable(detail::make_plan(src, p), p, out)) continue;  // checked below
                sep_check(src, p);
                ++checked;
            }
    CHECK(checked > 90);
}

TEST_CASE("engines: separable, NaN and infinities in float windows") {
    std::mt19937 rng(32);
    for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg, PoolType::sum, PoolType::lp})
        for (int depth : {CV_32F, CV_64F})
            for (Extent w : {Extent{2, 2}, Extent{9, 9}, Extent{25, 4}})
                for (int stride : {1, 3}) {
                    PoolParams p;
                    p.type = t;
                    p.window = w;
                    p.stride = {stride, stride};
                    p.padding = Padding::tf_same();
                    const cv::Mat src = sep_image(rng, {90, 70}, depth, 1 + int(rng() % 3), 40);
                    INFO(sep_describe(p, src));
                    sep_check(src, p);
                }
}

TEST_CASE("engines: separable, integer averages round exactly, ties included") {
    // Few distinct values make ties common; every divisor from 2 to 300 cells, and some
    // beyond, in each depth's range (the 16-bit, float and double divisions).
    std::mt19937 rng(33);
    for (int depth : {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S})
        for (int cells = 2; cells <= 300; cells += depth == CV_8U ? 1 : 7) {
            PoolParams p;
            p.type = PoolType::avg;
            const int kw = 1 + int(rng() % unsigned(std::min(cells, 20)));
            p.window = {kw, std::max(1, cells / kw)};
            p.stride = {1 + int(rng() % 2), 1};
            p.rounding = cells % 2 ? Rounding::half_up : Rounding::half_even;
            if (rng() % 3 == 0) {
                p.padding = Padding::symmetric(int(rng() % 4));
                p.count_pad = rng() % 2;
            }
            cv::Mat src(60, 50, CV_MAKETYPE(depth, 1 + int(rng() % 3)));
            cv::theRNG().state = rng();
            const double lo = depth == CV_8U || depth == CV_16U ? 0 : -3;
            cv::randu(src, lo, lo + 4);  // values lo .. lo+3
            if (rng() % 2) src.setTo(cv::Scalar::all(depth == CV_8U ? 255 : depth == CV_16U ? 65535 : 127), src > lo + 2);
            try {
                validate(p, src.size());
            } catch (const imgpool::Error&) {
                continue;  // a window wholly in the padding
            }
            INFO(sep_describe(p, src));
            sep_check(src, p);
        }
    for (Extent w : {Extent{63, 63}, Extent{200, 3}, Extent{17, 16}, Extent{16, 16}})
        for (int depth : {CV_8U, CV_16U})
            for (Rounding r : {Rounding::half_even, Rounding::half_up}) {
                const PoolParams p = avg_stride1(w, r);
                cv::Mat src(w.h + 9, w.w + 12, CV_MAKETYPE(depth, 2));
                cv::theRNG().state = rng();
                cv::randu(src, 0, 2);
                if (depth == CV_16U) src *= 65535;
                INFO(sep_describe(p, src));
                sep_check(src, p);
            }
}

TEST_CASE("engines: separable, adaptive bins smaller and larger than the input, global") {
    std::mt19937 rng(34);
    for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg, PoolType::sum, PoolType::lp})
        for (Extent out : {Extent{7, 5}, Extent{45, 1}, Extent{130, 97}, Extent{1, 1}})
            for (int depth : {CV_8U, CV_16S, CV_32F}) {
                PoolParams p;
                p.type = t;
                p.scope = out == Extent{1, 1} ? Scope::global : Scope::adaptive;
                p.output_size = out;
                const cv::Mat src = sep_image(rng, {60 + int(rng() % 40), 40 + int(rng() % 30)}, depth, 3, 2);
                INFO(sep_describe(p, src) << " adaptive " << out.w << "x" << out.h);
                sep_check(src, p);
            }
}

TEST_CASE("engines: separable, 1920x1080 RGB, stride 1, 3x3 and 63x63, against generic on crops") {
    // The generic engine is too slow for the whole image with 63x63 windows: it pools crops
    // of the input, whose outputs are the matching crops of the whole result.
    std::mt19937 rng(35);
    cv::Mat src(1080, 1920, CV_8UC3);
    cv::theRNG().state = rng();
    cv::randu(src, 0, 256);
    src(cv::Rect(600, 300, 400, 300)).setTo(cv::Scalar(9, 200, 255));  // flat areas: ties everywhere
    for (int k : {3, 63})
        for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg, PoolType::sum}) {
            PoolParams p;
            p.type = t;
            p.window = {k, k};
            p.stride = {1, 1};
            p.rounding = t == PoolType::avg && k == 3 ? Rounding::half_up : Rounding::half_even;
            INFO(std::string(to_string(t)) << " " << k << "x" << k);
            const cv::Mat whole = pool(src, p);
            REQUIRE(whole.size() == cv::Size(1920 - k + 1, 1080 - k + 1));
            check_crops(whole, src, p, k, {48, 32},
                        {cv::Point(0, 0), cv::Point(1920 - k + 1 - 48, 1080 - k + 1 - 32), cv::Point(570, 280),
                         cv::Point(911, 517)});
            check_one_thread(src, p, whole);
        }
}

TEST_CASE("engines: separable takes max, min, avg, sum and lp, and leaves the rest") {
    const cv::Mat u8(20, 30, CV_8UC3, cv::Scalar(1, 2, 3)), f32(20, 30, CV_32FC1, cv::Scalar::all(0.5));
    auto takes = [](const cv::Mat& src, const PoolParams& p) {
        cv::Mat out;
        return detail::pool_separable(detail::make_plan(src, p), p, out);
    };
    PoolParams p;
    p.window = {3, 3};
    for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg, PoolType::sum, PoolType::lp}) {
        p.type = t;
        CHECK(takes(u8, p));
        CHECK(takes(f32, p));
    }
    p.type = PoolType::median;
    CHECK_FALSE(takes(u8, p));
    p.type = PoolType::mode;
    CHECK_FALSE(takes(u8, p));
    // Float sums stored as integers, and inexact |x|^p sums stored as integers, would round
    // as generic's summation order does: the generic engine keeps them.
    p.type = PoolType::avg;
    p.depth = CV_8U;
    CHECK_FALSE(takes(f32, p));
    p.type = PoolType::lp;
    p.power = 3;
    CHECK_FALSE(takes(u8, p));
    p.depth = CV_32F;
    CHECK(takes(u8, p));
    // A region of a larger image (rows not contiguous).
    std::mt19937 rng(36);
    const cv::Mat big = random_image(rng, {300, 200}, CV_8U, 3);
    for (PoolType t : {PoolType::max, PoolType::avg}) {
        PoolParams q;
        q.type = t;
        q.window = {21, 5};
        q.stride = {1, 1};
        sep_check(big(cv::Rect(7, 9, 251, 150)), q);
    }
}

// ---- The stride-1 8-bit engine (lib/src/sliding_u8.cpp): max, min and avg, exactly as the
// generic engine, through each of its x methods (max/min: shifted loads up to 6 taps, windows
// of 4, 16, 64 beyond; avg: shifted loads up to 4 taps, AVX-512 scans or tiles beyond), both y methods (direct
// up to 4 rows, van Herk beyond), 16- and 32-bit sums, both divisions,
// clipped windows, images narrower than the window, tails and regions of larger images.
namespace {

bool sliding_takes(const cv::Mat& src, const PoolParams& p) {
    cv::Mat out;
    return detail::pool_sliding_u8(src, p, out);
}

void sliding_check(const cv::Mat& src, const PoolParams& p) {
    cv::Mat fast;
    REQUIRE(detail::pool_sliding_u8(src, p, fast));
    const cv::Mat generic = detail::pool_generic(detail::make_plan(src, p), p);
    REQUIRE(fast.size() == generic.size());
    REQUIRE(fast.type() == generic.type());
    CHECK(test::same(fast, generic));
}

// The same for random parameters, which may not fit the image: those are skipped.
void sliding_check_if_valid(const cv::Mat& src, const PoolParams& p) {
    try {
        validate(p, src.size());
    } catch (const imgpool::Error&) {
        return;
    }
    INFO(sep_describe(p, src));
    sliding_check(src, p);
}

cv::Mat u8_image(std::mt19937& rng, cv::Size size, int cn) {
    if (cn > 4) return u8_image(rng, cv::Size(size.width * cn, size.height), 1).reshape(cn);  // cv::Scalar: 4 channels
    cv::Mat m(size, CV_8UC(cn));
    cv::theRNG().state = rng();
    if (rng() % 3 == 0) cv::randu(m, 0, 4);  // few values: many ties in averages
    else cv::randu(m, 0, 256);
    if (rng() % 4 == 0) m.setTo(cv::Scalar::all(255), m > 200);
    return m;
}

// Max/min over large windows of random cells are 255/0 nearly everywhere, and would hide
// a wrong row or column: these cells are the identity but for about 2 per window.
cv::Mat sparse_image(std::mt19937& rng, cv::Size size, int cn, int window, bool max) {
    cv::Mat m(size, CV_8UC(cn), cv::Scalar::all(max ? 0 : 255));
    for (std::uint8_t* b = m.data; b < m.dataend; ++b)
        if (rng() % unsigned(window) < 2) *b = std::uint8_t(rng());
    return m;
}

// A test image for p: sparse for max/min over windows of more than a few cells, which
// random cells would saturate; else u8_image.
cv::Mat image_for(std::mt19937& rng, cv::Size size, int cn, const PoolParams& p) {
    const int cells = p.window.w * p.window.h;
    if (p.type == PoolType::avg || cells <= 8) return u8_image(rng, size, cn);
    if (cn > 4) return image_for(rng, cv::Size(size.width * cn, size.height), 1, p).reshape(cn);
    return sparse_image(rng, size, cn, cells, p.type == PoolType::max);
}

// Padding for a window of k: anywhere from none to k - 1 cells.
int pick_pad(std::mt19937& rng, int k) { return int(rng() % unsigned(k)); }

// Selects the stride-1 engine's x method for wide averages for a scope: "" the AVX-512
// scans where the CPU has them, "avx2" the transposed tiles.
struct SlidingIsa {
    explicit SlidingIsa(const char* cap) {
        if (*cap) ::setenv("IMGPOOL_SLIDING_ISA", cap, 1);
    }
    ~SlidingIsa() { ::unsetenv("IMGPOOL_SLIDING_ISA"); }
    SlidingIsa(const SlidingIsa&) = delete;
    SlidingIsa& operator=(const SlidingIsa&) = delete;
};

// The bytes of van Herk's column strips (MaxMin::run_strips; 0: the engine's own, a quarter
// of the last-level cache), for the scope.
struct StripBytes {
    explicit StripBytes(size_t bytes) {
        if (bytes) ::setenv("IMGPOOL_STRIP_BYTES", std::to_string(bytes).c_str(), 1);
    }
    ~StripBytes() { ::unsetenv("IMGPOOL_STRIP_BYTES"); }
    StripBytes(const StripBytes&) = delete;
    StripBytes& operator=(const StripBytes&) = delete;
};

}  // namespace

TEST_CASE("engines: stride-1 8-bit engine, random windows, padding and borders") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;  // the separable engine takes these cases
    std::mt19937 rng(41);
    auto pick = [&](int lo, int hi) { return lo + int(rng() % unsigned(hi - lo + 1)); };
    const int widths[] = {1, 2, 3, 4, 5, 8, 9, 15, 16, 17, 33, 63};
    int checked = 0;
    for (int trial = 0; trial < 500; ++trial) {
        PoolParams p;
        p.type = trial % 3 == 0 ? PoolType::max : trial % 3 == 1 ? PoolType::min : PoolType::avg;
        p.window = {widths[rng() % 12], widths[rng() % 12]};
        p.stride = {1, 1};
        if (rng() % 4 == 0) p.stride = {pick(1, 3), pick(1, 3)};  // narrow windows only
        if (rng() % 3) {
            if (rng() % 3 == 0) p.padding = Padding::tf_same();
            else p.padding = Padding::explicit_(pick(0, p.window.w), pick(0, p.window.h), pick(0, p.window.w), pick(0, p.window.h));
            p.border = Border(rng() % 4);
            p.ceil_mode = !p.padding.same && rng() % 4 == 0;
            p.count_pad = p.type == PoolType::avg && p.border == Border::ignore && rng() % 2;
        }
        p.rounding = rng() % 2 ? Rounding::half_even : Rounding::half_up;
        const cv::Size size(pick(1, 150), pick(1, 90));
        const cv::Mat src = image_for(rng, size, pick(1, 4), p);
        try {
            validate(p, src.size());
        } catch (const imgpool::Error&) {
            continue;
        }
        INFO(sep_describe(p, src));
        cv::Mat out;
        if (!detail::pool_sliding_u8(src, p, out)) {
            // Only averages whose windows have different divisors, and strides beyond 1 with
            // windows wider than the row mode's, are left to others.
            CHECK((p.type == PoolType::avg || p.stride.w > 1 || p.stride.h > 1));
            continue;
        }
        sliding_check(src, p);
        ++checked;
    }
    CHECK(checked > 200);
}

// Max (odd trials) or min over k x k, stride 1: unpadded, SAME, or up to max(k - 1, 2) cells
// a side with any border and ceil mode or not, by trial % 4.
PoolParams square_max_min(std::mt19937& rng, int k, int trial) {
    PoolParams p;
    p.type = trial % 2 ? PoolType::max : PoolType::min;
    p.window = {k, k};
    p.stride = {1, 1};
    switch (trial % 4) {
    case 0: break;
    case 1: p.padding = Padding::tf_same(); break;
    default:
        const unsigned most = unsigned(std::max(k, 3));
        p.padding = Padding::explicit_(int(rng() % most), int(rng() % most), int(rng() % most), int(rng() % most));
        p.border = Border(rng() % 4);
        p.ceil_mode = rng() % 2;
    }
    return p;
}

// Pixels a step of Strided takes (lib/src/sliding_u8.cpp), as its constructor counts them:
// V values a vector, k taps.
int strided_step(int V, int s, int cn, int k) { return std::max(1, std::min((2 * V - cn - (k - 1) * cn) / (s * cn) + 1, V / cn)); }

TEST_CASE("engines: stride-1 8-bit engine, strides beyond 1 (3x3/2 and other narrow windows)") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    std::mt19937 rng(53);
    // Row mode with strides 2 to 5: the windows at every s-th pixel taken by permutes of
    // 128 bytes (max/min) or 64 y sums (avg), one per tap, where the CPU has them
    // (Strided); widths on either side of those steps (20 RGB outputs of 3x3/2 per step, 10
    // of the sums), pixels of 1 to 9 channels (taps and stride reaching past the loads: the
    // x pass at every pixel and subsample()), and windows of up to 8 rows summed in one pass
    // (sum_rows_first).
    for (const char* isa : {"", "avx2"}) {
        const SlidingIsa guard(isa);
        for (int s : {2, 3, 4, 5})
            for (int cn : {1, 2, 3, 4, 5, 8, 9})
                for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg})
                    for (int trial = 0; trial < 6; ++trial) {
                        PoolParams p;
                        p.type = t;
                        const int kh = t == PoolType::avg ? 1 + int(rng() % 8) : 1 + int(rng() % 4);
                        // max/min: up to the row mode's 16 taps, whose reach shortens a step
                        p.window = {1 + int(rng() % (t == PoolType::avg || trial < 3 ? 4 : 16)), kh};
                        p.stride = {s, 1 + int(rng() % 3)};
                        // outputs on either side of one or two steps, of a vector's pixels
                        // and of both, or a whole 640-pixel row
                        const int bytes = strided_step(64, s, cn, p.window.w), sums = strided_step(32, s, cn, p.window.w);
                        const int pick[] = {bytes, 2 * bytes, sums, 2 * sums, (64 + cn - 1) / cn, bytes + (64 + cn - 1) / cn};
                        const int outputs = trial == 5 ? 640 / s : std::max(1, pick[rng() % 6] + int(rng() % 3) - 1);
                        const int width = std::max(1, (std::max(outputs, 1) - 1) * s + p.window.w + int(rng() % unsigned(s)));
                        if (rng() % 2) {
                            p.padding = Padding::explicit_(int(rng() % unsigned(p.window.w)), int(rng() % unsigned(kh)),
                                                           int(rng() % unsigned(p.window.w)), int(rng() % unsigned(kh)));
                            // ignore, zero, replicate; averages of one divisor only (the engine's)
                            p.border = Border(t == PoolType::avg ? 1 + rng() % 2 : rng() % 3);
                            p.ceil_mode = t != PoolType::avg && rng() % 2;
                        }
                        p.rounding = rng() % 2 ? Rounding::half_even : Rounding::half_up;
                        const cv::Mat src = image_for(rng, {width, 4 + int(rng() % 20)}, cn, p);
                        INFO("isa '", std::string(isa), "'");
                        sliding_check_if_valid(src, p);
                    }
    }
}

TEST_CASE("engines: stride-1 8-bit engine, sizes around its vectors, tiles and chunks") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    std::mt19937 rng(42);
    // Widths around 16/32 samples, 256/512-pixel chunks, bands of 16/32 rows; windows of 1,
    // the row-mode limits, tile sizes, 63 and 127 (van Herk along y); SAME padding clips
    // every edge. Both x methods of wide averages (SlidingIsa: AVX-512 scans, tiles).
    for (const char* isa : {"", "avx2"}) {
        const SlidingIsa guard(isa);
        for (Extent w : {Extent{1, 1}, Extent{3, 3}, Extent{4, 5}, Extent{8, 2}, Extent{9, 9}, Extent{5, 1},
                         Extent{63, 63}, Extent{127, 3}, Extent{2, 127}, Extent{17, 40}})
            for (cv::Size size : {cv::Size(1, 1), cv::Size(7, 3), cv::Size(33, 35), cv::Size(531, 70), cv::Size(300, 33)})
                for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg})
                    for (int cn : {1, 3, 4}) {
                        PoolParams p;
                        p.type = t;
                        p.window = w;
                        p.stride = {1, 1};
                        p.padding = Padding::tf_same();
                        if (t == PoolType::avg) {  // full windows: reflect needs padding < size, so replicate
                            p.border = Border::replicate;
                            p.rounding = cn == 3 ? Rounding::half_up : Rounding::half_even;
                        }
                        const cv::Mat src = image_for(rng, size, cn, p);
                        INFO(sep_describe(p, src), " isa '", std::string(isa), "'");
                        sliding_check(src, p);
                    }
    }
}

TEST_CASE("engines: stride-1 8-bit engine, max/min along x in windows of 4, 16, 64 at every width and channel count") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    std::mt19937 rng(47);
    // Widths on both sides of the direct loads' limit and of each power of 4 (one to three
    // passes, the last joining 2 to 4 windows), rows not a multiple of 32 bytes, 1 to 5
    // channels, images narrower than the window (ignored or filled padding). With AVX-512
    // VBMI ("" below) the levels of 2^M cells first: k around each power of 2 up to their
    // limit of 7 levels (cn = 1) and beyond (passes after them), channels whose shifts stop
    // the levels early (cn << M <= 64: 5, 17, 33) or leave none (65: the AVX2 passes).
    for (const char* isa : {"", "avx2"}) {
        const SlidingIsa guard(isa);
        for (int k : {6, 7, 8, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 127, 128, 129, 200, 255, 256, 600})
            for (int cn : {1, 2, 3, 4, 5, 17, 33, 65})
                for (PoolType t : {PoolType::max, PoolType::min}) {
                    if (cn > 5 && k % 3) continue;  // a few wide-pixel cases are enough
                    PoolParams p;
                    p.type = t;
                    p.window = {k, int(1 + rng() % 6)};
                    p.stride = {1, 1};
                    const int width = int(1 + rng() % 90);
                    if (width < k || rng() % 2) {
                        p.padding = Padding::explicit_(pick_pad(rng, k), 1, pick_pad(rng, k), 0);
                        p.border = Border(rng() % 3);  // ignore, zero, replicate
                    }
                    const cv::Mat src = image_for(rng, {width, int(2 + rng() % 12)}, cn, p);
                    INFO("isa '", std::string(isa), "'");
                    sliding_check_if_valid(src, p);
                }
    }
}

TEST_CASE("engines: stride-1 8-bit engine, max/min with van Herk along y in column strips") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    std::mt19937 rng(50);
    // Windows over 4 rows run in column strips of the result (MaxMin::run_strips), here
    // strips of 512 KB of y pass: 2 KB of samples each at 127 rows and more (640 RGB, 512
    // RGBA, 2048 gray outputs), about 52 KB at 5 rows. Results a column either side of one and two strips, strips whose
    // windows reach into the padding at either end (filled padding copies cells the strip
    // must compute, perhaps outside its own span), rows over more than one block of k.
    // Random images would give 255 (or 0) in nearly every window of this size: sparse_image.
    struct Case {
        int cn, outs, kx, ky;
    };
    const Case cases[] = {{3, 639, 9, 127}, {3, 640, 63, 127}, {3, 641, 3, 127},  {3, 1281, 17, 200},
                          {4, 511, 7, 130}, {4, 513, 64, 127}, {4, 1025, 5, 127}, {1, 2047, 63, 127},
                          {1, 2049, 2, 127}, {1, 4097, 31, 127}, {4, 13057, 3, 5}, {2, 1100, 40, 128}};
    const StripBytes strips(512 << 10);
    for (const char* isa : {"", "avx2"}) {
        const SlidingIsa guard(isa);
        for (const Case& c : cases)
            for (int trial = 0; trial < 3; ++trial) {
                PoolParams p;
                p.type = trial == 1 ? PoolType::min : PoolType::max;
                p.window = {c.kx, c.ky};
                p.stride = {1, 1};
                // Trial 2: the last strip's reflected padding copies cells before the strip.
                const int pl = trial == 0 ? 0 : pick_pad(rng, c.kx), pr = trial == 0 ? 0 : trial == 2 ? c.kx - 1 : pick_pad(rng, c.kx);
                const int rows = c.ky == 5 ? 14 : trial == 2 && c.kx <= 9 ? 2 * c.ky + 3 : c.ky + 2;
                p.padding = Padding::explicit_(pl, trial == 2 ? 1 : 0, pr, trial == 2 ? 2 : 0);
                p.border = trial == 0 ? Border::ignore : trial == 2 ? Border::reflect : Border(rng() % 4);  // reflect: padding < size
                const cv::Mat src = sparse_image(rng, {c.outs + c.kx - 1 - pl - pr, rows}, c.cn, c.kx * c.ky, p.type == PoolType::max);
                INFO(sep_describe(p, src), " isa '", std::string(isa), "'");
                sliding_check_if_valid(src, p);
            }
    }
}

TEST_CASE("engines: stride-1 8-bit engine, max/min with van Herk's y pass inside the VBMI x pass") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    std::mt19937 rng(51);
    // A strip without padding takes its rows after the first through HerkY::advance and
    // x_levels (HerkIn); a row's y pass is then never stored. Rows over several blocks of
    // k (each case of advance: a block's first row, its middle, its last), levels ending in
    // a join of offset under 64 bytes and over, 1 to 4 channels, rows of any width; a
    // column of padding on one side (not fused) as the control. Both ISA paths.
    for (const char* isa : {"", "avx2"})
        for (int trial = 0; trial < 120; ++trial) {
            const SlidingIsa guard(isa);
            const int kxs[] = {7, 9, 17, 33, 40, 50, 63, 64, 100};
            const int kx = kxs[rng() % 9], ky = 5 + int(rng() % 9), cn = 1 + int(rng() % 4);
            PoolParams p;
            p.type = trial % 2 ? PoolType::min : PoolType::max;
            p.window = {kx, ky};
            p.stride = {1, 1};
            if (trial % 5 == 4) p.padding = Padding::explicit_(int(rng() % 2), 0, int(rng() % 2), 0);
            const int outs = 1 + int(rng() % 200), rows = 3 * ky + int(rng() % unsigned(ky));
            const cv::Mat src = sparse_image(rng, {outs + kx - 1, rows}, cn, kx * ky, p.type == PoolType::max);
            INFO(sep_describe(p, src), " isa '", std::string(isa), "'");
            sliding_check_if_valid(src, p);
        }
}

TEST_CASE("engines: stride-1 8-bit engine, wide max/min with ignored padding, streamed, as dilate and erode") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    std::mt19937 rng(52);
    // Ignored padding needs no fill, so a padded strip takes the y pass inside the VBMI x
    // pass too (HerkIn: the identity before and after the y pass's bytes). Results of over
    // 4M samples, in rows off the 64-byte grid (6300 and 6304 bytes: xy_row_vbmi aligns
    // down, its first bytes not written), whole rows and strips of 256 KB (the middle ones
    // unpadded), padding even and not, a region of a larger image, and every ISA path.
    // Padding totalling k - 1 keeps the source's size: the result is cv::dilate/erode's
    // with a constant border of the identity (isolated: not the larger image's cells),
    // anchored at the left and top padding.
    struct Case {
        int k, cn, pl, pt;
    };
    const Case cases[] = {{63, 3, 31, 31}, {63, 3, 5, 60}, {33, 3, 32, 0}, {63, 1, 62, 17}, {40, 4, 20, 20}};
    for (const Case& c : cases)
        for (PoolType t : {PoolType::max, PoolType::min}) {
            const bool max = t == PoolType::max;
            const int w = c.cn == 1 ? 6304 : c.cn == 4 ? 1576 : 2100, h = 700;
            const cv::Mat big = sparse_image(rng, {w + 9, h + 4}, c.cn, c.k * c.k, max);
            const cv::Mat src = c.pt > 30 ? big(cv::Rect(9, 4, w, h)) : big(cv::Rect(0, 0, w, h)).clone();
            PoolParams p;
            p.type = t;
            p.window = {c.k, c.k};
            p.stride = {1, 1};
            p.padding = Padding::explicit_(c.pl, c.pt, c.k - 1 - c.pl, c.k - 1 - c.pt);
            p.border = Border::ignore;
            cv::Mat want;
            const cv::Mat kernel = cv::Mat::ones(c.k, c.k, CV_8U);
            if (max) cv::dilate(src, want, kernel, {c.pl, c.pt}, 1, cv::BORDER_CONSTANT | cv::BORDER_ISOLATED, cv::Scalar::all(0));
            else cv::erode(src, want, kernel, {c.pl, c.pt}, 1, cv::BORDER_CONSTANT | cv::BORDER_ISOLATED, cv::Scalar::all(255));
            for (size_t strip : {size_t(0), size_t(256) << 10})
                for (const char* isa : {"", "avx2"}) {
                    const SlidingIsa guard(isa);
                    const StripBytes strips(strip);
                    INFO(sep_describe(p, src), " strips ", strip, " isa '", std::string(isa), "'");
                    cv::Mat got;
                    REQUIRE(detail::pool_sliding_u8(src, p, got));
                    CHECK(test::same(got, want));
                    if (strip && !*isa) check_one_thread(src, p, got);
                }
        }
}

TEST_CASE("engines: stride-1 8-bit engine, 2x2 to 6x6 max/min with the y and x passes in one loop") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    std::mt19937 rng(48);
    // Rows on both sides of 32-byte multiples (the loop's vectors, then each pass's tail),
    // 1 to 5 channels, 1 to 4 rows and more (the last row has no next row to overlap),
    // every padding and border. (3x3 and 5x5 take this loop only on rows this narrow, or
    // of 5 channels: two rows a pass otherwise.)
    for (int k : {2, 3, 4, 5, 6})
        for (int cn : {1, 2, 3, 4, 5})
            for (int trial = 0; trial < 12; ++trial) {
                const PoolParams p = square_max_min(rng, k, trial);
                const int width = std::max(1, (32 * int(1 + rng() % 3) + int(rng() % 5) - 2) / cn);
                const int height = trial < 4 ? 1 + trial : int(2 + rng() % 40);
                const cv::Mat src = u8_image(rng, {width * cn, height}, 1).reshape(cn);
                sliding_check_if_valid(src, p);
            }
}

TEST_CASE("engines: stride-1 8-bit engine, 3x3 to 9x9 max/min two rows a pass") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    if (!cv::checkHardwareSupport(CV_CPU_AVX_512BW)) MESSAGE("no AVX-512 on this CPU: only the AVX2 kernel is tested");
    std::mt19937 rng(57);
    // lib/src/sliding_pairs_u8.cpp takes the vectors of a row pair whose windows stay inside
    // the source; the ends, the padding and a last odd row go through the band rows. Rows of
    // 80 to 700 bytes (the interior from none to several 64-byte steps of either ISA), 1 to 5
    // channels (5: one row at a time), 1 to 9 rows and more, every padding and border for
    // max and min, and sources and results that are regions (rows starting anywhere on the
    // 64-byte grid) or whole matrices (a read past a row's end is then outside the buffer).
    int checked = 0;
    for (const char* isa : {"", "avx2"}) {
        const SlidingIsa guard(isa);
        for (int k : {3, 5, 7, 9})
            for (int cn : {1, 2, 3, 4, 5})
                for (int trial = 0; trial < 24; ++trial) {
                    PoolParams p = square_max_min(rng, k, trial);
                    p.type = trial / 4 % 2 ? PoolType::max : PoolType::min;  // both with each padding
                    const int width = int(80 + rng() % 620) / cn;
                    const int height = trial % 3 == 0 ? 1 + int(rng() % 9) : 10 + int(rng() % 40);
                    const int dx = rng() % 3 ? int(rng() % 70) : 0, dy = int(rng() % 3);
                    const cv::Size whole(width + dx + int(rng() % 2), height + dy + int(rng() % 2));
                    const cv::Mat src = image_for(rng, whole, cn, p)(cv::Rect(dx, dy, width, height));
                    try {
                        validate(p, src.size());
                    } catch (const imgpool::Error&) {
                        continue;
                    }
                    ++checked;
                    INFO(sep_describe(p, src), " isa '", std::string(isa), "' at ", dx);
                    const cv::Mat generic = detail::pool_generic(detail::make_plan(src, p), p);
                    cv::Mat fresh;
                    REQUIRE(detail::pool_sliding_u8(src, p, fresh));
                    CHECK(test::same(fresh, generic));
                    // into a region of a larger matrix: the bytes around it stay as they were
                    const int ox = int(rng() % 40);
                    const cv::Mat outer = cv::Mat(generic.rows + 2, (generic.cols + ox + 1) * cn, CV_8UC1, cv::Scalar(77)).reshape(cn);
                    cv::Mat expected = outer.clone();
                    cv::Mat region = outer(cv::Rect(ox, 1, generic.cols, generic.rows));
                    REQUIRE(detail::pool_sliding_u8(src, p, region));
                    REQUIRE(region.data == outer.ptr(1) + ox * cn);  // written in place
                    CHECK(test::same(region.clone(), generic));
                    generic.copyTo(expected(cv::Rect(ox, 1, generic.cols, generic.rows)));
                    CHECK(test::same(outer, expected));
                }
    }
    CHECK(checked > 800);
    // Results of 4M bytes and more go out through non-temporal stores: straight from the
    // pass when every row is on the 64-byte grid (1408 RGB and 4224 gray pixels of result),
    // each pair's second row through a staging row when not (1409 RGB, 8451 and 2001 gray,
    // 1057 RGBA: rows starting all over the grid, one to five 2 KiB chunks of the staging row
    // each); windows from 3 pixels before the source's first to 3 after it (SAME, none,
    // explicit padding, filled or not); rows split between threads (1001 and 3003 rows: an
    // odd row at a stripe's end); max and min in turn. Each result against the generic
    // engine's, computed once for both ISAs (its cost grows with the window's area: under
    // ThreadSanitizer the largest part of this test).
    struct Big {
        int k, cols, cn;
        Padding pad;
        Border border = Border::ignore;
    };
    const Big bigs[] = {{3, 1408, 3, Padding::tf_same()},
                        {3, 1409, 3, Padding::tf_same()},
                        {3, 4224, 1, Padding::tf_same()},
                        {3, 8451, 1, Padding::tf_same(), Border::replicate},
                        {3, 1057, 4, Padding::tf_same()},
                        {3, 1410, 3, Padding::valid()},
                        {3, 1408, 3, Padding::explicit_(2, 1, 0, 1)},
                        {5, 1408, 3, Padding::tf_same(), Border::reflect},
                        {5, 1409, 3, Padding::tf_same()},
                        {5, 2001, 1, Padding::explicit_(4, 3, 0, 2)},
                        {7, 1408, 3, Padding::explicit_(6, 0, 3, 5), Border::zero},
                        {9, 1057, 4, Padding::explicit_(1, 8, 8, 2)}};
    for (const Big& b : bigs) {
        PoolParams p;
        p.type = (&b - bigs) % 2 ? PoolType::max : PoolType::min;
        p.window = {b.k, b.k};
        p.stride = {1, 1};
        p.padding = b.pad;
        p.border = b.border;
        const cv::Mat src = image_for(rng, {b.cols, 4224 * 1001 / b.cols}, b.cn, p);
        const cv::Mat generic = detail::pool_generic(detail::make_plan(src, p), p);
        for (const char* isa : {"", "avx2"}) {
            const SlidingIsa guard(isa);
            INFO(sep_describe(p, src), " isa '", std::string(isa), "'");
            cv::Mat whole;
            REQUIRE(detail::pool_sliding_u8(src, p, whole));
            CHECK(test::same(whole, generic));
            if (*isa == 0) check_one_thread(src, p, whole);  // the split between threads: once
        }
    }
}

TEST_CASE("engines: stride-1 8-bit engine, exact rounding for every divisor class") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    std::mt19937 rng(43);
    // 16-bit division up to 256 cells, float beyond (from one 16-bit difference up to 128
    // rows, two 32-bit ones beyond); ties with values 0..3 and 255.
    for (Extent w : {Extent{2, 1}, Extent{2, 2}, Extent{4, 4}, Extent{16, 16}, Extent{15, 17}, Extent{17, 16},
                     Extent{64, 64}, Extent{100, 100}, Extent{6, 2}, Extent{1, 257}, Extent{2, 130}, Extent{5, 129}})
        for (Rounding r : {Rounding::half_even, Rounding::half_up}) {
            const PoolParams p = avg_stride1(w, r);
            cv::Mat src(w.h + 40, w.w + 70, CV_8UC(1 + int(rng() % 3)));
            cv::theRNG().state = rng();
            cv::randu(src, 0, 4);
            if (rng() % 2) src.setTo(cv::Scalar::all(255), src > 2);
            INFO(sep_describe(p, src));
            sliding_check(src, p);
        }
}

TEST_CASE("engines: stride-1 8-bit engine, wide averages through the AVX-512 scans and the tiles alike") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    std::mt19937 rng(44);
    auto pick = [&](int lo, int hi) { return lo + int(rng() % unsigned(hi - lo + 1)); };
    // Rows of outputs * channels around the scans' vectors (32 16-bit or 16 32-bit lanes)
    // and shorter than one; 1 to 8 channels (the scans' limit) and 9 (tiles only); divisors
    // up to 256 (16-bit lanes, each division method) and beyond (32-bit lanes, also from
    // narrow but tall windows); both roundings; count-pad windows over ignored padding.
    const Extent windows[] = {{5, 1}, {5, 5}, {7, 3}, {9, 9}, {15, 15}, {16, 16}, {31, 31}, {33, 2}, {63, 63}, {3, 100}, {4, 65}, {6, 60}};
    const int widths[] = {1, 2, 3, 5, 10, 11, 16, 17, 31, 32, 33, 48, 64, 65, 100, 171};
    int checked = 0;
    for (const char* isa : {"", "avx2"}) {
        const SlidingIsa guard(isa);
        for (int trial = 0; trial < 300; ++trial) {
            PoolParams p;
            p.type = PoolType::avg;
            p.window = windows[rng() % std::size(windows)];
            p.stride = {1, 1};
            switch (rng() % 3) {
            case 0: p.padding = Padding::tf_same(); p.border = rng() % 2 ? Border::replicate : Border::zero; break;
            case 1:
                p.padding = Padding::explicit_(pick(0, p.window.w - 1), pick(0, p.window.h - 1), pick(0, p.window.w - 1), pick(0, p.window.h - 1));
                p.count_pad = true;  // border ignore: every window divides by its extent
                break;
            default: break;  // valid windows only
            }
            p.rounding = rng() % 2 ? Rounding::half_even : Rounding::half_up;
            const int cn = pick(1, 9);
            const cv::Size size(widths[rng() % std::size(widths)] + (p.padding.same || p.count_pad ? 0 : p.window.w - 1),
                                pick(1, 6) + p.window.h - 1);
            const cv::Mat src = u8_image(rng, size, cn);
            try {
                validate(p, src.size());
            } catch (const imgpool::Error&) {
                continue;
            }
            INFO(sep_describe(p, src), " isa '", std::string(isa), "'");
            sliding_check(src, p);
            ++checked;
        }
    }
    CHECK(checked > 500);
}

TEST_CASE("engines: stride-1 8-bit engine, wide averages from the row above: steep rows, ties, either side of the 16-bit limit") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    // With AVX-512, rows after a band's first take their sums mod 2^16 and the result above
    // (Lanes16Above in sliding_u8.cpp): exact while consecutive sums differ by at most
    // 255 kx and the offset from the row above fits 16 bits (square windows up to 100,
    // windows 3 high up to 127 wide; scripts/check_row_above.py checks the arithmetic
    // exhaustively). Rows of all 0 and all 255 in runs of ky change every sum by the most a
    // step can; uniform rows make ties common where D is even; windows on each side of the
    // limit (beyond it: 32-bit lanes); windows whose division takes one multiply (63x63,
    // 17x17, 127x3) and windows where no multiply below 2^16 is exact (80x80, 100x100,
    // 110x3, 124x3, 127x4: Granlund & Montgomery's).
    struct Case {
        Extent w;
        bool ties;
    };
    const Case cases[] = {{{63, 63}, false}, {{100, 100}, false}, {{100, 100}, true}, {{101, 101}, false}, {{101, 100}, true},
                          {{127, 3}, false},  {{128, 3}, false},   {{127, 4}, true},   {{17, 17}, false},   {{16, 17}, true},
                          {{3, 200}, false},  {{60, 64}, true},    {{31, 31}, false},   {{80, 80}, false},   {{110, 3}, true},
                          {{124, 3}, false}};
    std::mt19937 rng(53);
    int checked = 0;
    for (const Case& c : cases)
        for (int trial = 0; trial < 12; ++trial) {
            PoolParams p;
            p.type = PoolType::avg;
            p.window = c.w;
            p.stride = {1, 1};
            p.rounding = c.ties ? Rounding::half_even : Rounding::half_up;
            if (trial % 3 == 2) {
                p.padding = Padding::explicit_(int(rng() % 3), int(rng() % 3), int(rng() % 3), int(rng() % 3));
                p.count_pad = true;
            }
            const int cn = std::array{1, 3, 4, 8}[rng() % 4];
            const int outs_x = std::array{1, 5, 11, 33}[rng() % 4], outs_y = 8 + int(rng() % 24);
            cv::Mat src(c.w.h + outs_y - 1, c.w.w + outs_x - 1, CV_8UC(cn));
            const int phase = int(rng() % unsigned(c.w.h));
            for (int y = 0; y < src.rows; ++y) {
                std::uint8_t* r = src.ptr<std::uint8_t>(y);
                const size_t n = size_t(src.cols) * size_t(cn);
                switch (trial % 3) {
                case 0: std::fill(r, r + n, ((y + phase) / c.w.h) % 2 ? 255 : 0); break;  // every step the steepest
                case 1: std::fill(r, r + n, std::uint8_t(rng())); break;                    // uniform rows: ties
                default:                                                                    // 0/255 rows, cells off a little
                    const int v = rng() % 2 ? 255 : 0;
                    for (size_t i = 0; i < n; ++i) r[i] = std::uint8_t(v == 255 ? 255 - rng() % 4 : rng() % 4);
                }
            }
            INFO(sep_describe(p, src), " pattern ", trial % 3);
            sliding_check(src, p);
            ++checked;
        }
    CHECK(checked == int(std::size(cases)) * 12);
}

TEST_CASE("engines: stride-1 8-bit engine writes its rows' bytes and no others") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    // The x passes store whole vectors past a row's last result where the next vector rewrites
    // them (the scans' W - Wc lanes) and mask the row's tail: given a region of a larger
    // matrix as the result, the engine must fill the region and leave the bytes around it,
    // the ends of its rows included. Rows of outputs * channels on both sides of 15, 16, 30,
    // 32 and 64; averages beyond and within 256 cells (32- and 16-bit scans), wide max/min.
    std::mt19937 rng(49);
    for (const char* isa : {"", "avx2"}) {
        const SlidingIsa guard(isa);
        for (PoolType t : {PoolType::avg, PoolType::max, PoolType::min})
            for (Extent w : {Extent{31, 31}, Extent{9, 9}, Extent{63, 5}})
                for (int cn : {1, 3, 5, 6, 7})
                    for (int outs : {1, 4, 5, 6, 10, 11, 13, 21, 22, 31, 33}) {
                        PoolParams p;
                        p.type = t;
                        p.window = w;
                        p.stride = {1, 1};
                        const cv::Mat img = u8_image(rng, {outs + w.w - 1, 3 + w.h - 1}, cn);
                        const cv::Mat parent1(9, (outs + 8) * cn, CV_8UC1, cv::Scalar(77));  // cv::Scalar: 4 channels
                        cv::Mat region = parent1.reshape(cn)(cv::Rect(3, 2, outs, 3));
                        REQUIRE(detail::pool_sliding_u8(img, p, region));
                        INFO(sep_describe(p, img), " isa '", std::string(isa), "'");
                        REQUIRE(region.data == parent1.ptr(2) + 3 * cn);  // written in place
                        CHECK(test::same(region.clone(), detail::pool_generic(detail::make_plan(img, p), p)));
                        cv::Mat around = parent1.clone();
                        around(cv::Rect(3 * cn, 2, outs * cn, 3)).setTo(77);
                        CHECK(cv::countNonZero(around != 77) == 0);
                    }
    }
    // Strides of 2 (Strided): rows on either side of its steps (60-64 bytes, 30-32 sums) and
    // of twice them, the last full store within the row.
    for (const char* isa : {"", "avx2"}) {
        const SlidingIsa guard(isa);
        for (PoolType t : {PoolType::avg, PoolType::max, PoolType::min})
            for (Extent w : {Extent{3, 3}, Extent{1, 1}, Extent{4, 2}})
                for (int cn : {1, 3, 4})
                    for (int outs : {1, 7, 9, 10, 11, 15, 16, 17, 19, 20, 21, 22, 31, 32, 33, 39, 40, 41, 42, 43, 63, 64, 65}) {
                        PoolParams p;
                        p.type = t;
                        p.window = w;
                        p.stride = {2, 2};
                        const cv::Mat img = u8_image(rng, {2 * (outs - 1) + w.w, 4 + w.h}, cn);
                        const cv::Mat parent1(9, (outs + 8) * cn, CV_8UC1, cv::Scalar(77));
                        cv::Mat region = parent1.reshape(cn)(cv::Rect(3, 2, outs, 3));
                        REQUIRE(detail::pool_sliding_u8(img, p, region));
                        INFO(sep_describe(p, img), " isa '", std::string(isa), "'");
                        REQUIRE(region.data == parent1.ptr(2) + 3 * cn);
                        CHECK(test::same(region.clone(), detail::pool_generic(detail::make_plan(img, p), p)));
                        cv::Mat around = parent1.clone();
                        around(cv::Rect(3 * cn, 2, outs * cn, 3)).setTo(77);
                        CHECK(cv::countNonZero(around != 77) == 0);
                    }
    }
}

TEST_CASE("engines: stride-1 8-bit engine, every window sum of every divisor up to 256 rounds exactly") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    // Cells i / D along a line: the window at w sums to exactly w, so the line's windows
    // take every sum 0 .. 255 D once; each must be w / D rounded by the rule (the
    // one-multiply division is chosen only where it is exact: Divisor). Along y (D rows,
    // row mode) and along x (D columns, tiles); a few divisors of the float path too.
    std::vector<int> divisors;
    for (int d = 1; d <= 256; ++d) divisors.push_back(d);
    for (int d : {257, 300, 999, 1024, 4097, 13000}) divisors.push_back(d);
    for (int D : divisors)
        for (bool along_x : {false, true}) {
            if (!along_x && D > 256) continue;  // 16-bit sums along y: at most 257 rows
            cv::Mat line(1, 256 * D, CV_8UC1);
            for (int i = 0; i < line.cols; ++i) line.at<std::uint8_t>(0, i) = std::uint8_t(i / D);
            if (!along_x) line = line.reshape(1, line.cols);
            for (Rounding r : {Rounding::half_even, Rounding::half_up}) {
                PoolParams p = avg_stride1(along_x ? Extent{D, 1} : Extent{1, D}, r);
                cv::Mat out;
                REQUIRE(detail::pool_sliding_u8(line, p, out));
                REQUIRE(out.total() == size_t(255 * D + 1));
                int wrong = 0;
                for (int w = 0; w <= 255 * D; ++w) {
                    const double exact = double(w) / D;  // halves are exact in double
                    const double want = r == Rounding::half_even ? std::nearbyint(exact) : std::floor(exact + 0.5);
                    wrong += out.ptr<std::uint8_t>()[w] != std::uint8_t(want);
                }
                const std::string what = "D " + std::to_string(D) + (along_x ? " along x" : " along y") +
                                         (r == Rounding::half_even ? ", half even" : ", half up");
                INFO(what);
                CHECK(wrong == 0);
            }
        }
}

TEST_CASE("engines: stride-1 8-bit engine, large image, threads, regions, and the cases it leaves") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    std::mt19937 rng(44);
    // 1601x1100 RGB: results above 4M samples (63x63 unpadded: 4.8M) go out through
    // non-temporal stores, and rows are split between threads. The generic engine checks 3x3
    // (with and without padding and borders) whole; wide windows without padding on crops,
    // whose results are crops of the whole. The result's rows (4803 bytes for 3x3, 4617 for
    // 63x63) start and end at every offset from the 64-byte grid in turn: the streamed ones
    // write their whole lines non-temporally, the bytes before and after plainly (van Herk's y
    // pass inside the VBMI x pass aligns down to the grid). 3x3 unpadded: its y
    // pass spans more bytes (4803) than its x pass (4797). Wide max again with AVX2 loops only.
    for (auto [k, padded] : {std::pair{3, true}, {3, false}, {16, false}, {17, false}, {63, false}})
        for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg}) {
            PoolParams p;
            p.type = t;
            p.window = {k, k};
            p.stride = {1, 1};
            const cv::Mat big = image_for(rng, {1640, 1110}, 3, p);
            const cv::Mat region = big(cv::Rect(5, 3, 1601, 1100));  // a region: rows not contiguous
            if (padded) {
                p.padding = Padding::symmetric(1);
                p.border = t == PoolType::avg ? Border::reflect : Border::ignore;
            }
            INFO(std::string(to_string(t)) << " " << k << (padded ? " padded" : ""));
            cv::Mat whole;
            REQUIRE(detail::pool_sliding_u8(region, p, whole));
            if (k == 3) {
                CHECK(test::same(whole, detail::pool_generic(detail::make_plan(region, p), p)));
            } else {
                check_crops(whole, region, p, k, {40, 35},
                            {cv::Point(0, 0), cv::Point(1601 - k + 1 - 40, 1100 - k + 1 - 35), cv::Point(611, 487)});
            }
            check_one_thread(region, p, whole);
            if (k > 3 && t == PoolType::max) {
                const SlidingIsa guard("avx2");
                cv::Mat avx2;
                REQUIRE(detail::pool_sliding_u8(region, p, avx2));
                CHECK(test::same(avx2, whole));
            }
        }
    for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg}) {  // 3x3/2, ResNet's stem
        PoolParams p;
        p.type = t;
        p.window = {3, 3};
        p.stride = {2, 2};
        p.padding = Padding::symmetric(1);
        p.border = t == PoolType::avg ? Border::reflect : Border::ignore;
        const cv::Mat big = image_for(rng, {1540, 1010}, 3, p);
        const cv::Mat region = big(cv::Rect(5, 3, 1500, 1000));
        INFO(std::string(to_string(t)) << " 3x3/2");
        cv::Mat whole;
        REQUIRE(detail::pool_sliding_u8(region, p, whole));
        CHECK(test::same(whole, detail::pool_generic(detail::make_plan(region, p), p)));
        check_one_thread(region, p, whole);
    }
    const cv::Mat u8(20, 30, CV_8UC3, cv::Scalar(1, 2, 3));
    PoolParams p;
    p.window = {3, 3};
    p.stride = {1, 1};
    CHECK(sliding_takes(u8, p));
    for (auto change : std::vector<std::function<void(PoolParams&)>>{
             [](PoolParams& q) { q.stride = {2, 1}, q.window = {17, 3}; }, [](PoolParams& q) { q.dilation = {1, 2}; },
             [](PoolParams& q) { q.type = PoolType::sum; }, [](PoolParams& q) { q.type = PoolType::median; },
             [](PoolParams& q) { q.depth = CV_16U; }, [](PoolParams& q) { q.scope = Scope::global; },
             [](PoolParams& q) { q.type = PoolType::avg, q.padding = Padding::symmetric(1); }}) {
        PoolParams q = p;
        change(q);
        CHECK_FALSE(sliding_takes(u8, q));
    }
    CHECK_FALSE(sliding_takes(cv::Mat(20, 30, CV_16UC1, cv::Scalar::all(1)), p));
    {
        const SepOptimized off(false);
        CHECK_FALSE(sliding_takes(u8, p));
    }
}

TEST_CASE("engines: a region of a larger image pools as its copy, border fills included") {
    // Regression: the padded copy was filled from the pixels around the region
    // (cv::copyMakeBorder without BORDER_ISOLATED), so the generic and separable engines
    // read cells outside the input.
    std::mt19937 rng(45);
    const cv::Mat big = random_image(rng, {60, 50}, CV_16U, 2);
    const cv::Mat roi = big(cv::Rect(10, 8, 30, 25));
    for (Border b : {Border::zero, Border::replicate, Border::reflect})
        for (PoolType t : {PoolType::max, PoolType::avg, PoolType::median}) {
            PoolParams p;
            p.type = t;
            p.window = {5, 3};
            p.stride = {2, 1};
            p.padding = Padding::explicit_(3, 2, 4, 1);
            p.border = b;
            INFO(std::string(to_string(t)) << " border " << int(b));
            CHECK(test::same(pool(roi, p), pool(roi.clone(), p)));
        }
}

// ---- The 8-bit median engine (lib/src/median_u8.cpp): sliding histograms, exactly as the
// generic engine (even counts averaged and rounded by the rule, float results as halves).
namespace {

void median_check(const cv::Mat& src, const PoolParams& p) {
    cv::Mat fast;
    const detail::Plan plan = detail::make_plan(src, p);
    REQUIRE(detail::pool_median_u8(plan, p, fast));
    const cv::Mat generic = detail::pool_generic(plan, p);
    REQUIRE(fast.size() == generic.size());
    REQUIRE(fast.type() == generic.type());
    CHECK(test::same(fast, generic));
}

}  // namespace

TEST_CASE("engines: 8-bit median, random windows, strides, padding, borders, depths") {
    std::mt19937 rng(51);
    auto pick = [&](int lo, int hi) { return lo + int(rng() % unsigned(hi - lo + 1)); };
    int checked = 0;
    for (int trial = 0; trial < 400; ++trial) {
        PoolParams p;
        p.type = PoolType::median;
        p.window = {pick(1, 17), pick(1, 17)};
        p.stride = {pick(1, p.window.w + 1), pick(1, p.window.h + 1)};
        if (rng() % 2) {
            if (rng() % 3 == 0) p.padding = Padding::tf_same();
            else p.padding = Padding::explicit_(pick(0, 4), pick(0, 4), pick(0, 4), pick(0, 4));
            p.border = Border(rng() % 4);
            p.ceil_mode = !p.padding.same && rng() % 3 == 0;
        }
        if (rng() % 6 == 0) {
            p.scope = rng() % 3 ? Scope::adaptive : Scope::global;
            p.output_size = {pick(1, 40), pick(1, 30)};
        }
        p.rounding = rng() % 2 ? Rounding::half_even : Rounding::half_up;
        const int depths[] = {-1, -1, CV_32F, CV_64F};
        p.depth = depths[rng() % 4];
        const cv::Mat src = u8_image(rng, {pick(1, 120), pick(1, 80)}, pick(1, 4));
        try {
            validate(p, src.size());
        } catch (const imgpool::Error&) {
            continue;
        }
        INFO(sep_describe(p, src) << " scope " << int(p.scope));
        median_check(src, p);
        ++checked;
    }
    CHECK(checked > 200);
}

TEST_CASE("engines: 8-bit median, big windows, large image in stripes, and the cases it leaves") {
    std::mt19937 rng(52);
    const cv::Mat big = u8_image(rng, {700, 400}, 3);
    for (int k : {1, 2, 15, 63})
        for (int stride : {1, 3}) {
            PoolParams p;
            p.type = PoolType::median;
            p.window = {k, k};
            p.stride = {stride, stride};
            p.padding = Padding::symmetric((k - 1) / 2);
            p.border = k == 15 ? Border::reflect : Border::ignore;
            INFO("k " << k << " stride " << stride);
            const cv::Mat crop = big(cv::Rect(3, 2, 600 + k % 7, 180 + k));
            median_check(crop(cv::Rect(0, 0, 150, 40 + k)), p);  // the generic engine is slow for big windows
            check_one_thread(crop, p, pool(crop, p));
        }
    // Wide images go in bands of columns (about 1 MB of column histograms each): several
    // bands, band edges inside windows, odd strides, every border.
    const cv::Mat wide = u8_image(rng, {1900, 30}, 4);
    for (int k : {2, 9})
        for (Border b : {Border::ignore, Border::replicate, Border::zero}) {
            PoolParams p;
            p.type = PoolType::median;
            p.window = {k, k};
            p.stride = {k == 9 ? 1 : 3, 1};
            p.padding = Padding::symmetric(k / 2);
            p.border = b;
            INFO("wide, k " << k << " border " << int(b));
            median_check(wide, p);
            median_check(wide(cv::Rect(5, 2, 1401, 25)), p);
        }
    PoolParams p;
    p.type = PoolType::median;
    p.window = {3, 3};
    auto takes = [&](const cv::Mat& src, const PoolParams& q) {
        cv::Mat out;
        return detail::pool_median_u8(detail::make_plan(src, q), q, out);
    };
    const cv::Mat u8(20, 30, CV_8UC3, cv::Scalar(1, 2, 3));
    CHECK(takes(u8, p));
    PoolParams q = p;
    q.dilation = {2, 1};
    CHECK_FALSE(takes(u8, q));
    q = p;
    q.depth = CV_16U;
    CHECK_FALSE(takes(u8, q));
    q = p;
    q.type = PoolType::mode;
    CHECK_FALSE(takes(u8, q));
    CHECK_FALSE(takes(cv::Mat(20, 30, CV_16UC1, cv::Scalar::all(1)), p));
}

TEST_CASE("engines: 8-bit median, windows on both sides of the 16-bit counts' limit") {
    // Up to 32767 cells the window histograms count in 16 bits (signed SSE2 compares),
    // beyond in 32: windows of 32761 and 32942 cells, with nearly every cell in one bin
    // (counts at the limit) or spread over four values (many ties), even counts too.
    std::mt19937 rng(53);
    for (Extent w : {Extent{181, 181}, Extent{182, 181}, Extent{182, 180}})
        for (int fill : {0, 1}) {
            cv::Mat src(w.h + 6, w.w + 9, CV_8UC1);
            cv::theRNG().state = rng();
            if (fill) {
                src.setTo(200);
                for (int i = 0; i < 40; ++i) src.at<std::uint8_t>(int(rng() % unsigned(src.rows)), int(rng() % unsigned(src.cols))) = std::uint8_t(rng());
            } else {
                cv::randu(src, 0, 4);
            }
            PoolParams p;
            p.type = PoolType::median;
            p.window = w;
            p.stride = {2, 1};
            INFO("window " << w.w << "x" << w.h << " fill " << fill);
            median_check(src, p);
        }
}

TEST_CASE("engines: stride-1 8-bit engine also takes 3x3 stride 2, exactly") {
    if (!cv::checkHardwareSupport(CV_CPU_AVX2)) return;
    std::mt19937 rng(46);
    for (cv::Size size : {cv::Size(3, 3), cv::Size(4, 5), cv::Size(67, 33), cv::Size(258, 41), cv::Size(1001, 37)})
        for (int cn : {1, 3, 4})
            for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg})
                for (bool same : {false, true}) {
                    PoolParams p;
                    p.type = t;
                    p.window = {3, 3};
                    p.stride = {2, 2};
                    if (same) p.padding = Padding::tf_same();
                    if (same && t == PoolType::avg) p.border = Border::replicate;  // one divisor
                    const cv::Mat src = u8_image(rng, size, cn);
                    INFO(sep_describe(p, src));
                    sliding_check(src, p);
                }
}

// ---- Full 3x3 and 5x5 medians of 8-bit images (lib/src/median_net_u8.cpp): min/max
// networks, border fills read in place; as the generic engine for every padding, border,
// stride and ceil case whose windows are all full.
namespace {

// u8_image for any channel count (cv::Scalar has four).
cv::Mat any_u8_image(std::mt19937& rng, cv::Size size, int cn) {
    return u8_image(rng, {size.width * cn, size.height}, 1).reshape(cn);
}

void median_net_check(const cv::Mat& src, const PoolParams& p) {
    cv::Mat fast;
    REQUIRE(detail::pool_median_net_u8(src, p, fast));
    const cv::Mat generic = detail::pool_generic(detail::make_plan(src, p), p);
    REQUIRE(fast.size() == generic.size());
    REQUIRE(fast.type() == generic.type());
    CHECK(test::same(fast, generic));
    CHECK(test::same(pool(src, p), fast));
}

}  // namespace

TEST_CASE("engines: 8-bit median, full 3x3 and 5x5 windows through the networks") {
    std::mt19937 rng(53);
    for (int k : {3, 5})
        for (cv::Size size : {cv::Size(5, 5), cv::Size(6, 7), cv::Size(37, 19), cv::Size(300, 7), cv::Size(1100, 9)})
            for (int cn : {1, 2, 3, 4, 5})
                for (int stride : {1, 2, 3})
                    for (Border b : {Border::ignore, Border::replicate, Border::reflect, Border::zero}) {
                        PoolParams p;
                        p.type = PoolType::median;
                        p.window = {k, k};
                        p.stride = {stride, stride};
                        if (b != Border::ignore) p.padding = Padding::symmetric(k / 2), p.border = b;  // every window full
                        p.depth = cn == 4 ? CV_32F : cn == 2 ? CV_64F : -1;
                        const cv::Mat src = any_u8_image(rng, size, cn);
                        try {
                            validate(p, src.size());
                        } catch (const imgpool::Error&) {
                            continue;  // reflect padding as large as the image
                        }
                        INFO(sep_describe(p, src));
                        median_net_check(src, p);
                    }
}

TEST_CASE("engines: 8-bit median networks, random padding, SAME, ceil mode, borders, regions, threads") {
    std::mt19937 rng(54);
    auto pick = [&](int lo, int hi) { return lo + int(rng() % unsigned(hi - lo + 1)); };
    int taken = 0;
    for (int trial = 0; trial < 500; ++trial) {
        PoolParams p;
        p.type = PoolType::median;
        const int k = rng() % 2 ? 3 : 5;
        p.window = {k, k};
        p.stride = {pick(1, 4), pick(1, 4)};
        if (rng() % 3 == 0) p.padding = Padding::tf_same();
        else p.padding = Padding::explicit_(pick(0, 5), pick(0, 5), pick(0, 5), pick(0, 5));
        p.ceil_mode = !p.padding.same && rng() % 3 == 0;
        p.border = Border(rng() % 4);
        const int depths[] = {-1, -1, CV_32F, CV_64F};
        p.depth = depths[rng() % 4];
        const cv::Mat big = any_u8_image(rng, {pick(1, 140) + 8, pick(1, 40) + 8}, pick(1, 5));
        const cv::Mat src = rng() % 3 ? big : big(cv::Rect(3, 2, big.cols - 5, big.rows - 4));  // a region
        try {
            validate(p, src.size());
        } catch (const imgpool::Error&) {
            continue;
        }
        INFO(sep_describe(p, src));
        cv::Mat fast;
        // Windows cut short (no fill, or ceil mode's overhang) are the histogram engine's.
        const detail::Plan plan = detail::make_plan(src, p);
        const bool full = std::all_of(plan.xs.begin(), plan.xs.end(), [k](const detail::Span& s) { return s.count == k; }) &&
                          std::all_of(plan.ys.begin(), plan.ys.end(), [k](const detail::Span& s) { return s.count == k; });
        CHECK(detail::pool_median_net_u8(src, p, fast) == full);
        if (!full) continue;
        median_net_check(src, p);
        ++taken;
    }
    CHECK(taken > 100);

    // Above the size where threads start: the same bytes at one thread; a region of it.
    const cv::Mat big = u8_image(rng, {1500, 260}, 3);
    for (int k : {3, 5})
        for (Border b : {Border::replicate, Border::zero}) {
            PoolParams p;
            p.type = PoolType::median;
            p.window = {k, k};
            p.stride = {1, 1};
            p.padding = Padding::symmetric(k / 2);
            p.border = b;
            INFO("k " << k << " border " << int(b));
            const cv::Mat whole = pool(big, p);
            check_one_thread(big, p, whole);
            median_net_check(big(cv::Rect(0, 0, 1500, 40)), p);  // the generic engine on a strip
            median_net_check(big(cv::Rect(7, 100, 1400, 30)), p);
            p.padding = Padding::valid();
            p.border = Border::ignore;
            median_net_check(big(cv::Rect(1, 1, 1301, 33)), p);
        }

    // The cases it leaves.
    const cv::Mat u8(20, 30, CV_8UC3, cv::Scalar(1, 2, 3));
    PoolParams p;
    p.type = PoolType::median;
    p.window = {3, 3};
    cv::Mat out;
    CHECK(detail::pool_median_net_u8(u8, p, out));
    for (auto change : std::vector<std::function<void(PoolParams&)>>{
             [](PoolParams& q) { q.window = {3, 5}; }, [](PoolParams& q) { q.window = {7, 7}; },
             [](PoolParams& q) { q.dilation = {2, 2}; }, [](PoolParams& q) { q.depth = CV_16U; },
             [](PoolParams& q) { q.type = PoolType::mode; }, [](PoolParams& q) { q.scope = Scope::global; },
             [](PoolParams& q) { q.padding = Padding::symmetric(1); }}) {  // ignore: edge windows cut short
        PoolParams q = p;
        change(q);
        CHECK_FALSE(detail::pool_median_net_u8(u8, q, out));
    }
    CHECK_FALSE(detail::pool_median_net_u8(cv::Mat(20, 30, CV_16UC1, cv::Scalar::all(1)), p, out));
}
