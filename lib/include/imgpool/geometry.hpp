#pragma once
// Window arithmetic along one axis, as pure functions of plain integers.
#include <vector>

namespace imgpool {

struct AxisPadding {
    int before = 0;
    int after = 0;
};

// TF/Keras SAME padding for an axis of n cells: output ceil(n/s), the odd cell after.
AxisPadding same_padding(int n, int window, int stride, int dilation);

// Number of windows along an axis (PyTorch's pooling_output_shape, including the
// ceil-mode rule that drops a last window starting beyond the input and leading
// padding). Returns 0 when no window fits: the window is larger than the padded axis
// (in ceil mode, by a stride or more).
int pooled_size(int n, int window, int stride, int dilation, AxisPadding pad, bool ceil_mode);

// The first window (0-based) along an axis whose taps all fall in the padding, or -1
// if every window holds at least one input cell.
int first_window_without_input(int n, int window, int stride, int dilation, AxisPadding pad, bool ceil_mode);

// PyTorch's adaptive bins: output i of `out` covers [floor(i*n/out), ceil((i+1)*n/out)).
struct Bin {
    int begin = 0;
    int end = 0;
};
Bin adaptive_bin(int i, int n, int out);

}  // namespace imgpool
