#include "imgpool/filter.hpp"

#include <opencv2/imgproc.hpp>

#include <map>

#include "imgpool/error.hpp"

namespace imgpool {
namespace {

const std::map<std::string, std::vector<std::vector<double>>>& kernels() {
    static const std::map<std::string, std::vector<std::vector<double>>> k = {
        {"edge", {{-1, -1, -1}, {-1, 8, -1}, {-1, -1, -1}}},
        {"emboss", {{-2, -1, 0}, {-1, 1, 1}, {0, 1, 2}}},
        {"sharpen", {{0, -1, 0}, {-1, 5, -1}, {0, -1, 0}}},
        {"sobel-x", {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}}},  // responds to left-to-right increases
        {"sobel-y", {{-1, -2, -1}, {0, 0, 0}, {1, 2, 1}}},  // responds to top-to-bottom increases
        {"blur", {{1 / 9.0, 1 / 9.0, 1 / 9.0}, {1 / 9.0, 1 / 9.0, 1 / 9.0}, {1 / 9.0, 1 / 9.0, 1 / 9.0}}},
        {"laplacian", {{0, 1, 0}, {1, -4, 1}, {0, 1, 0}}},
        {"identity", {{0, 0, 0}, {0, 1, 0}, {0, 0, 0}}},
    };
    return k;
}

}  // namespace

std::optional<cv::Mat> builtin_kernel(const std::string& name) {
    const auto it = kernels().find(name);
    if (it == kernels().end()) return std::nullopt;
    const auto& rows = it->second;
    cv::Mat k(int(rows.size()), int(rows[0].size()), CV_64F);
    for (int y = 0; y < k.rows; ++y)
        for (int x = 0; x < k.cols; ++x) k.at<double>(y, x) = rows[size_t(y)][size_t(x)];
    return k;
}

std::vector<std::string> builtin_kernel_names() {
    std::vector<std::string> names;
    for (const auto& [name, rows] : kernels()) names.push_back(name);
    return names;
}

cv::Size filtered_size(cv::Size input, cv::Size kernel, FilterPadding padding) {
    if (kernel.empty()) throw Error("filter", "the kernel is empty");
    if (padding == FilterPadding::same) return input;
    if (kernel.width > input.width || kernel.height > input.height)
        throw Error("filter", "kernel " + std::to_string(kernel.width) + "x" + std::to_string(kernel.height) +
                                  " is larger than the image " + std::to_string(input.width) + "x" +
                                  std::to_string(input.height) + " (valid padding)");
    return {input.width - kernel.width + 1, input.height - kernel.height + 1};
}

cv::Mat filter(const cv::Mat& src, const cv::Mat& kernel, FilterPadding padding) {
    const cv::Size out = filtered_size(src.size(), kernel.size(), padding);
    const int depth = src.depth() == CV_64F ? CV_64F : CV_32F;
    cv::Mat k;
    kernel.convertTo(k, depth);
    const cv::Point anchor((k.cols - 1) / 2, (k.rows - 1) / 2);  // TF 'same': the odd cell after

    // filter2D handles up to 4 channels in one pass; more go channel by channel.
    std::vector<cv::Mat> planes;
    if (src.channels() <= 4) planes.push_back(src);
    else cv::split(src, planes);
    for (cv::Mat& plane : planes) {
        cv::Mat full;
        cv::filter2D(plane, full, depth, k, anchor, 0, cv::BORDER_CONSTANT);
        plane = full(cv::Rect(padding == FilterPadding::same ? cv::Point(0, 0) : anchor, out)).clone();
    }
    cv::Mat dst;
    cv::merge(planes, dst);
    return dst;
}

cv::Mat relu(const cv::Mat& src) {
    cv::Mat dst = src.clone();
    // max() keeps NaN only as its second argument's result; mask instead so NaN stays NaN.
    cv::Mat flat = dst.reshape(1);
    flat.setTo(0, flat < 0);
    return dst;
}

}  // namespace imgpool
