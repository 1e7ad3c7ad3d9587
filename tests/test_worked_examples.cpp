// The worked examples of ../shared/REFERENCE.md (the tutorials imgpool grew from),
// through the library. The same examples run through the CLI in test_cli.cpp.
#include <doctest/doctest.h>

#include <opencv2/imgproc.hpp>

#include <cmath>

#include "imgpool/pool.hpp"
#include "support.hpp"

using namespace imgpool;
using test::mat;

namespace {
PoolParams window(PoolType t, int k, int s) {
    PoolParams p;
    p.type = t;
    p.window = {k, k};
    p.stride = {s, s};
    return p;
}
PoolParams global(PoolType t) {
    PoolParams p;
    p.type = t;
    p.scope = Scope::global;
    return p;
}
}  // namespace

TEST_CASE("worked example 1: max 2x2/2") {
    const cv::Mat a = mat({{2, 3, 4, 2}, {8, 5, 5, 1}, {6, 7, 9, 4}, {3, 1, 4, 5}});
    CHECK(test::same(pool(a, window(PoolType::max, 2, 2)), mat({{8, 5}, {7, 9}})));
}

TEST_CASE("worked example 2: max, avg, global max, global avg") {
    const cv::Mat a = mat({{2, 2, 7, 3}, {9, 4, 6, 1}, {8, 5, 2, 4}, {3, 1, 2, 6}});
    CHECK(test::same(pool(a, window(PoolType::max, 2, 2)), mat({{9, 7}, {8, 6}})));
    CHECK(test::same(pool(a, window(PoolType::avg, 2, 2)), mat({{4.25, 4.25}, {4.25, 3.5}})));
    CHECK(test::same(pool(a, global(PoolType::max)), mat({{9}})));
    CHECK(test::same(pool(a, global(PoolType::avg)), mat({{4.0625}})));
}

TEST_CASE("worked example 3: max 2x2 with stride 2 and stride 1") {
    const cv::Mat a = mat({{10, 12, 8, 7}, {4, 11, 5, 9}, {18, 13, 7, 7}, {3, 15, 2, 2}});
    CHECK(test::same(pool(a, window(PoolType::max, 2, 2)), mat({{12, 9}, {18, 7}})));
    CHECK(test::same(pool(a, window(PoolType::max, 2, 1)), mat({{12, 12, 9}, {18, 13, 9}, {18, 15, 7}})));
}

TEST_CASE("worked example: 8-bit data keeps its depth") {
    const cv::Mat a = mat({{2, 3, 4, 2}, {8, 5, 5, 1}, {6, 7, 9, 4}, {3, 1, 4, 5}}, CV_8U);
    CHECK(test::same(pool(a, window(PoolType::max, 2, 2)), mat({{8, 5}, {7, 9}}, CV_8U)));
}

TEST_CASE("worked example: repeated max 2x2/2 with SAME padding, 64 -> 32 -> 16 -> 8 -> 4") {
    cv::Mat img(64, 64, CV_8U, cv::Scalar(0));
    cv::circle(img, {32, 32}, 20, cv::Scalar(255), -1);
    PoolParams p = window(PoolType::max, 2, 2);
    p.padding = Padding::tf_same();
    for (int size : {32, 16, 8, 4}) {
        img = pool(img, p);
        CHECK(img.size() == cv::Size(size, size));
    }
    // and odd sizes round up, as in TF: 5 -> 3 -> 2 -> 1
    cv::Mat odd(5, 5, CV_32F, cv::Scalar(1));
    for (int size : {3, 2, 1}) {
        odd = pool(odd, p);
        CHECK(odd.size() == cv::Size(size, size));
    }
}

TEST_CASE("worked example: Keras shapes") {
    for (PoolType t : {PoolType::max, PoolType::avg}) {
        CHECK(pool(cv::Mat(26, 26, CV_32FC3, cv::Scalar::all(1)), window(t, 2, 2)).size() == cv::Size(13, 13));
        CHECK(pool(cv::Mat(11, 11, CV_32FC3, cv::Scalar::all(1)), window(t, 2, 2)).size() == cv::Size(5, 5));
    }
    // global pooling of HxWxC gives C values
    cv::Mat seven(6, 5, CV_32FC(7));
    seven.reshape(1).setTo(2);
    const cv::Mat g = pool(seven, global(PoolType::avg));
    CHECK(g.size() == cv::Size(1, 1));
    CHECK(g.channels() == 7);
}

