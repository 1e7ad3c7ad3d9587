// The pre-steps: grayscale (channel order, every depth, rounding) and resize (exact
// size, interpolation choice, depths and channel counts cv::resize lacks).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <functional>
#include <imgpool/error.hpp>
#include <imgpool/preprocess.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "support.hpp"

using imgpool::Interp;
using imgpool::resize_to;
using imgpool::to_grayscale;

namespace {

cv::Mat random_mat(int type, cv::Size size, double lo, double hi, std::uint64_t seed = 3) {
    cv::Mat m(size, type);
    cv::RNG rng(seed);
    rng.fill(m, cv::RNG::UNIFORM, lo, hi);
    return m;
}

// param() of the imgpool::Error `f` throws, or a marker when it throws none.
std::string error_param(const std::function<void()>& f) {
    try {
        f();
    } catch (const imgpool::Error& e) {
        return e.param();
    }
    return "(no Error)";
}

// A one-row image of `depth` from {r, g, b} triples.
cv::Mat pixels(int depth, std::initializer_list<std::array<double, 3>> rgb) {
    cv::Mat m(1, int(rgb.size()), CV_64FC3);
    int i = 0;
    for (const auto& p : rgb) m.at<cv::Vec3d>(0, i++) = {p[0], p[1], p[2]};
    cv::Mat out;
    m.convertTo(out, depth);
    return out;
}

// Resize in float64 with OpenCV, then round half to even and saturate by hand.
cv::Mat resized_through_double(const cv::Mat& m, cv::Size size, int mode) {
    cv::Mat d, r;
    m.convertTo(d, CV_64F);
    cv::resize(d, r, size, 0, 0, mode);
    const double lo = m.depth() == CV_8S ? -128 : INT_MIN, hi = m.depth() == CV_8S ? 127 : INT_MAX;
    cv::Mat out(r.size(), m.type());
    for (int y = 0; y < r.rows; ++y)
        for (int x = 0; x < r.cols * r.channels(); ++x) {
            const double v = std::clamp(std::nearbyint(r.ptr<double>(y)[x]), lo, hi);  // default mode: half to even
            if (m.depth() == CV_8S)
                out.ptr<schar>(y)[x] = static_cast<schar>(v);
            else
                out.ptr<int>(y)[x] = static_cast<int>(v);
        }
    return out;
}

}  // namespace

TEST_CASE("preprocess: grayscale of RGB equals cvtColor of the same image in BGR order") {
    for (int depth : {CV_8U, CV_16U, CV_32F}) {
        CAPTURE(depth);
        const double hi = depth == CV_8U ? 256 : depth == CV_16U ? 65536 : 1;
        const cv::Mat rgb = random_mat(CV_MAKETYPE(depth, 3), {13, 7}, 0, hi);
        cv::Mat bgr, expected, misread;
        cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
        cv::cvtColor(bgr, expected, cv::COLOR_BGR2GRAY);
        const cv::Mat gray = to_grayscale(rgb);
        if (depth == CV_32F)  // the products are summed in the other order: the last bit may differ
            CHECK(test::max_rel_diff(gray, expected) <= 1e-6);
        else
            CHECK(test::same(gray, expected));
        // Taking the RGB data for BGR gives other values, so the check above can fail.
        cv::cvtColor(rgb, misread, cv::COLOR_BGR2GRAY);
        CHECK(test::max_rel_diff(gray, misread) > 1e-3);
    }
}

TEST_CASE("preprocess: grayscale drops alpha") {
    cv::Mat rgba = random_mat(CV_8UC4, {9, 5}, 0, 256), rgb;
    cv::cvtColor(rgba, rgb, cv::COLOR_RGBA2RGB);
    const cv::Mat gray = to_grayscale(rgba);
    CHECK(test::same(gray, to_grayscale(rgb)));
    std::vector<cv::Mat> planes;
    cv::split(rgba, planes);
    planes[3] = 255 - planes[3];
    cv::merge(planes, rgba);
    CHECK(test::same(to_grayscale(rgba), gray));
    // 16S RGBA takes the float64 path: alpha dropped there too.
    cv::Mat rgba16s, rgb16s;
    rgba.convertTo(rgba16s, CV_16S, 100, -12000);
    cv::cvtColor(rgba, rgb, cv::COLOR_RGBA2RGB);
    rgb.convertTo(rgb16s, CV_16S, 100, -12000);
    CHECK(test::same(to_grayscale(rgba16s), to_grayscale(rgb16s)));
}

TEST_CASE("preprocess: grayscale keeps one channel as it is and refuses 2 or 5 channels") {
    const cv::Mat one = random_mat(CV_16SC1, {6, 4}, -30000, 30000);
    CHECK(test::same(to_grayscale(one), one));
    CHECK(error_param([] { to_grayscale(cv::Mat(2, 2, CV_8UC2)); }) == "grayscale");
    CHECK(error_param([] { to_grayscale(cv::Mat(2, 2, CV_32FC(5))); }) == "grayscale");
    try {
        to_grayscale(cv::Mat(2, 2, CV_8UC2));
    } catch (const imgpool::Error& e) {
        CHECK(std::string(e.what()).find('2') != std::string::npos);
    }
}

