// The global reduction engine (lib/src/global_reduce.cpp) against the generic engine: every
// depth, channel count, result depth and rounding, NaN, infinities and signed zeros, regions,
// both instruction sets, and the same bytes at one and two threads.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>

#include "engines.hpp"
#include "imgpool/pool.hpp"
#include "support.hpp"

using namespace imgpool;

namespace {

const int kDepths[] = {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F};

bool same_bytes(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() &&
           std::memcmp(a.ptr(), b.ptr(), size_t(a.cols) * a.elemSize()) == 0;
}

// Samples over each depth's whole range (and beyond, saturated); floats get `specials`
// (NaN, infinities, signed zeros) in about one sample in 2^per, per = 0 for none.
cv::Mat global_image(std::mt19937& rng, cv::Size size, int depth, int cn, int per, bool extremes) {
    cv::Mat m(size, CV_MAKETYPE(depth, cn));
    cv::Mat flat = m.reshape(1);
    cv::theRNG().state = rng();
    if (depth == CV_32F || depth == CV_64F) cv::randn(flat, 0, 100);
    else cv::randu(flat, depth == CV_32S ? -3e9 : -40000, depth == CV_32S ? 3e9 : 40000);
    if (depth == CV_32F || depth == CV_64F) {
        const double special[] = {std::numeric_limits<double>::quiet_NaN(), INFINITY, -INFINITY, 0.0, -0.0, 1e30, -1e30};
        const int kinds = extremes ? int(std::size(special)) : 5;
        for (int y = 0; y < flat.rows && per; ++y)
            for (int x = 0; x < flat.cols; ++x)
                if (rng() % (1u << per) == 0) {
                    const double v = special[rng() % unsigned(kinds)];
                    if (depth == CV_32F) flat.at<float>(y, x) = float(v);
                    else flat.at<double>(y, x) = v;
                }
    }
    return m;
}

// The engine takes the case, equals the generic engine (exactly, floats sums within float
// rounding), and gives the same bytes at one and two threads and on both instruction sets.
void global_check(const cv::Mat& src, const PoolParams& p) {
    cv::Mat fast;
    REQUIRE(detail::pool_global(src, p, fast));
    const cv::Mat generic = detail::pool_generic(detail::make_plan(src, p), p);
    REQUIRE(fast.type() == generic.type());
    REQUIRE(fast.size() == cv::Size(1, 1));
    const bool float_sum = (p.type == PoolType::avg || p.type == PoolType::sum) &&
                           (src.depth() == CV_32F || src.depth() == CV_64F);
    if (!float_sum) CHECK(same_bytes(fast, generic));
    else CHECK(test::max_rel_diff(fast, generic) <= (fast.depth() == CV_32F ? 2e-6 : 1e-12));
    CHECK(same_bytes(pool(src, p), fast));

    const int threads = cv::getNumThreads();
    for (int n : {1, 2}) {
        cv::setNumThreads(n);
        cv::Mat again;
        detail::pool_global(src, p, again);
        CHECK(same_bytes(again, fast));
    }
    cv::setNumThreads(threads);
    cv::setUseOptimized(false);  // the baseline kernels
    cv::Mat base;
    detail::pool_global(src, p, base);
    cv::setUseOptimized(true);
    CHECK(same_bytes(base, fast));
}

std::string describe(const PoolParams& p, const cv::Mat& src) {
    return std::string(to_string(p.type)) + " depth " + std::to_string(src.depth()) + " cn " +
           std::to_string(src.channels()) + " " + std::to_string(src.cols) + "x" + std::to_string(src.rows) +
           " to depth " + std::to_string(p.depth) + " round " + std::to_string(int(p.rounding));
}

bool float_depth(int d) { return d == CV_32F || d == CV_64F; }

}  // namespace

TEST_CASE("global engine: every depth, channel count 1..5, odd sizes, result depths, as the generic engine") {
    std::mt19937 rng(61);
    for (int depth : kDepths)
        for (int cn = 1; cn <= 5; ++cn)
            for (cv::Size size : {cv::Size(1, 1), cv::Size(3, 1), cv::Size(1, 7), cv::Size(67, 13), cv::Size(131, 9)})
                for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg, PoolType::sum}) {
                    PoolParams p;
                    p.type = t;
                    p.scope = Scope::global;
                    p.rounding = rng() % 2 ? Rounding::half_even : Rounding::half_up;
                    if (rng() % 3 == 0) p.depth = kDepths[rng() % std::size(kDepths)];
                    const bool float_sum = float_depth(depth) && (t == PoolType::avg || t == PoolType::sum);
                    if (float_sum && p.depth >= 0 && !float_depth(p.depth)) p.depth = CV_64F;  // left to others
                    const cv::Mat src = global_image(rng, size, depth, cn, int(rng() % 4) * 2, !float_sum);
                    INFO(describe(p, src));
                    global_check(src, p);
                }
}

TEST_CASE("global engine: large images in chunks and threads, regions, every depth") {
    std::mt19937 rng(62);
    for (int depth : kDepths)
        for (int cn : {1, 3, 4, 5})
            for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg, PoolType::sum}) {
                PoolParams p;
                p.type = t;
                p.scope = Scope::global;
                const bool float_sum = float_depth(depth) && (t == PoolType::avg || t == PoolType::sum);
                const cv::Mat big = global_image(rng, {613 + cn, 431}, depth, cn, rng() % 3 ? 0 : 14, !float_sum);
                INFO(describe(p, big));
                global_check(big, p);  // beyond 2^18 samples: threads and many chunks
                INFO("region");
                global_check(big(cv::Rect(5, 3, 600, 420)), p);  // rows not continuous
            }
}

