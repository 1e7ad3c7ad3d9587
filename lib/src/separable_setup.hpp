#pragma once
// The separable engine's description of one run (separable.cpp fills it, the kernels of
// separable_kernels.hpp run it), and the entry points of the kernels, one per instruction
// set, each compiled in its own file so that they build in parallel:
// separable_run_base.cpp (SSE2) and separable_run_avx2.cpp.
#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

#include "plan.hpp"

namespace imgpool::detail::sep {

using i64 = std::int64_t;

// The reduction: avg and sum are both sums (the finish divides or not).
enum class Kind { max, min, sum, lp };
// Along x: the spans one by one; or sliding windows at full resolution: the taps in
// one pass (shift: up to 4 for max/min, 8 for sums), max/min from windows of 4, 16,
// 64... cells (levels), sums from windows of 1, 2, 4... cells (binary), integer sums as
// differences of prefix sums (prefix).
enum class XMethod { direct, shift, levels, binary, prefix };
// Along y: gather each output's rows; van Herk / Gil-Werman blocks; running sums.
enum class YMethod { direct, herk, running };
// From the reduced value to the stored one.
enum class Finish { copy, value, avg_exact, avg_div, lp };
// avg_exact's integer division: a 16-bit multiply (divide_row16), a float or double
// reciprocal (divide_row), or round_div.
enum class Divide { half, single, twice, exact };

// slide_prefix's taps per step: B*cn a multiple of 16, B a power of 4.
inline size_t prefix_taps(int cn) { return cn % 4 == 0 ? 4 : 16; }

struct AxisPlan {
    const std::vector<Span>* spans = nullptr;
    int n = 0;    // source cells along the axis
    int out = 0;  // outputs
    // Sliding windows: output o takes the k taps v0 + o*s + t*d, cells outside [0, n)
    // being the identity of the reduction (which is what the clipped spans mean).
    bool sliding = false;
    int k = 1, d = 1, s = 1;
    i64 v0 = 0;
    i64 extent_max = 1;        // most cells one output's taps stretch over
    std::vector<i64> divisor;  // per output: the cells that count (count-pad: the extent)
    i64 vstart(int o) const { return v0 + i64(o) * s; }
};

// Outputs [begin, end) sharing one x divisor: interior columns form one long run.
struct DivisorRun {
    int begin = 0, end = 0;
    i64 divisor = 1;
};

struct Setup {
    cv::Mat src;
    int cn = 1;
    Kind kind = Kind::max;
    int lp_mode = 0;  // lp: 1 |x|, 2 x^2, 3 |x|^p
    bool wide = false;  // integer sums in int64 rather than int32
    AxisPlan x, y;
    XMethod xm = XMethod::direct;
    YMethod ym = YMethod::direct;
    int ring_rows = 1;  // y direct: rows of x results kept
    bool prefix_rows = false;  // running sums keep x's prefix sums; windows are differences
    Finish finish = Finish::value;
    bool integer_result = false;
    Rounding rounding = Rounding::half_even;
    double power = 2;
    std::vector<DivisorRun> runs;
    int even_offset = 0;  // avg_exact: even shift making integer sums non-negative
    Divide divide = Divide::exact;
    int narrow = 0;  // 8-bit sums in 16 bits: 1 along x, 2 along x and y
    int stripes = 1;
};

}  // namespace imgpool::detail::sep

namespace imgpool::detail::base {
void run(const sep::Setup& su, cv::Mat& dst);
}
namespace imgpool::detail::avx2 {
void run(const sep::Setup& su, cv::Mat& dst);
}