TEST_CASE("preprocess: grayscale of 8S, 16S, 32S and 64F by hand (Rec.601, half to even, saturated)") {
    // 0.299 R + 0.587 G + 0.114 B: -14,22,-2 -> 8.5; -11,25,1 -> 11.5; -12,0,-8 -> -4.5;
    // -1000,2000,30000 -> 4295.
    const cv::Mat s16 = to_grayscale(pixels(CV_16S, {{-14, 22, -2}, {-11, 25, 1}, {-12, 0, -8}, {-1000, 2000, 30000}}));
    REQUIRE(s16.type() == CV_16SC1);
    CHECK(s16.at<short>(0, 0) == 8);   // half to even: down
    CHECK(s16.at<short>(0, 1) == 12);  // half to even: up
    CHECK(s16.at<short>(0, 2) == -4);
    CHECK(s16.at<short>(0, 3) == 4295);

    // 100,-100,50 -> -23.1; the extremes stay in range.
    const cv::Mat s8 = to_grayscale(pixels(CV_8S, {{127, 127, 127}, {-128, -128, -128}, {100, -100, 50}}));
    REQUIRE(s8.type() == CV_8SC1);
    CHECK(s8.at<schar>(0, 0) == 127);
    CHECK(s8.at<schar>(0, 1) == -128);
    CHECK(s8.at<schar>(0, 2) == -23);

    const cv::Mat s32 =
        to_grayscale(pixels(CV_32S, {{INT_MAX, INT_MAX, INT_MAX}, {INT_MIN, INT_MIN, INT_MIN}, {-14, 22, -2}}));
    REQUIRE(s32.type() == CV_32SC1);
    CHECK(s32.at<int>(0, 0) == INT_MAX);
    CHECK(s32.at<int>(0, 1) == INT_MIN);
    CHECK(s32.at<int>(0, 2) == 8);

    const cv::Mat f64 = to_grayscale(pixels(CV_64F, {{0.1, 0.2, 0.3}, {1, 1, 1}, {NAN, 0, 0}, {-14, 22, -2}}));
    REQUIRE(f64.type() == CV_64FC1);
    CHECK(f64.at<double>(0, 0) == doctest::Approx(0.1815).epsilon(1e-14));
    CHECK(f64.at<double>(0, 1) == doctest::Approx(1.0).epsilon(1e-15));
    CHECK(std::isnan(f64.at<double>(0, 2)));
    CHECK(f64.at<double>(0, 3) == doctest::Approx(8.5).epsilon(1e-15));  // not rounded

    // Many 16S pixels against the formula.
    const cv::Mat rgb = random_mat(CV_16SC3, {17, 9}, -32768, 32768);
    const cv::Mat gray = to_grayscale(rgb);
    for (int y = 0; y < rgb.rows; ++y)
        for (int x = 0; x < rgb.cols; ++x) {
            const cv::Vec3s p = rgb.at<cv::Vec3s>(y, x);
            const double v = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            CHECK(gray.at<short>(y, x) == cv::saturate_cast<short>(std::nearbyint(v)));
        }
}

TEST_CASE("preprocess: resize gives exactly the requested size for every depth, channel count and mode") {
    const Interp modes[] = {Interp::automatic, Interp::nearest, Interp::linear,
                            Interp::area,      Interp::cubic,   Interp::lanczos};
    for (int depth : {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F})
        for (int channels : {1, 2, 3, 4, 5, 7})
            for (Interp mode : modes)
                for (cv::Size size : {cv::Size(3, 2), cv::Size(11, 9), cv::Size(4, 13), cv::Size(8, 6)}) {
                    CAPTURE(depth);
                    CAPTURE(channels);
                    CAPTURE(int(mode));
                    CAPTURE(size);
                    const cv::Mat m = random_mat(CV_MAKETYPE(depth, channels), {8, 6}, -100, 100);
                    const cv::Mat r = resize_to(m, size, mode);
                    CHECK(r.size() == size);
                    CHECK(r.type() == m.type());
                }
}

