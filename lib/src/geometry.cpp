#include "imgpool/geometry.hpp"

#include <algorithm>
#include <cstdint>

namespace imgpool {

// 64-bit arithmetic throughout: padding and windows near INT_MAX must not overflow.
using i64 = std::int64_t;

static i64 effective_window(int window, int dilation) { return i64(dilation) * (window - 1) + 1; }

static i64 floor_div(i64 a, i64 b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

AxisPadding same_padding(int n, int window, int stride, int dilation) {
    const i64 out = (i64(n) + stride - 1) / stride;
    const i64 need = std::max<i64>(0, (out - 1) * stride + effective_window(window, dilation) - n);
    return {int(need / 2), int(need - need / 2)};
}

int pooled_size(int n, int window, int stride, int dilation, AxisPadding pad, bool ceil_mode) {
    // PyTorch's div_rtn: in ceil mode a window may overhang even a too-short axis.
    const i64 span = i64(n) + pad.before + pad.after - effective_window(window, dilation);
    i64 out = floor_div(span + (ceil_mode ? stride - 1 : 0), stride) + 1;
    if (out < 1) return 0;
    // PyTorch's rule: the last window must start inside the input or the leading padding.
    if (ceil_mode && (out - 1) * stride >= i64(n) + pad.before) --out;
    return int(std::min<i64>(out, INT32_MAX));
}

int first_window_without_input(int n, int window, int stride, int dilation, AxisPadding pad, bool ceil_mode) {
    const int out = pooled_size(n, window, stride, dilation, pad, ceil_mode);
    for (int o = 0; o < out; ++o) {
        const i64 start = i64(o) * stride - pad.before;
        const i64 first_input_tap = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
        if (first_input_tap >= window || start + first_input_tap * dilation >= n) return o;
    }
    return -1;
}

Bin adaptive_bin(int i, int n, int out) {
    const i64 begin = i64(i) * n / out;
    const i64 end = ((i64(i) + 1) * n + out - 1) / out;
    return {int(begin), int(end)};
}

}  // namespace imgpool
