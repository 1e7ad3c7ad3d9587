#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "imgpool/display.hpp"
#include "imgpool/error.hpp"
#include "support.hpp"

using imgpool::Colormap;
using imgpool::DisplayRange;
using imgpool::to_display;

namespace {

const DisplayRange kAuto{};

DisplayRange fixed(double lo, double hi) {
    return {true, lo, hi};
}

cv::Vec3b px(const cv::Mat& rgb, int y, int x) {
    return rgb.at<cv::Vec3b>(y, x);
}

bool is_gray(const cv::Vec3b& p) {
    return p[0] == p[1] && p[1] == p[2];
}

// The gray level of each pixel of a gray picture, one row.
std::vector<int> levels(const cv::Mat& rgb) {
    std::vector<int> out;
    for (int x = 0; x < rgb.cols; ++x) {
        REQUIRE(is_gray(px(rgb, 0, x)));
        out.push_back(px(rgb, 0, x)[0]);
    }
    return out;
}

cv::Mat ramp8(int n) {
    cv::Mat m(1, n, CV_8U);
    for (int x = 0; x < n; ++x) m.at<uchar>(0, x) = static_cast<uchar>(x * 255 / (n - 1));
    return m;
}

}  // namespace

TEST_CASE("display: colormap names") {
    CHECK(imgpool::colormap_named("magma") == Colormap::magma);
    CHECK(imgpool::colormap_named("MaGmA") == Colormap::magma);
    CHECK(imgpool::colormap_named("gray") == Colormap::gray);
    CHECK(imgpool::colormap_named("none") == Colormap::none);
    CHECK_FALSE(imgpool::colormap_named("nope").has_value());
    const auto names = imgpool::colormap_names();
    CHECK(names.size() == 14);
    for (const auto& n : names) CHECK(imgpool::colormap_named(n).has_value());
}

TEST_CASE("display: 8-bit gray is shown as is, in 3 equal channels") {
    const cv::Mat g = test::mat({{0, 7, 128, 255}}, CV_8U);
    for (Colormap c : {Colormap::none, Colormap::gray}) {
        const cv::Mat d = to_display(g, c, kAuto);
        CHECK(d.type() == CV_8UC3);
        CHECK(levels(d) == std::vector<int>{0, 7, 128, 255});
    }
}

TEST_CASE("display: other depths are normalised over min..max, rounded") {
    const cv::Mat f = test::mat({{-1, 0, 1, 2, 9}}, CV_32F);
    std::vector<int> want;
    for (double v : {-1.0, 0.0, 1.0, 2.0, 9.0}) want.push_back(static_cast<int>(std::lround((v + 1) / 10 * 255)));
    CHECK(levels(to_display(f, Colormap::none, kAuto)) == want);
    // 16-bit gray data is data too: its own min..max, not /257.
    const cv::Mat u = test::mat({{1000, 1100, 1200}}, CV_16U);
    CHECK(levels(to_display(u, Colormap::none, kAuto)) == std::vector<int>{0, 128, 255});
}

TEST_CASE("display: a fixed range clamps, also for 8-bit") {
    const cv::Mat g = test::mat({{50, 100, 150, 200, 250}}, CV_8U);
    CHECK(levels(to_display(g, Colormap::none, fixed(100, 200))) == std::vector<int>{0, 0, 128, 255, 255});
    const cv::Mat f = test::mat({{-5, 0.25, 0.5, 7}}, CV_64F);
    CHECK(levels(to_display(f, Colormap::none, fixed(0, 1))) == std::vector<int>{0, 64, 128, 255});
    CHECK_THROWS_AS(to_display(f, Colormap::none, fixed(1, 1)), imgpool::Error);
    CHECK_THROWS_AS(to_display(f, Colormap::none, fixed(2, 1)), imgpool::Error);
}

TEST_CASE("display: a constant image is mid-gray") {
    CHECK(levels(to_display(test::mat({{3.5, 3.5, 3.5}}, CV_32F), Colormap::none, kAuto)) ==
          std::vector<int>{128, 128, 128});
    CHECK(levels(to_display(test::mat({{-7, -7}}, CV_16S), Colormap::none, kAuto)) == std::vector<int>{128, 128});
}

TEST_CASE("display: NaN is black, infinities clamp to the ends") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    const cv::Mat f = test::mat({{nan, 0, 10, inf, -inf, 5}}, CV_32F);
    // min..max over the finite values only: 0..10.
    CHECK(levels(to_display(f, Colormap::none, kAuto)) == std::vector<int>{0, 0, 255, 255, 0, 128});
    // No finite value at all: NaN still black.
    const cv::Mat only_nan = test::mat({{nan, nan}}, CV_64F);
    CHECK(levels(to_display(only_nan, Colormap::none, kAuto)) == std::vector<int>{0, 0});
}

