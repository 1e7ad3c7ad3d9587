// Every fast engine against the generic one (itself checked against the naive reference
// in test_reference.cpp), on images large enough to reach their vectorised loops.
#include <doctest/doctest.h>

#include <random>

#include "engines.hpp"
#include "imgpool/pool.hpp"
#include "support.hpp"

using namespace imgpool;

namespace {

cv::Mat random_image(std::mt19937& rng, cv::Size size, int depth, int cn) {
    cv::Mat m(size, CV_MAKETYPE(depth, cn));
    cv::Mat flat = m.reshape(1);
    cv::theRNG().state = rng();
    if (depth == CV_32F || depth == CV_64F) cv::randn(flat, 0, 100);
    else cv::randu(flat, -40000, 40000);  // saturates into each depth's range
    if (rng() % 4 == 0) flat.setTo(3, flat > 0);  // many ties
    return m;
}

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
                        INFO(to_string(t) << " depth " << depth << " cn " << cn << " " << size);
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
        INFO("trial " << trial << ": " << to_string(p.type) << " window " << p.window.w << "x" << p.window.h
                      << " stride " << p.stride.w << "x" << p.stride.h << " depth " << src.depth() << " cn "
                      << src.channels() << " border " << int(p.border) << " scope " << int(p.scope));
        check_same_result(src, p);
        ++checked;
    }
    CHECK(checked > 300);
}
