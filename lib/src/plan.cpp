#include "plan.hpp"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cstdint>

#include "imgpool/pool.hpp"

namespace imgpool::detail {

using i64 = std::int64_t;

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


namespace {

int border_type(Border b) {
    switch (b) {
    case Border::replicate: return cv::BORDER_REPLICATE;
    case Border::reflect: return cv::BORDER_REFLECT_101;
    default: return cv::BORDER_CONSTANT;
    }
}

}  // namespace

AxisPadding axis_padding(const PoolParams& p, bool x, int n) {
    const Extent s = effective_stride(p);
    if (p.padding.same)
        return x ? same_padding(n, p.window.w, s.w, p.dilation.w) : same_padding(n, p.window.h, s.h, p.dilation.h);
    return x ? AxisPadding{p.padding.left, p.padding.right} : AxisPadding{p.padding.top, p.padding.bottom};
}

Plan make_plan(const cv::Mat& src, const PoolParams& p) {
    Plan plan;
    plan.source = src;
    plan.depth = result_depth(src.depth(), p);
    if (p.scope == Scope::window) {
        const Extent s = effective_stride(p);
        const AxisPadding px = axis_padding(p, true, src.cols), py = axis_padding(p, false, src.rows);
        const bool filled = p.border != Border::ignore;
        plan.xs = window_spans(src.cols, p.window.w, s.w, p.dilation.w, px, p.ceil_mode, filled);
        plan.ys = window_spans(src.rows, p.window.h, s.h, p.dilation.h, py, p.ceil_mode, filled);
        // BORDER_ISOLATED: a region of a larger image is an image of its own; without it
        // OpenCV fills the border from the pixels around the region.
        if (filled)
            cv::copyMakeBorder(src, plan.source, py.before, py.after, px.before, px.after,
                               border_type(p.border) | cv::BORDER_ISOLATED, 0);
        plan.count_pad = p.count_pad;
    } else {
        const Extent out = p.scope == Scope::global ? Extent{1, 1} : p.output_size;
        plan.xs = adaptive_spans(src.cols, out.w);
        plan.ys = adaptive_spans(src.rows, out.h);
    }
    return plan;
}

}  // namespace imgpool::detail
