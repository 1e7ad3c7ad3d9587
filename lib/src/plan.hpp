#pragma once
// What every pooling engine works from: the image to read (the input, or its copy with
// the declared padding filled) and, per axis, the cells each output takes.
#include <opencv2/core.hpp>
#include <vector>

#include "imgpool/geometry.hpp"
#include "imgpool/params.hpp"

namespace imgpool::detail {

// The cells one output takes along one axis: `count` taps from `first`, `step` apart,
// in the image the engine reads, plus `extent`, the number of taps inside the declared
// padding extent (count-pad's divisor). Every span has count >= 1.
struct Span {
    int first = 0, count = 0, step = 1, extent = 0;
};

struct Plan {
    cv::Mat source;             // the input, or its border-filled copy
    std::vector<Span> xs, ys;   // per output column and row
    bool count_pad = false;     // avg: extent_x * extent_y is the divisor
    int depth = CV_8U;          // of the result
};

// One axis of sliding windows; `filled`: the engine reads the border-filled copy.
std::vector<Span> window_spans(int n, int k, int s, int d, AxisPadding pad, bool ceil_mode, bool filled);
// PyTorch's adaptive bins (global pooling: out = 1).
std::vector<Span> adaptive_spans(int n, int out);

// The padding along x (horizontal) or y of an axis of n cells, SAME resolved.
AxisPadding axis_padding(const PoolParams& p, bool x, int n);

// For parameters validate() accepted.
Plan make_plan(const cv::Mat& src, const PoolParams& p);

}  // namespace imgpool::detail