TEST_CASE("global engine: integer averages round exactly, ties both ways; sums beyond 2^31") {
    // A 2x1 image of a and b: the mean (a + b) / 2 is a tie whenever a + b is odd.
    for (int depth : {CV_8U, CV_8S, CV_16S, CV_32S})
        for (Rounding r : {Rounding::half_even, Rounding::half_up})
            for (int a : {-3, -2, 0, 1, 2, 5, 100})
                for (int b : {0, 1, 3, 4}) {
                    cv::Mat src;
                    cv::Mat(cv::Matx12d(a, b)).convertTo(src, depth);  // saturated into the depth
                    PoolParams p;
                    p.type = PoolType::avg;
                    p.scope = Scope::global;
                    p.rounding = r;
                    INFO(describe(p, src) << " a " << a << " b " << b);
                    global_check(src, p);
                }
    // 32-bit samples near the limits: the sum needs all 64 bits' exactness.
    cv::Mat big(300, 300, CV_32SC2, cv::Scalar(std::numeric_limits<int>::max(), std::numeric_limits<int>::min()));
    big.at<cv::Vec2i>(7, 9) = cv::Vec2i(1, -1);
    for (PoolType t : {PoolType::avg, PoolType::sum}) {
        PoolParams p;
        p.type = t;
        p.scope = Scope::global;
        INFO(describe(p, big));
        global_check(big, p);
    }
}

TEST_CASE("global engine: NaN anywhere makes NaN, inf - inf too, and max/min keep the first zero's sign") {
    for (int depth : {CV_32F, CV_64F})
        for (int cn : {1, 3}) {
            for (int c = 0; c < cn; ++c) {
                cv::Mat one(70, 90, CV_MAKETYPE(depth, cn), cv::Scalar::all(1.5));
                cv::Mat flat = one.reshape(1);
                auto put = [&](int y, int x, double v) {
                    if (depth == CV_32F) flat.at<float>(y, x * cn + c) = float(v);
                    else flat.at<double>(y, x * cn + c) = v;
                };
                put(69, 89, std::numeric_limits<double>::quiet_NaN());  // the very last sample
                for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg, PoolType::sum}) {
                    PoolParams p;
                    p.type = t;
                    p.scope = Scope::global;
                    INFO(describe(p, one) << " NaN in channel " << c);
                    global_check(one, p);
                    const cv::Mat out = pool(one, p);
                    for (int k = 0; k < cn; ++k) {
                        const double v = out.depth() == CV_32F ? double(out.ptr<float>()[k]) : out.ptr<double>()[k];
                        CHECK(std::isnan(v) == (k == c));
                    }
                }
                put(69, 89, INFINITY);
                put(0, 3, -INFINITY);
                PoolParams avg;
                avg.type = PoolType::avg;
                avg.scope = Scope::global;
                global_check(one, avg);
            }
            // Zeros of both signs, in either order, among negatives (max) or positives (min).
            for (double first : {0.0, -0.0}) {
                cv::Mat z(40, 50, CV_MAKETYPE(depth, cn), cv::Scalar::all(-2));
                cv::Mat zf = z.reshape(1);
                auto set = [&](int y, int x, double v) {
                    if (depth == CV_32F) zf.at<float>(y, x) = float(v);
                    else zf.at<double>(y, x) = v;
                };
                set(11, 7, first);
                set(30, 40, -first);
                PoolParams p;
                p.scope = Scope::global;
                INFO("max, first zero " << first << " depth " << depth << " cn " << cn);
                global_check(z, p);
                const cv::Mat out = pool(z, p);
                const int c = 7 % cn;  // both zeros are in this channel (40 % cn is the same)
                const double v = out.depth() == CV_32F ? double(out.ptr<float>()[c]) : out.ptr<double>()[c];
                CHECK(v == 0);
                CHECK(std::signbit(v) == std::signbit(first));
                z = -z;
                p.type = PoolType::min;
                global_check(z, p);
            }
        }
}

TEST_CASE("global engine: takes max, min, avg and sum, and leaves the rest") {
    const cv::Mat u8(20, 30, CV_8UC3, cv::Scalar(1, 2, 3)), f32(20, 30, CV_32FC1, cv::Scalar::all(0.5));
    PoolParams p;
    p.scope = Scope::global;
    cv::Mat out;
    for (PoolType t : {PoolType::max, PoolType::min, PoolType::avg, PoolType::sum}) {
        p.type = t;
        CHECK(detail::pool_global(u8, p, out));
        CHECK(detail::pool_global(f32, p, out));
    }
    for (PoolType t : {PoolType::median, PoolType::mode, PoolType::lp}) {
        p.type = t;
        CHECK_FALSE(detail::pool_global(u8, p, out));
    }
    p.type = PoolType::avg;
    p.depth = CV_8U;  // a float sum's order could change the rounded integer
    CHECK_FALSE(detail::pool_global(f32, p, out));
    CHECK(detail::pool_global(u8, p, out));
    p.depth = -1;
    p.scope = Scope::adaptive;
    CHECK_FALSE(detail::pool_global(u8, p, out));
    p.scope = Scope::window;
    CHECK_FALSE(detail::pool_global(u8, p, out));
}
