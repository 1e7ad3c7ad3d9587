// Validate the parameters, then hand the work to the first engine that takes the case.
#include "imgpool/pool.hpp"

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "imgpool/geometry.hpp"
#include "engines.hpp"

namespace imgpool {
namespace {

using i64 = std::int64_t;

using detail::axis_padding;

std::string str(Extent e) { return std::to_string(e.w) + "x" + std::to_string(e.h); }

bool supported_depth(int depth) {
    switch (depth) {
    case CV_8U: case CV_8S: case CV_16U: case CV_16S: case CV_32S: case CV_32F: case CV_64F: return true;
    default: return false;
    }
}

cv::Size output_size_of(cv::Size in, const PoolParams& p) {
    if (p.scope == Scope::global) return {1, 1};
    if (p.scope == Scope::adaptive) return {p.output_size.w, p.output_size.h};
    const Extent s = effective_stride(p);
    return {pooled_size(in.width, p.window.w, s.w, p.dilation.w, axis_padding(p, true, in.width), p.ceil_mode),
            pooled_size(in.height, p.window.h, s.h, p.dilation.h, axis_padding(p, false, in.height), p.ceil_mode)};
}

void check_positive(const char* param, const char* what, Extent e) {
    if (e.w < 1 || e.h < 1) throw Error(param, std::string(what) + " " + str(e) + " must be at least 1x1");
}

// Sizes beyond this are no image's: refusing them keeps all arithmetic exact in 64 bits.
constexpr i64 kMaxExtent = i64(1) << 30;

void check_limit(const char* param, const std::string& what, i64 value) {
    if (value > kMaxExtent)
        throw Error(param, what + " " + std::to_string(value) + " is beyond the limit of 2^30 cells");
}

void validate_window(const PoolParams& p, cv::Size in) {
    check_positive("window", "window", p.window);
    if (p.stride.w < 0 || p.stride.h < 0 || (p.stride.w == 0) != (p.stride.h == 0))
        throw Error("stride", "stride " + str(p.stride) + " must be at least 1x1");
    check_positive("dilation", "dilation", p.dilation);
    const Padding& pad = p.padding;
    if (!pad.same && (pad.left < 0 || pad.top < 0 || pad.right < 0 || pad.bottom < 0))
        throw Error("padding", "padding " + std::to_string(pad.left) + "," + std::to_string(pad.top) + "," +
                                   std::to_string(pad.right) + "," + std::to_string(pad.bottom) +
                                   " must not be negative");
    for (int v : {pad.left, pad.top, pad.right, pad.bottom}) check_limit("padding", "padding", v);
    for (int v : {p.stride.w, p.stride.h}) check_limit("stride", "stride", v);
    check_limit("window", "window", std::max(p.window.w, p.window.h));
    check_limit("dilation", "dilated window", std::max(i64(p.dilation.w) * (p.window.w - 1) + 1,
                                                        i64(p.dilation.h) * (p.window.h - 1) + 1));
    if (pad.same && p.ceil_mode)
        throw Error("ceil_mode", "ceil mode does not apply to same padding (it always covers the input)");
    if (p.count_pad && p.type != PoolType::avg)
        throw Error("count_pad", std::string("count-pad applies to avg only, not ") + to_string(p.type));
    if (p.count_pad && p.border != Border::ignore)
        throw Error("count_pad", "count-pad cannot be combined with a border fill: filled cells always count");

    const AxisPadding px = axis_padding(p, true, in.width), py = axis_padding(p, false, in.height);
    const cv::Size out = output_size_of(in, p);
    if (out.width < 1 || out.height < 1)
        throw Error("window", "window " + str(p.window) + (p.dilation == Extent{1, 1} ? "" : " dilated by " + str(p.dilation)) +
                                  " is larger than the padded input " + std::to_string(i64(in.width) + px.before + px.after) +
                                  "x" + std::to_string(i64(in.height) + py.before + py.after));
    const Extent s = effective_stride(p);
    const int empty_x = first_window_without_input(in.width, p.window.w, s.w, p.dilation.w, px, p.ceil_mode);
    const int empty_y = first_window_without_input(in.height, p.window.h, s.h, p.dilation.h, py, p.ceil_mode);
    if (empty_x >= 0 || empty_y >= 0)
        throw Error("padding", std::string("padding ") + (p.padding.same ? "same = " : "") + std::to_string(px.before) +
                                   "," + std::to_string(py.before) + "," + std::to_string(px.after) + "," +
                                   std::to_string(py.after) + " leaves window " + std::to_string(empty_x >= 0 ? empty_x : empty_y) +
                                   (empty_x >= 0 ? " along x" : " along y") + " with no input cell (window " +
                                   str(p.window) + ", dilation " + str(p.dilation) + ")");
    if (p.border == Border::reflect &&
        (std::max(px.before, px.after) >= in.width || std::max(py.before, py.after) >= in.height))
        throw Error("border", "reflect needs padding smaller than the input " + std::to_string(in.width) + "x" +
                                  std::to_string(in.height) + "; the padding is " + std::to_string(px.before) + "," +
                                  std::to_string(py.before) + "," + std::to_string(px.after) + "," +
                                  std::to_string(py.after));
}

}  // namespace

Extent effective_stride(const PoolParams& p) {
    return {p.stride.w > 0 ? p.stride.w : p.window.w, p.stride.h > 0 ? p.stride.h : p.window.h};
}

const char* to_string(PoolType t) {
    switch (t) {
    case PoolType::max: return "max";
    case PoolType::avg: return "avg";
    case PoolType::min: return "min";
    case PoolType::median: return "median";
    case PoolType::sum: return "sum";
    case PoolType::mode: return "mode";
    case PoolType::lp: return "lp";
    }
    return "?";
}

int result_depth(int input_depth, const PoolParams& p) {
    if (p.depth >= 0) return p.depth;
    return p.type == PoolType::sum ? CV_64F : input_depth;
}

void validate(const PoolParams& p, cv::Size input) {
    if (input.width < 1 || input.height < 1)
        throw Error("input", "empty input " + std::to_string(input.width) + "x" + std::to_string(input.height));
    if (p.depth != -1 && !supported_depth(p.depth))
        throw Error("depth", "unsupported result depth " + std::to_string(p.depth));
    if (p.type == PoolType::lp && !(p.power >= 1 && std::isfinite(p.power)))
        throw Error("power", "power " + std::to_string(p.power) + " must be a finite number >= 1");
    if (p.scope == Scope::adaptive) check_positive("output_size", "output size", p.output_size);
    if (p.scope == Scope::window) validate_window(p, input);
}

cv::Size pooled_size(cv::Size input, const PoolParams& p) {
    validate(p, input);
    return output_size_of(input, p);
}

cv::Mat pool(const cv::Mat& src, const PoolParams& p) {
    if (!supported_depth(src.depth()))
        throw Error("input", "unsupported input depth " + cv::typeToString(src.type()));
    validate(p, src.size());
    cv::Mat dst;
    if (detail::pool_2x2(src, p, result_depth(src.depth(), p), dst)) return dst;
    if (detail::pool_sliding_u8(src, p, dst)) return dst;
    if (detail::pool_global(src, p, dst)) return dst;
    if (detail::pool_median_net_u8(src, p, dst)) return dst;
    const detail::Plan plan = detail::make_plan(src, p);
    if (detail::pool_median_u8(plan, p, dst)) return dst;
    if (detail::pool_separable(plan, p, dst)) return dst;
    return detail::pool_generic(plan, p);
}

}  // namespace imgpool
