// See pool_rows.hpp. A band of output rows is pool() over the input rows its windows touch,
// with the vertical padding made explicit: the full image's (SAME resolved against the full
// height) where the band reaches an edge, none where it does not. Border fills are the full
// image's rows (filled rows count as input cells, so they are copied in as rows); `ignore`
// padding keeps its place, so that padded and overhang cells count as they do in the full
// image.
#include "imgpool/pool_rows.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include "imgpool/geometry.hpp"
#include "imgpool/pool.hpp"
#include "plan.hpp"

namespace imgpool {
namespace {

using i64 = std::int64_t;

struct Rows {
    int stride;
    i64 window;  // with dilation
    AxisPadding pad;
    int out;  // output height
};

Rows rows_of(cv::Size input, const PoolParams& p) {
    if (p.scope != Scope::window) throw Error("scope", "only window pooling works on bands of rows");
    const cv::Size out = pooled_size(input, p);  // validates
    const int stride = effective_stride(p).h;
    return {stride, i64(p.dilation.h) * (p.window.h - 1) + 1, detail::axis_padding(p, false, input.height), out.height};
}

// Input row of padded row y (-pb <= y < n + pa) under a fill.
int filled_row(i64 y, int n, Border b) {
    if (y < 0) return b == Border::reflect ? int(-y) : 0;
    if (y >= n) return b == Border::reflect ? int(2 * i64(n - 1) - y) : n - 1;
    return int(y);
}

}  // namespace

int pool_input_rows(cv::Size input, const PoolParams& p, int out_rows) {
    const Rows r = rows_of(input, p);
    const int n = input.height;
    if (out_rows <= 0) return 0;
    if (out_rows >= r.out) return n;
    const i64 end = i64(out_rows - 1) * r.stride - r.pad.before + r.window;  // past the last window
    i64 need = std::clamp<i64>(end, 0, n);
    // The first windows may read filled padding above the image: row 0, or rows 1..pb reflected.
    if (r.pad.before > 0 && p.border == Border::replicate) need = std::max<i64>(need, 1);
    if (r.pad.before > 0 && p.border == Border::reflect) need = std::max<i64>(need, std::min<i64>(n, r.pad.before + 1));
    return int(need);
}

cv::Mat pool_rows(const cv::Mat& src, const PoolParams& p, int first, int last) {
    const Rows r = rows_of(src.size(), p);
    if (first < 0 || last > r.out || first >= last)
        throw Error("rows", "rows " + std::to_string(first) + ".." + std::to_string(last) + " are not within the " +
                                std::to_string(r.out) + " output rows");
    const int n = src.rows;
    const i64 start = i64(first) * r.stride - r.pad.before;              // of the band's first window
    const i64 end = i64(last - 1) * r.stride - r.pad.before + r.window;  // past its last window
    const AxisPadding px = detail::axis_padding(p, true, src.cols);
    PoolParams q = p;
    cv::Mat band;
    if (p.border == Border::ignore) {
        const int r0 = int(std::max<i64>(0, start)), r1 = int(std::min<i64>(n, end));
        band = src.rowRange(r0, r1);
        // Bottom padding only as far as the windows reach into it; beyond is overhang (ceil mode).
        const i64 bottom = std::clamp<i64>(end - n, 0, r.pad.after);
        q.padding = Padding::explicit_(px.before, int(r0 - start), px.after, int(bottom));
    } else {
        // The filled rows the band's windows touch, as rows of input.
        const i64 r1 = std::min<i64>(end, i64(n) + r.pad.after);
        band.create(int(r1 - start), src.cols, src.type());
        for (i64 y = start; y < r1; ++y) {
            const bool fill = y < 0 || y >= n;
            if (fill && p.border == Border::zero)
                band.row(int(y - start)).setTo(cv::Scalar::all(0));
            else
                src.row(filled_row(y, n, p.border)).copyTo(band.row(int(y - start)));
        }
        q.padding = Padding::explicit_(px.before, 0, px.after, 0);
    }
    const cv::Mat out = pool(band, q);
    // In ceil mode the band may end with windows the full image drops (PyTorch's rule).
    if (out.rows < last - first) throw Error("rows", "band pooled to too few rows");  // never: see pool_rows.hpp
    return out.rowRange(0, last - first);
}

}  // namespace imgpool
