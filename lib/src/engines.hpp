#pragma once
// The pooling engines, tried in this order by pool(). A fast engine returns false when a
// case is not its own; the generic engine takes every case and is the oracle the others
// are tested against (tests/test_engines.cpp).
#include <opencv2/core.hpp>

#include "imgpool/params.hpp"
#include "plan.hpp"

namespace imgpool::detail {

// Direct kernels for 2x2 windows with stride 2 and no padding (8-bit and float; 1, 3, 4
// channels; max, min, avg, sum): one pass, vectorised. pool_2x2.cpp.
bool pool_2x2(const cv::Mat& src, const PoolParams& p, int depth, cv::Mat& dst);

// Stride 1 (or narrow windows such as 3x3/2), dilation 1, 8-bit in and out: max, min and
// avg (one divisor for all windows) of any width at a cost per pixel nearly independent of
// the window (van Herk / running sums along y; windows of 4, 16, 64 for max/min and prefix
// sums or transposed tiles for avg along x); border fills without a padded copy. Needs
// AVX2, and uses AVX-512 where the CPU has it. sliding_u8.cpp.
bool pool_sliding_u8(const cv::Mat& src, const PoolParams& p, cv::Mat& dst);

// Global max, min, avg and sum (not float sums stored as integers): one vectorised,
// threaded pass, the result independent of the thread count. global_reduce.cpp.
bool pool_global(const cv::Mat& src, const PoolParams& p, cv::Mat& dst);

// Separable engine for max, min, avg, sum and lp: rows, then columns, with van Herk /
// Gil-Werman for max/min and running sums for integer avg/sum where windows overlap, so
// the cost does not grow with the window. separable.cpp.
bool pool_separable(const Plan& plan, const PoolParams& p, cv::Mat& dst);

// Median of full 3x3 and 5x5 windows of 8-bit images (8-bit or float result) by min/max
// networks over whole rows, border fills read in place. median_net_u8.cpp.
bool pool_median_net_u8(const cv::Mat& src, const PoolParams& p, cv::Mat& dst);

// Median of 8-bit images (8-bit or float result) from sliding histograms: constant cost
// per output in the window size. Spans of consecutive cells (no dilation). median_u8.cpp.
bool pool_median_u8(const Plan& plan, const PoolParams& p, cv::Mat& dst);

// Every case, one window at a time: simple and exact. generic.cpp.
cv::Mat pool_generic(const Plan& plan, const PoolParams& p);
// The doubles of `acc` (what reduce() gave) stored in dst's depth as the generic engine
// stores them: saturated, NaN as 0 in integer depths. generic.cpp.
void store_doubles(const cv::Mat& acc, cv::Mat& dst);

}  // namespace imgpool::detail