TEST_CASE("display: colormaps match cv::applyColorMap, in RGB order") {
    const cv::Mat g = ramp8(256);
    for (auto [cmap, code] :
         {std::pair{Colormap::magma, cv::COLORMAP_MAGMA}, std::pair{Colormap::viridis, cv::COLORMAP_VIRIDIS},
          std::pair{Colormap::jet, cv::COLORMAP_JET}}) {
        const cv::Mat d = to_display(g, cmap, kAuto);
        cv::Mat bgr, want;
        cv::applyColorMap(g, bgr, code);
        cv::cvtColor(bgr, want, cv::COLOR_BGR2RGB);
        CHECK(test::same(d, want));
        int coloured = 0;
        for (int x = 0; x < d.cols; ++x) coloured += !is_gray(px(d, 0, x));
        CHECK(coloured > 200);
    }
    // magma runs from near black (blue-ish) to light yellow: red dominates blue at the top.
    const cv::Mat d = to_display(g, Colormap::magma, kAuto);
    CHECK(px(d, 0, 255)[0] > px(d, 0, 255)[2]);
    // A float ramp is normalised first, then mapped.
    cv::Mat f;
    g.convertTo(f, CV_32F, 1.0 / 255.0);
    CHECK(test::same(to_display(f, Colormap::magma, kAuto), d));
}

TEST_CASE("display: colour images") {
    SUBCASE("8-bit unchanged, colormap ignored") {
        cv::Mat c(2, 3, CV_8UC3);
        cv::randu(c, 0, 256);
        CHECK(test::same(to_display(c, Colormap::magma, kAuto), c));
    }
    SUBCASE("16-bit divided by 257, rounded") {
        cv::Mat c(1, 2, CV_16UC3);
        c.at<cv::Vec<uint16_t, 3>>(0, 0) = {65535, 257 * 100, 128};
        c.at<cv::Vec<uint16_t, 3>>(0, 1) = {129, 0, 257 * 7 + 129};
        const cv::Mat d = to_display(c, Colormap::none, kAuto);
        CHECK(px(d, 0, 0) == cv::Vec3b(255, 100, 0));
        CHECK(px(d, 0, 1) == cv::Vec3b(1, 0, 8));
    }
    SUBCASE("float normalised over all channels together, so hues are kept") {
        cv::Mat c(1, 2, CV_32FC3);
        c.at<cv::Vec3f>(0, 0) = {2, 1.5f, 1};
        c.at<cv::Vec3f>(0, 1) = {1, 1, 1};
        const cv::Mat d = to_display(c, Colormap::none, kAuto);
        CHECK(px(d, 0, 0) == cv::Vec3b(255, 128, 0));
        CHECK(px(d, 0, 1) == cv::Vec3b(0, 0, 0));
        const cv::Mat e = to_display(c, Colormap::none, fixed(0, 4));
        CHECK(px(e, 0, 0) == cv::Vec3b(128, 96, 64));
    }
    SUBCASE("a NaN makes the whole pixel black") {
        cv::Mat c(1, 2, CV_64FC3);
        c.at<cv::Vec3d>(0, 0) = {std::nan(""), 1, 1};
        c.at<cv::Vec3d>(0, 1) = {0, 1, 0.5};
        const cv::Mat d = to_display(c, Colormap::none, kAuto);
        CHECK(px(d, 0, 0) == cv::Vec3b(0, 0, 0));
        CHECK(px(d, 0, 1) == cv::Vec3b(0, 255, 128));
    }
}

TEST_CASE("display: alpha is composited over white") {
    SUBCASE("8-bit") {
        cv::Mat c(1, 3, CV_8UC4);
        c.at<cv::Vec4b>(0, 0) = {255, 0, 0, 0};
        c.at<cv::Vec4b>(0, 1) = {255, 0, 0, 255};
        c.at<cv::Vec4b>(0, 2) = {255, 0, 100, 51};
        const cv::Mat d = to_display(c, Colormap::none, kAuto);
        CHECK(d.type() == CV_8UC3);
        CHECK(px(d, 0, 0) == cv::Vec3b(255, 255, 255));
        CHECK(px(d, 0, 1) == cv::Vec3b(255, 0, 0));
        // t = 0.2: 0.2 * v + 0.8 * 255
        CHECK(px(d, 0, 2) == cv::Vec3b(255, 204, 224));
    }
    SUBCASE("16-bit: alpha out of 65535") {
        cv::Mat c(1, 1, CV_16UC4, cv::Scalar(0, 65535, 0, 65535 / 5));
        CHECK(px(to_display(c, Colormap::none, kAuto), 0, 0) == cv::Vec3b(204, 255, 204));
    }
    SUBCASE("float: alpha out of 1, colours normalised without the alpha") {
        cv::Mat c(1, 2, CV_32FC4);
        c.at<cv::Vec4f>(0, 0) = {0, 0, 0, 0.5f};
        c.at<cv::Vec4f>(0, 1) = {10, 10, 10, 1.0f};
        const cv::Mat d = to_display(c, Colormap::none, kAuto);
        CHECK(px(d, 0, 0) == cv::Vec3b(128, 128, 128));
        CHECK(px(d, 0, 1) == cv::Vec3b(255, 255, 255));
    }
}

TEST_CASE("display: 2 or 5+ channels show the first channel") {
    std::vector<cv::Mat> planes{test::mat({{0, 5, 10}}, CV_32F), test::mat({{9, 9, 0}}, CV_32F)};
    cv::Mat two;
    cv::merge(planes, two);
    CHECK(levels(to_display(two, Colormap::none, kAuto)) == std::vector<int>{0, 128, 255});
    for (int i = 0; i < 3; ++i) planes.push_back(planes[1]);
    cv::Mat five;
    cv::merge(planes, five);
    CHECK(five.channels() == 5);
    CHECK(levels(to_display(five, Colormap::none, kAuto)) == std::vector<int>{0, 128, 255});
}

TEST_CASE("display: an empty image is an error") {
    CHECK_THROWS_AS(to_display(cv::Mat(), Colormap::none, kAuto), imgpool::Error);
}