TEST_CASE("rounding of integer averages: ties to even by default, ties up on request") {
    const cv::Mat a = mat({{1, 2, 2, 3, 0, 1}}, CV_8U);  // pairs average to 1.5, 2.5, 0.5
    PoolParams p;
    p.type = PoolType::avg;
    p.window = {2, 1};
    CHECK(test::same(pool(a, p), mat({{2, 2, 0}}, CV_8U)));
    p.rounding = Rounding::half_up;
    CHECK(test::same(pool(a, p), mat({{2, 3, 1}}, CV_8U)));
    // negative ties: even goes to the even neighbour, up goes towards +infinity
    const cv::Mat n = mat({{-1, -2, -3, -2}}, CV_16S);  // -1.5, -2.5
    p.rounding = Rounding::half_even;
    CHECK(test::same(pool(n, p), mat({{-2, -2}}, CV_16S)));
    p.rounding = Rounding::half_up;
    CHECK(test::same(pool(n, p), mat({{-1, -2}}, CV_16S)));
    // median of an even count is the mean of the two middle values, rounded the same way
    p = {};
    p.type = PoolType::median;
    p.window = {4, 1};
    CHECK(test::same(pool(mat({{9, 1, 4, 3}}, CV_8U), p), mat({{4}}, CV_8U)));  // (3+4)/2 = 3.5 -> 4
    CHECK(test::same(pool(mat({{9, 1, 6, 3}}, CV_8U), p), mat({{4}}, CV_8U)));  // (3+6)/2 = 4.5 -> 4
    // sum of 8-bit data is float64 by default: no saturation
    p.type = PoolType::sum;
    const cv::Mat s = pool(mat({{255, 255, 255, 255}}, CV_8U), p);
    CHECK(s.depth() == CV_64F);
    CHECK(s.at<double>(0) == 1020);
    // and an explicit result depth keeps exact averages
    p.type = PoolType::avg;
    p.window = {2, 1};
    p.depth = CV_64F;
    CHECK(test::same(pool(a, p), mat({{1.5, 2.5, 0.5}})));
}

TEST_CASE("mode: the most frequent value, ties to the smallest") {
    PoolParams p;
    p.type = PoolType::mode;
    p.window = {3, 2};
    CHECK(test::same(pool(mat({{7, 3, 7}, {3, 1, 1}}, CV_8U), p), mat({{1}}, CV_8U)));  // 1, 3, 7 tie twice
    CHECK(test::same(pool(mat({{7, 3, 7}, {7, 1, 1}}, CV_8U), p), mat({{7}}, CV_8U)));
}

TEST_CASE("lp: the Lp norm over the cells that count") {
    PoolParams p;
    p.type = PoolType::lp;
    p.window = {2, 2};
    const cv::Mat a = mat({{3, -4}, {0, 0}});
    CHECK(test::same(pool(a, p), mat({{5}})));
    p.power = 1;
    CHECK(test::same(pool(a, p), mat({{7}})));
}

TEST_CASE("padding: ignored by default, counted with count-pad, filled with a border") {
    const cv::Mat a = mat({{1, 2, 3}});  // padded by one cell on each side: [p 1 2 3 p]
    PoolParams p;
    p.type = PoolType::avg;
    p.window = {2, 1};
    p.stride = {1, 1};
    p.padding = Padding::per_axis(1, 0);
    CHECK(test::same(pool(a, p), mat({{1, 1.5, 2.5, 3}})));  // real cells only (TF)
    p.count_pad = true;
    CHECK(test::same(pool(a, p), mat({{0.5, 1.5, 2.5, 1.5}})));  // padding counts as zeros (PyTorch)
    p.count_pad = false;
    p.border = Border::zero;
    CHECK(test::same(pool(a, p), mat({{0.5, 1.5, 2.5, 1.5}})));
    p.border = Border::replicate;  // [1 1 2 3 3]
    CHECK(test::same(pool(a, p), mat({{1, 1.5, 2.5, 3}})));
    p.border = Border::reflect;  // mirror without repeating the edge: [2 1 2 3 2]
    CHECK(test::same(pool(a, p), mat({{1.5, 1.5, 2.5, 2.5}})));
    // ceil-mode overhang beyond the declared padding never counts, even with a fill
    p.window = {2, 1};
    p.stride = {2, 1};
    p.padding = Padding::explicit_(1, 0, 0, 0);  // [2 1 2 3 4] + overhang
    p.ceil_mode = true;
    CHECK(test::same(pool(mat({{1, 2, 3, 4}}), p), mat({{1.5, 2.5, 4}})));
    p.border = Border::zero;
    p.padding = Padding::explicit_(0, 0, 0, 0);  // [1 2 3] + overhang: the last window holds only 3
    CHECK(test::same(pool(a, p), mat({{1.5, 3}})));
}