TEST_CASE("preprocess: automatic interpolation is area when shrinking and linear when an axis grows") {
    const cv::Mat m = random_mat(CV_8UC3, {20, 16}, 0, 256);
    const auto opencv = [&](cv::Size size, int mode) {
        cv::Mat out;
        cv::resize(m, out, size, 0, 0, mode);
        return out;
    };
    const cv::Size shrink{7, 5}, grow{30, 20}, mixed{10, 20};
    CHECK(test::same(resize_to(m, shrink, Interp::automatic), opencv(shrink, cv::INTER_AREA)));
    CHECK_FALSE(test::same(opencv(shrink, cv::INTER_AREA), opencv(shrink, cv::INTER_LINEAR)));
    CHECK(test::same(resize_to(m, grow, Interp::automatic), opencv(grow, cv::INTER_LINEAR)));
    CHECK(test::same(resize_to(m, mixed, Interp::automatic), opencv(mixed, cv::INTER_LINEAR)));
    CHECK_FALSE(test::same(opencv(mixed, cv::INTER_AREA), opencv(mixed, cv::INTER_LINEAR)));
    CHECK(test::same(resize_to(m, m.size(), Interp::automatic), m));

    const std::pair<Interp, int> explicit_modes[] = {{Interp::nearest, cv::INTER_NEAREST},
                                                     {Interp::linear, cv::INTER_LINEAR},
                                                     {Interp::area, cv::INTER_AREA},
                                                     {Interp::cubic, cv::INTER_CUBIC},
                                                     {Interp::lanczos, cv::INTER_LANCZOS4}};
    for (const auto& mode : explicit_modes)
        for (cv::Size size : {shrink, grow})
            CHECK(test::same(resize_to(m, size, mode.first), opencv(size, mode.second)));
}

TEST_CASE("preprocess: 8S and 32S resize through float64, rounding half to even and saturating") {
    // Area means 1.5, 2.5 and -2.5 round to 2, 2 and -2.
    const cv::Mat s8 = test::mat({{1, 2, 2, 3, -3, -2}}, CV_8S);
    const cv::Mat halved = resize_to(s8, {3, 1}, Interp::area);
    REQUIRE(halved.type() == CV_8SC1);
    CHECK(test::same(halved, test::mat({{2, 2, -2}}, CV_8S)));
    const cv::Mat s32 = test::mat({{2147483000, 2147483001, -2147483000, -2147483001}}, CV_32S);
    CHECK(test::same(resize_to(s32, {2, 1}, Interp::area), test::mat({{2147483000, -2147483000}}, CV_32S)));

    // Cubic and lanczos overshoot at sharp edges: results are saturated.
    const cv::Mat edges8 = test::mat({{-128, 127, -128, 127}, {127, -128, 127, -128}}, CV_8S);
    cv::Mat edges32;
    edges8.convertTo(edges32, CV_32S, 16843009.0);  // about +-2^31
    for (const cv::Mat& m : {edges8, edges32})
        for (const auto& mode :
             {std::pair{Interp::cubic, cv::INTER_CUBIC}, std::pair{Interp::lanczos, cv::INTER_LANCZOS4},
              std::pair{Interp::linear, cv::INTER_LINEAR}, std::pair{Interp::area, cv::INTER_AREA}})
            for (cv::Size size : {cv::Size(9, 5), cv::Size(3, 1)}) {
                CAPTURE(m.depth());
                CAPTURE(size);
                CHECK(test::same(resize_to(m, size, mode.first), resized_through_double(m, size, mode.second)));
            }
    // Nearest neighbour works natively for every depth.
    cv::Mat native;
    cv::resize(edges32, native, {9, 5}, 0, 0, cv::INTER_NEAREST);
    CHECK(test::same(resize_to(edges32, {9, 5}, Interp::nearest), native));
}

TEST_CASE("preprocess: more than 4 channels are resized one channel at a time") {
    for (int depth : {CV_8U, CV_16S, CV_32F, CV_8S}) {
        CAPTURE(depth);
        const cv::Mat m = random_mat(CV_MAKETYPE(depth, 6), {8, 6}, 0, 100);
        if (depth != CV_8S) {  // where cv::resize itself gives up
            cv::Mat tmp;
            CHECK_THROWS_AS(cv::resize(m, tmp, {5, 4}, 0, 0, cv::INTER_AREA), cv::Exception);
        }
        for (Interp mode : {Interp::area, Interp::linear, Interp::cubic}) {
            std::vector<cv::Mat> planes;
            cv::split(m, planes);
            for (cv::Mat& p : planes) p = resize_to(p, {5, 4}, mode);
            cv::Mat expected;
            cv::merge(planes, expected);
            CHECK(test::same(resize_to(m, {5, 4}, mode), expected));
        }
    }
}

TEST_CASE("preprocess: resize refuses sizes that are not positive") {
    const cv::Mat m(4, 4, CV_8UC1, cv::Scalar(1));
    CHECK(error_param([&] { resize_to(m, {0, 5}, Interp::automatic); }) == "resize");
    CHECK(error_param([&] { resize_to(m, {5, 0}, Interp::linear); }) == "resize");
    CHECK(error_param([&] { resize_to(m, {-1, 3}, Interp::area); }) == "resize");
    CHECK(error_param([&] { resize_to(cv::Mat(), {3, 3}, Interp::area); }) == "resize");
}
