#pragma once
// The parameters of one pooling operation. Semantics: docs/semantics.md.
#include <opencv2/core.hpp>

namespace imgpool {

enum class PoolType { max, avg, min, median, sum, mode, lp };

// Which windows: sliding windows of `window` size, one window over the whole
// image, or PyTorch's adaptive bins for a target output size.
enum class Scope { window, global, adaptive };

// How the declared padding is filled. `ignore`: padded cells take no part
// (TF's rule); the others fill them, and then every filled cell counts.
enum class Border { ignore, zero, replicate, reflect };

// Rounding of non-integer results stored as integers (averages, even medians, lp):
// ties to even like np.rint, or ties towards +infinity like OpenCV's 2x2 INTER_AREA.
enum class Rounding { half_even, half_up };

// Width first, like cv::Size and ImageMagick geometry.
struct Extent {
    int w = 1;
    int h = 1;
    friend bool operator==(Extent a, Extent b) { return a.w == b.w && a.h == b.h; }
};

struct Padding {
    bool same = false;  // TF/Keras SAME: the numbers below are then ignored
    int left = 0, top = 0, right = 0, bottom = 0;

    static Padding valid() { return {}; }
    static Padding tf_same() { return {true, 0, 0, 0, 0}; }
    static Padding symmetric(int n) { return {false, n, n, n, n}; }
    static Padding per_axis(int w, int h) { return {false, w, h, w, h}; }
    static Padding explicit_(int l, int t, int r, int b) { return {false, l, t, r, b}; }
};

struct PoolParams {
    PoolType type = PoolType::max;
    Scope scope = Scope::window;

    // Scope::window
    Extent window{2, 2};
    Extent stride{0, 0};  // 0 = the window
    Extent dilation{1, 1};
    Padding padding{};
    bool ceil_mode = false;   // PyTorch ceil_mode, with its drop rule
    bool count_pad = false;   // avg only: padding counts as zeros (PyTorch count_include_pad)
    Border border = Border::ignore;

    // Scope::adaptive
    Extent output_size{1, 1};

    double power = 2.0;  // lp only, >= 1
    Rounding rounding = Rounding::half_even;
    int depth = -1;      // result depth (CV_8U...); -1 = auto (see result_depth)
};

}  // namespace imgpool