TEST_CASE("regression (review of #2): ceil mode accepts a window overhanging a short input, as PyTorch") {
    // F.max_pool2d(x, (1, 4), (1, 3), ceil_mode=True) on [[0, 1, 2]] gives [[2.]]; avg_pool2d gives 1.
    PoolParams p;
    p.window = {4, 1};
    p.stride = {3, 1};
    p.ceil_mode = true;
    CHECK(test::same(pool(mat({{0, 1, 2}}), p), mat({{2}})));
    p.type = PoolType::avg;
    CHECK(test::same(pool(mat({{0, 1, 2}}), p), mat({{1}})));
}

TEST_CASE("regression (review of #2): the count-pad divisor is 64-bit") {
    // PyTorch accepts k=65536, p=32767 (p <= k/2): 4 cells of 1..4 over 65536^2 cells.
    PoolParams p;
    p.type = PoolType::avg;
    p.window = {65536, 65536};
    p.stride = {1, 1};
    p.padding = Padding::symmetric(32767);
    p.count_pad = true;
    const cv::Mat out = pool(mat({{1, 2}, {3, 4}}), p);
    REQUIRE(out.size() == cv::Size(1, 1));
    CHECK(out.at<double>(0) == doctest::Approx(10.0 / (65536.0 * 65536.0)));
}

TEST_CASE("regression (review of #2): float32 results round to nearest at the top of the range") {
    PoolParams p;
    p.window = {1, 1};
    p.depth = CV_32F;
    const double max = 3.4028234663852886e38;
    const cv::Mat out = pool(mat({{3.40282356e38, -3.40282356e38, max * 1.01, NAN}}), p);
    CHECK(out.at<float>(0) == float(max));
    CHECK(out.at<float>(1) == -float(max));
    CHECK(std::isinf(out.at<float>(2)));
    CHECK(std::isnan(out.at<float>(3)));
}

TEST_CASE("invalid parameters raise imgpool::Error naming the value") {
    const cv::Mat a(4, 4, CV_8U, cv::Scalar(1));
    auto message = [&](PoolParams p) {
        try {
            pool(a, p);
        } catch (const imgpool::Error& e) {
            return e.param() + ": " + e.what();
        }
        return std::string("no error");
    };
    PoolParams p;
    p.window = {0, 2};
    CHECK(message(p) == "window: window 0x2 must be at least 1x1");
    p = {};
    p.stride = {-1, 2};
    CHECK(message(p) == "stride: stride -1x2 must be at least 1x1");
    p = {};
    p.window = {5, 5};
    CHECK(message(p) == "window: window 5x5 is larger than the padded input 4x4");
    p = {};
    p.padding = Padding::explicit_(0, 0, 0, -1);
    CHECK(message(p) == "padding: padding 0,0,0,-1 must not be negative");
    p = {};
    p.padding = Padding::symmetric(2);  // a 2x2 window in the top-left padding holds no cell
    CHECK(message(p) == "padding: padding 2,2,2,2 leaves window 0 along x with no input cell (window 2x2, dilation 1x1)");
    p = {};
    p.count_pad = true;
    CHECK(message(p) == "count_pad: count-pad applies to avg only, not max");
    p.type = PoolType::avg;
    p.border = Border::zero;
    CHECK(message(p) == "count_pad: count-pad cannot be combined with a border fill: filled cells always count");
    p = {};
    p.padding = Padding::tf_same();
    p.ceil_mode = true;
    CHECK(message(p) == "ceil_mode: ceil mode does not apply to same padding (it always covers the input)");
    p = {};
    p.border = Border::reflect;
    p.padding = Padding::symmetric(1);
    p.window = {4, 4};
    CHECK(message(p) == "no error");
    p.padding = Padding::per_axis(4, 1);
    p.window = {5, 2};
    CHECK(message(p) == "border: reflect needs padding smaller than the input 4x4; the padding is 4,1,4,1");
    p = {};
    p.type = PoolType::lp;
    p.power = 0.5;
    CHECK(message(p) == "power: power 0.500000 must be a finite number >= 1");
    p = {};
    p.scope = Scope::adaptive;
    p.output_size = {0, 4};
    CHECK(message(p) == "output_size: output size 0x4 must be at least 1x1");
    p = {};
    p.window = {5, 1};
    p.dilation = {536870912, 1};  // an effective window of 2^31 + 1 cells
    CHECK(message(p) == "dilation: dilated window 2147483649 is beyond the limit of 2^30 cells");
    p = {};
    p.padding = Padding::symmetric(2147483647);
    CHECK(message(p) == "padding: padding 2147483647 is beyond the limit of 2^30 cells");
    CHECK_THROWS_AS(pool(cv::Mat(2, 2, CV_16F), PoolParams{}), imgpool::Error);
    CHECK_THROWS_AS(pool(cv::Mat(), PoolParams{}), imgpool::Error);
}
