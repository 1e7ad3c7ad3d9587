// filter() against a naive correlation written here from its definition.
#include <doctest/doctest.h>

#include <random>

#include "imgpool/error.hpp"
#include "imgpool/filter.hpp"
#include "support.hpp"

using namespace imgpool;

namespace {

// TF 'same' pads (k-1)/2 before and the rest after with zeros; 'valid' pads nothing.
cv::Mat naive(const cv::Mat& src, const cv::Mat& k, FilterPadding padding) {
    cv::Mat in;
    src.convertTo(in, CV_64F);
    const int cn = src.channels();
    const int before_y = padding == FilterPadding::same ? (k.rows - 1) / 2 : 0;
    const int before_x = padding == FilterPadding::same ? (k.cols - 1) / 2 : 0;
    const int rows = padding == FilterPadding::same ? src.rows : src.rows - k.rows + 1;
    const int cols = padding == FilterPadding::same ? src.cols : src.cols - k.cols + 1;
    cv::Mat out(rows, cols, CV_64FC(cn));
    for (int y = 0; y < rows; ++y)
        for (int x = 0; x < cols; ++x)
            for (int c = 0; c < cn; ++c) {
                double sum = 0;
                for (int i = 0; i < k.rows; ++i)
                    for (int j = 0; j < k.cols; ++j) {
                        const int sy = y + i - before_y, sx = x + j - before_x;
                        if (sy < 0 || sx < 0 || sy >= src.rows || sx >= src.cols) continue;
                        sum += k.at<double>(i, j) * in.ptr<double>(sy)[sx * cn + c];
                    }
                out.ptr<double>(y)[x * cn + c] = sum;
            }
    return out;
}

}  // namespace

TEST_CASE("filter: correlation per channel, TF same and valid padding, odd and even kernels") {
    std::mt19937 rng(3);
    for (int trial = 0; trial < 60; ++trial) {
        const int cn = 1 + int(rng() % 6);
        const int depth = trial % 2 ? CV_8U : CV_64F;
        cv::Mat src(4 + int(rng() % 8), 4 + int(rng() % 8), CV_MAKETYPE(depth, cn));
        cv::randu(src, 0, 255);
        cv::Mat k(1 + int(rng() % 4), 1 + int(rng() % 4), CV_64F);
        cv::randu(k, -3, 3);
        for (FilterPadding padding : {FilterPadding::same, FilterPadding::valid}) {
            INFO("trial " << trial << " channels " << cn << " kernel " << k.cols << "x" << k.rows);
            const cv::Mat got = filter(src, k, padding);
            CHECK(got.depth() == (depth == CV_64F ? CV_64F : CV_32F));
            CHECK(got.size() == filtered_size(src.size(), k.size(), padding));
            // float32 results of sums with cancellation: bound the error by the size of the terms
            cv::Mat want = naive(src, k, padding), got64;
            got.convertTo(got64, CV_64F);
            const double scale = cv::norm(k, cv::NORM_L1) * 255;
            CHECK(cv::norm(got64.reshape(1), want.reshape(1), cv::NORM_INF) <= scale * (depth == CV_64F ? 1e-12 : 1e-6));
        }
    }
}

TEST_CASE("filter: built-in kernels are not flipped") {
    const cv::Mat ramp = test::mat({{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3}});  // increases to the right
    const cv::Mat gx = filter(ramp, *builtin_kernel("sobel-x"), FilterPadding::valid);
    CHECK(test::same(gx, test::mat({{8, 8}})));  // positive: a flipped kernel would give -8
    const cv::Mat gy = filter(ramp, *builtin_kernel("sobel-y"), FilterPadding::valid);
    CHECK(test::same(gy, test::mat({{0, 0}})));
    const cv::Mat e = filter(test::mat({{0, 0, 0}, {0, 1, 0}, {0, 0, 0}}), *builtin_kernel("emboss"), FilterPadding::same);
    // an impulse under a correlation kernel gives the kernel rotated by 180 degrees
    CHECK(test::same(e, test::mat({{2, 1, 0}, {1, 1, -1}, {0, -1, -2}})));
    CHECK(builtin_kernel("edge")->at<double>(1, 1) == 8);
    CHECK(!builtin_kernel("nope"));
    CHECK(builtin_kernel_names().size() >= 6);
}

TEST_CASE("filter: errors and relu") {
    CHECK_THROWS_AS(filter(cv::Mat(2, 2, CV_8U), cv::Mat(3, 3, CV_64F), FilterPadding::valid), imgpool::Error);
    CHECK_THROWS_AS(filter(cv::Mat(2, 2, CV_8U), cv::Mat(), FilterPadding::same), imgpool::Error);
    const cv::Mat r = relu(test::mat({{-1, 0, 2.5, NAN, -INFINITY}}, CV_32F));
    CHECK(test::same(r, test::mat({{0, 0, 2.5, NAN, 0}}, CV_32F)));
}
