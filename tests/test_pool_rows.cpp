// Bands of output rows (lib/src/pool_rows.cpp) against the full pool(): every band is the
// same rows, and reads only the input rows pool_input_rows() names.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "imgpool/pool.hpp"
#include "imgpool/pool_rows.hpp"
#include "support.hpp"

using namespace imgpool;
using test::random_image;

namespace {

// Integer results are exact whatever the engine; float sums may be taken in another order
// by another engine (as in test_engines.cpp), order-free types are exact.
void check_rows(const cv::Mat& band, const cv::Mat& full, const PoolParams& p) {
    REQUIRE(band.size() == full.size());
    REQUIRE(band.type() == full.type());
    const bool exact = (band.depth() != CV_32F && band.depth() != CV_64F) || p.type == PoolType::max ||
                       p.type == PoolType::min || p.type == PoolType::median || p.type == PoolType::mode;
    if (exact)
        CHECK(test::same(band, full));
    else
        CHECK(test::max_rel_diff(band, full) <= (band.depth() == CV_32F ? 2e-6 : 1e-12));
}

// `src` with the rows from `from` on overwritten: what a band may see before they are decoded.
cv::Mat rows_unset_from(const cv::Mat& src, int from) {
    cv::Mat m = src.clone();
    if (from < m.rows) m.rowRange(from, m.rows).setTo(cv::Scalar::all(77));
    return m;
}

std::string describe(const PoolParams& p, const cv::Mat& src) {
    return std::string(to_string(p.type)) + " window " + std::to_string(p.window.w) + "x" + std::to_string(p.window.h) +
           " stride " + std::to_string(p.stride.w) + "x" + std::to_string(p.stride.h) + " dilation " +
           std::to_string(p.dilation.w) + "x" + std::to_string(p.dilation.h) + " padding " +
           (p.padding.same ? "same"
                           : std::to_string(p.padding.left) + "," + std::to_string(p.padding.top) + "," +
                                 std::to_string(p.padding.right) + "," + std::to_string(p.padding.bottom)) +
           (p.ceil_mode ? " ceil" : "") + (p.count_pad ? " count-pad" : "") + " border " +
           std::to_string(int(p.border)) + " input " + std::to_string(src.cols) + "x" + std::to_string(src.rows) +
           " depth " + std::to_string(src.depth()) + " cn " + std::to_string(src.channels());
}

}  // namespace

TEST_CASE("pool_rows: random parameters, every band of 1 row and random bands are the full pool's rows") {
    std::mt19937 rng(41);
    auto pick = [&](int lo, int hi) { return lo + int(rng() % unsigned(hi - lo + 1)); };
    int checked = 0, filled = 0, ceil = 0, same = 0, count_pad = 0;
    for (int trial = 0; trial < 500; ++trial) {
        const PoolType types[] = {PoolType::max, PoolType::min,    PoolType::avg, PoolType::sum,
                                  PoolType::lp,  PoolType::median, PoolType::mode};
        const int depths[] = {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F};
        PoolParams p;
        p.type = types[rng() % 7];
        p.window = {pick(1, 6), pick(1, 6)};
        if (rng() % 3) p.stride = {pick(1, 4), pick(1, 4)};  // else the window
        if (rng() % 4 == 0) p.dilation = {pick(1, 3), pick(1, 3)};
        if (rng() % 2)
            p.padding = Padding::explicit_(pick(0, 3), pick(0, 3), pick(0, 3), pick(0, 3));
        else if (rng() % 3 == 0)
            p.padding = Padding::tf_same();
        p.ceil_mode = !p.padding.same && rng() % 3 == 0;
        p.border = Border(rng() % 4);
        p.count_pad = p.type == PoolType::avg && p.border == Border::ignore && rng() % 2;
        p.rounding = rng() % 2 ? Rounding::half_even : Rounding::half_up;
        p.power = double(1 + rng() % 3);
        const cv::Mat src = random_image(rng, {pick(1, 40), pick(1, 45)}, depths[rng() % 7], pick(1, 4));
        try {
            validate(p, src.size());
        } catch (const imgpool::Error&) {
            continue;  // invalid draws are test_reference's business
        }
        INFO("trial " << trial << ": " << describe(p, src));
        const cv::Mat full = pool(src, p);
        const int out = full.rows;
        CHECK(pool_input_rows(src.size(), p, out) == src.rows);
        CHECK(pool_input_rows(src.size(), p, 0) == 0);
        for (int o = 1; o <= out; ++o)
            CHECK(pool_input_rows(src.size(), p, o) >= pool_input_rows(src.size(), p, o - 1));
        // Every single row (first, middle, last among them), then random bands; each from an
        // input whose rows past what it may read are garbage.
        for (int o = 0; o < out; ++o) {
            INFO("row " << o);
            const cv::Mat partial = rows_unset_from(src, pool_input_rows(src.size(), p, o + 1));
            check_rows(pool_rows(partial, p, o, o + 1), full.rowRange(o, o + 1), p);
        }
        for (int k = 0; k < 3; ++k) {
            const int first = pick(0, out - 1), last = pick(first + 1, out);
            INFO("rows " << first << ".." << last);
            const cv::Mat partial = rows_unset_from(src, pool_input_rows(src.size(), p, last));
            check_rows(pool_rows(partial, p, first, last), full.rowRange(first, last), p);
        }
        ++checked;
        filled += p.border != Border::ignore;
        ceil += p.ceil_mode;
        same += p.padding.same;
        count_pad += p.count_pad;
    }
    // The draws reach every kind of padding.
    CHECK(checked > 200);
    CHECK(filled > 50);
    CHECK(ceil > 20);
    CHECK(same > 20);
    CHECK(count_pad > 5);
}

TEST_CASE("pool_rows: the whole output in bands of any height, on an image the fast engines take") {
    std::mt19937 rng(42);
    const cv::Mat src = random_image(rng, {301, 257}, CV_8U, 3);
    for (PoolType t : {PoolType::max, PoolType::avg, PoolType::median}) {
        PoolParams p;
        p.type = t;
        for (int k : {2, 3, 5}) {
            p.window = {k, k};
            for (int s : {1, 2, k}) {
                p.stride = {s, s};
                const cv::Mat full = pool(src, p);
                for (int h : {1, 7, 32}) {
                    INFO(to_string(t) << " " << k << "x" << k << "/" << s << " bands of " << h);
                    cv::Mat joined;
                    for (int o = 0; o < full.rows; o += h) {
                        const int last = std::min(full.rows, o + h);
                        joined.push_back(
                            pool_rows(rows_unset_from(src, pool_input_rows(src.size(), p, last)), p, o, last));
                    }
                    CHECK(test::same(joined, full));
                }
            }
        }
    }
}

TEST_CASE("pool_rows: rows outside the output and other scopes are refused") {
    const cv::Mat src(10, 10, CV_8U, cv::Scalar(1));
    PoolParams p;  // 2x2: 5 rows
    CHECK_THROWS_AS(pool_rows(src, p, 0, 6), imgpool::Error);
    CHECK_THROWS_AS(pool_rows(src, p, 3, 3), imgpool::Error);
    CHECK_THROWS_AS(pool_rows(src, p, -1, 2), imgpool::Error);
    p.scope = Scope::global;
    CHECK_THROWS_AS(pool_rows(src, p, 0, 1), imgpool::Error);
    CHECK_THROWS_AS(pool_input_rows(src.size(), p, 1), imgpool::Error);
}
