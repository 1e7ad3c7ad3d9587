// Validate, plan the windows along each axis, dispatch on the pixel type, reduce.
#include "imgpool/pool.hpp"

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "imgpool/geometry.hpp"
#include "reduce.hpp"

namespace imgpool {
namespace {

using i64 = std::int64_t;

std::string str(Extent e) { return std::to_string(e.w) + "x" + std::to_string(e.h); }


// The padding along x (horizontal) or y, after resolving SAME for an axis of n cells.
AxisPadding axis_padding(const PoolParams& p, bool x, int n) {
    const Extent s = effective_stride(p);
    if (p.padding.same)
        return x ? same_padding(n, p.window.w, s.w, p.dilation.w) : same_padding(n, p.window.h, s.h, p.dilation.h);
    return x ? AxisPadding{p.padding.left, p.padding.right} : AxisPadding{p.padding.top, p.padding.bottom};
}

bool supported_depth(int depth) {
    switch (depth) {
    case CV_8U: case CV_8S: case CV_16U: case CV_16S: case CV_32S: case CV_32F: case CV_64F: return true;
    default: return false;
    }
}

// The cells one output takes along one axis: `count` taps from `first`, `step` apart,
// in the image the kernel reads (the input, or its border-filled copy), plus `extent`,
// the number of taps inside the declared padding extent (count-pad's divisor).
struct Span {
    int first = 0, count = 0, step = 1, extent = 0;
};

void check_positive(const char* param, const char* what, Extent e) {
    if (e.w < 1 || e.h < 1) throw Error(param, std::string(what) + " " + str(e) + " must be at least 1x1");
}

// One axis of sliding windows. With a border fill the kernel reads the padded copy
// (coordinates shifted by `before`); every tap inside the declared padding counts and
// the ceil-mode overhang beyond it never does.
std::vector<Span> window_spans(int n, int k, int s, int d, AxisPadding pad, bool ceil_mode, bool filled) {
    const int out = pooled_size(n, k, s, d, pad, ceil_mode);
    std::vector<Span> spans(static_cast<size_t>(out));
    for (int o = 0; o < out; ++o) {
        const i64 start = i64(o) * s - pad.before;  // in input coordinates
        auto last_tap_below = [&](i64 limit) {  // last t with start + t*d < limit (floor division)
            const i64 room = limit - 1 - start;
            return std::min<i64>(k - 1, room >= 0 ? room / d : -((-room + d - 1) / d));
        };
        const i64 first_real = start >= 0 ? 0 : (-start + d - 1) / d;  // validate() ensured one exists
        const i64 last_real = last_tap_below(n);
        const int extent = int(last_tap_below(i64(n) + pad.after) + 1);
        Span& sp = spans[size_t(o)];
        sp.step = d;
        sp.extent = extent;
        if (filled) {
            sp.first = int(start + pad.before);
            sp.count = extent;
        } else {
            sp.first = int(start + first_real * d);
            sp.count = int(last_real - first_real + 1);
        }
    }
    return spans;
}

std::vector<Span> adaptive_spans(int n, int out) {
    std::vector<Span> spans(static_cast<size_t>(out));
    for (int o = 0; o < out; ++o) {
        const Bin b = adaptive_bin(o, n, out);
        spans[size_t(o)] = {b.begin, b.end - b.begin, 1, b.end - b.begin};
    }
    return spans;
}

cv::Size output_size_of(cv::Size in, const PoolParams& p) {
    if (p.scope == Scope::global) return {1, 1};
    if (p.scope == Scope::adaptive) return {p.output_size.w, p.output_size.h};
    const Extent s = effective_stride(p);
    return {pooled_size(in.width, p.window.w, s.w, p.dilation.w, axis_padding(p, true, in.width), p.ceil_mode),
            pooled_size(in.height, p.window.h, s.h, p.dilation.h, axis_padding(p, false, in.height), p.ceil_mode)};
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

// Writes the doubles of `acc` into `dst` of another depth, saturating; integer results
// were already rounded, so this only clamps (NaN becomes 0 in integer depths).
template <typename U>
void store(const cv::Mat& acc, cv::Mat& dst) {
    for (int y = 0; y < acc.rows; ++y) {
        const double* a = acc.ptr<double>(y);
        U* d = dst.ptr<U>(y);
        const int n = acc.cols * acc.channels();
        for (int i = 0; i < n; ++i) {
            double v = a[i];
            if constexpr (std::is_integral_v<U>) {
                if (std::isnan(v)) v = 0;
                v = std::min<double>(std::max<double>(v, std::numeric_limits<U>::lowest()), std::numeric_limits<U>::max());
            } else if (std::is_same_v<U, float> && std::abs(v) > std::numeric_limits<float>::max()) {
                // Out-of-range double -> float is undefined: round to nearest by hand. Half an
                // ulp above FLT_MAX (2^103) and beyond rounds to infinity, as NumPy's cast does.
                const double max = std::numeric_limits<float>::max();
                if (std::isfinite(v)) v = std::abs(v) < max + 0x1p103 ? std::copysign(max, v) : std::copysign(INFINITY, v);
            }
            d[i] = static_cast<U>(v);
        }
    }
}

void store_any(const cv::Mat& acc, cv::Mat& dst) {
    switch (dst.depth()) {
    case CV_8U: return store<std::uint8_t>(acc, dst);
    case CV_8S: return store<std::int8_t>(acc, dst);
    case CV_16U: return store<std::uint16_t>(acc, dst);
    case CV_16S: return store<std::int16_t>(acc, dst);
    case CV_32S: return store<std::int32_t>(acc, dst);
    case CV_32F: return store<float>(acc, dst);
    default: acc.copyTo(dst);
    }
}

template <typename T>
void pool_kernel(const cv::Mat& src, const std::vector<Span>& ys, const std::vector<Span>& xs,
                 const detail::ReduceSpec& spec, bool count_pad, cv::Mat& acc) {
    const int cn = src.channels();
    cv::parallel_for_(cv::Range(0, acc.rows), [&](const cv::Range& rows) {
        std::vector<T> cells;
        for (int oy = rows.start; oy < rows.end; ++oy) {
            const Span& sy = ys[size_t(oy)];
            double* out = acc.ptr<double>(oy);
            for (size_t ox = 0; ox < xs.size(); ++ox) {
                const Span& sx = xs[ox];
                const i64 zeros = count_pad ? i64(sy.extent) * sx.extent - i64(sy.count) * sx.count : 0;
                for (int c = 0; c < cn; ++c) {
                    cells.clear();
                    for (int ty = 0; ty < sy.count; ++ty) {
                        const T* row = src.ptr<T>(sy.first + ty * sy.step);
                        for (int tx = 0; tx < sx.count; ++tx) cells.push_back(row[(sx.first + tx * sx.step) * cn + c]);
                    }
                    out[ox * size_t(cn) + size_t(c)] = detail::reduce(spec, cells.data(), int(cells.size()), zeros);
                }
            }
        }
    });
}

int border_type(Border b) {
    switch (b) {
    case Border::replicate: return cv::BORDER_REPLICATE;
    case Border::reflect: return cv::BORDER_REFLECT_101;
    default: return cv::BORDER_CONSTANT;
    }
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

    std::vector<Span> xs, ys;
    cv::Mat source = src;  // what the kernel reads: the input, or its border-filled copy
    if (p.scope == Scope::window) {
        const Extent s = effective_stride(p);
        const AxisPadding px = axis_padding(p, true, src.cols), py = axis_padding(p, false, src.rows);
        const bool filled = p.border != Border::ignore;
        xs = window_spans(src.cols, p.window.w, s.w, p.dilation.w, px, p.ceil_mode, filled);
        ys = window_spans(src.rows, p.window.h, s.h, p.dilation.h, py, p.ceil_mode, filled);
        if (filled) cv::copyMakeBorder(src, source, py.before, py.after, px.before, px.after, border_type(p.border), 0);
    } else {
        const Extent out = p.scope == Scope::global ? Extent{1, 1} : p.output_size;
        xs = adaptive_spans(src.cols, out.w);
        ys = adaptive_spans(src.rows, out.h);
    }

    const int depth = result_depth(src.depth(), p);
    const detail::ReduceSpec spec{p.type, depth != CV_32F && depth != CV_64F, p.rounding, p.power};
    cv::Mat acc(int(ys.size()), int(xs.size()), CV_64FC(src.channels()));
    const bool count_pad = p.count_pad && p.scope == Scope::window;
    switch (src.depth()) {
    case CV_8U: pool_kernel<std::uint8_t>(source, ys, xs, spec, count_pad, acc); break;
    case CV_8S: pool_kernel<std::int8_t>(source, ys, xs, spec, count_pad, acc); break;
    case CV_16U: pool_kernel<std::uint16_t>(source, ys, xs, spec, count_pad, acc); break;
    case CV_16S: pool_kernel<std::int16_t>(source, ys, xs, spec, count_pad, acc); break;
    case CV_32S: pool_kernel<std::int32_t>(source, ys, xs, spec, count_pad, acc); break;
    case CV_32F: pool_kernel<float>(source, ys, xs, spec, count_pad, acc); break;
    default: pool_kernel<double>(source, ys, xs, spec, count_pad, acc); break;
    }
    cv::Mat dst(acc.size(), CV_MAKETYPE(depth, src.channels()));
    store_any(acc, dst);
    return dst;
}

}  // namespace imgpool
