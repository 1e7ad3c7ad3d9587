// numpy_str / numpy_str_global against NumPy 1.24's own print() output
// (tests/fixtures/numpy/print, made by make_numpy_fixtures.py).
#include "support.hpp"

#include "imgpool/npy.hpp"
#include "imgpool/numpy_print.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using imgpool::numpy_str;
using imgpool::numpy_str_global;

namespace {

// print/<name>.npy paths without the extension, sorted.
std::vector<std::string> print_fixtures() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(test::fixture("numpy/print")))
        if (e.path().extension() == ".npy") names.push_back((e.path().parent_path() / e.path().stem()).string());
    std::sort(names.begin(), names.end());
    return names;
}

cv::Mat load(const std::string& name) { return imgpool::npy::decode(test::read_bytes(name + ".npy")); }

}  // namespace

TEST_CASE("numpy_str: equals NumPy's print() for every fixture array") {
    auto names = print_fixtures();
    CHECK(names.size() >= 180);
    for (const auto& name : names) {
        CAPTURE(name);
        CHECK(numpy_str(load(name)) == test::read_text(name + ".txt"));
    }
}

TEST_CASE("numpy_str_global: equals str() of NumPy's scalar or channel vector for every 1x1 fixture") {
    int count = 0;
    for (const auto& name : print_fixtures()) {
        if (!fs::exists(name + ".global.txt")) continue;
        CAPTURE(name);
        CHECK(numpy_str_global(load(name)) == test::read_text(name + ".global.txt"));
        ++count;
    }
    CHECK(count >= 50);
}

TEST_CASE("numpy_str: the layouts the documentation shows") {
    CHECK(numpy_str(test::mat({{8, 5}, {7, 9}}, CV_64F)) == "[[8. 5.]\n [7. 9.]]");
    CHECK(numpy_str(test::mat({{4.25, 3.5}}, CV_32F)) == "[[4.25 3.5 ]]");
    cv::Mat hwc(2, 1, CV_8UC3);
    hwc.at<cv::Vec3b>(0, 0) = {1, 2, 3};
    hwc.at<cv::Vec3b>(1, 0) = {4, 5, 6};
    CHECK(numpy_str(hwc) == "[[[1 2 3]]\n\n [[4 5 6]]]");
    cv::Mat blocks(2, 2, CV_8UC3);
    const unsigned char v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3};
    std::copy(v, v + 12, blocks.ptr<unsigned char>());
    CHECK(numpy_str(blocks) == "[[[1 2 3]\n  [4 5 6]]\n\n [[7 8 9]\n  [1 2 3]]]");
    CHECK(numpy_str(test::mat({{-1, 10}, {100, 5}}, CV_16S)) == "[[ -1  10]\n [100   5]]");
    CHECK(numpy_str(test::mat({{1.5e8, 1}}, CV_64F)) == "[[1.5e+08 1.0e+00]]");
    CHECK(numpy_str(test::mat({{NAN, 1.5}}, CV_64F)) == "[[nan 1.5]]");
    CHECK(numpy_str(test::mat({{-INFINITY, 1}}, CV_64F)) == "[[-inf   1.]]");
    CHECK(numpy_str(test::mat({{-0.0, 2}}, CV_64F)) == "[[-0.  2.]]");
    CHECK(numpy_str(test::mat({{1.0 / 3}}, CV_64F)) == "[[0.33333333]]");
    CHECK(numpy_str(test::mat({{0.1}}, CV_32F)) == "[[0.1]]");
}

TEST_CASE("numpy_str_global: scalars print like NumPy scalars, channel vectors like 1-D arrays") {
    CHECK(numpy_str_global(test::mat({{9}}, CV_8U)) == "9");
    CHECK(numpy_str_global(test::mat({{-9}}, CV_32S)) == "-9");
    CHECK(numpy_str_global(test::mat({{9}}, CV_64F)) == "9.0");
    CHECK(numpy_str_global(test::mat({{4.0625}}, CV_64F)) == "4.0625");
    CHECK(numpy_str_global(test::mat({{1e16}}, CV_64F)) == "1e+16");
    CHECK(numpy_str_global(test::mat({{1e-5}}, CV_64F)) == "1e-05");
    CHECK(numpy_str_global(test::mat({{0.1}}, CV_32F)) == "0.1");
    CHECK(numpy_str_global(test::mat({{1.0 / 3}}, CV_64F)) == "0.3333333333333333");
    cv::Mat two(1, 1, CV_64FC2, cv::Scalar(4.0625, 3.5));
    CHECK(numpy_str_global(two) == "[4.0625 3.5   ]");
    CHECK_THROWS_AS(numpy_str_global(test::mat({{1, 2}}, CV_64F)), std::invalid_argument);
}

TEST_CASE("numpy_str: a view into a larger Mat prints only its own elements") {
    cv::Mat big(4, 5, CV_16UC2);
    for (int y = 0; y < big.rows; ++y)
        for (int x = 0; x < big.cols; ++x) big.at<cv::Vec2w>(y, x) = cv::Vec2w(ushort(10 * y + x), ushort(100 + y));
    cv::Mat roi = big(cv::Rect(1, 1, 2, 2));
    REQUIRE(!roi.isContinuous());
    CHECK(numpy_str(roi) == "[[[ 11 101]\n  [ 12 101]]\n\n [[ 21 102]\n  [ 22 102]]]");
}
