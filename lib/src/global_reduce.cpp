// Global pooling (one value per channel) of max, min, avg and sum as a direct reduction:
// one vectorised pass over the samples (global_reduce_kernels.hpp), split over threads.
//
// Exactness: max/min pick a sample; integer sums are exact in 64 bits; float sums are in
// double, in fixed chunks of rows (their number set by the image's size, never by the
// threads) combined in order, so every thread count gives the same bytes. Where the
// generic engine's order of a float sum could change an integer result (float avg/sum
// stored as integers) the case is left to the other engines, as separable.cpp does.
#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "imgpool/pool.hpp"

#include "engines.hpp"
#include "global_reduce.hpp"
#include "reduce.hpp"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define IMGPOOL_GLOBAL_AVX2 1
#endif

namespace imgpool::detail {
namespace {

using global::Op;
using global::Partial;
using i64 = std::int64_t;

bool integer_depth(int depth) { return depth != CV_32F && depth != CV_64F; }

// Samples per chunk: enough to amortise a chunk's set-up and fold, few enough that two
// threads share even a modest image.
constexpr i64 kChunkSamples = i64(1) << 16;
// Below this many samples the threads cost more than they save (as the other engines).
constexpr i64 kParallelSamples = i64(1) << 18;

Partial fresh(Op op, int cn) {
    const double start = op == Op::max ? -INFINITY : op == Op::min ? INFINITY : 0.0;
    return {std::vector<double>(size_t(cn), start), std::vector<i64>(size_t(cn), 0), std::vector<char>(size_t(cn), 0)};
}

void reduce_rows(const cv::Mat& src, int r0, int r1, Op op, Partial& out) {
#ifdef IMGPOOL_GLOBAL_AVX2
    static const bool avx2 = cv::checkHardwareSupport(CV_CPU_AVX2);
    if (avx2 && cv::useOptimized()) return global::avx2::reduce_rows(src, r0, r1, op, out);
#endif
    global::base::reduce_rows(src, r0, r1, op, out);
}

// Folds `b` (a later chunk) into `a`.
void combine(Op op, Partial& a, const Partial& b) {
    for (size_t c = 0; c < a.value.size(); ++c) {
        a.nan[c] |= b.nan[c];
        if (op == Op::max) a.value[c] = std::max(a.value[c], b.value[c]);
        else if (op == Op::min) a.value[c] = std::min(a.value[c], b.value[c]);
        else {
            a.value[c] += b.value[c];
            a.isum[c] = i64(std::uint64_t(a.isum[c]) + std::uint64_t(b.isum[c]));
        }
    }
}

Partial reduce_all(const cv::Mat& src, Op op) {
    const int cn = src.channels();
    const i64 row = i64(src.cols) * cn;
    const int rows_per_chunk = int(std::clamp<i64>(kChunkSamples / row, 1, src.rows));
    const int chunks = (src.rows + rows_per_chunk - 1) / rows_per_chunk;
    std::vector<Partial> parts(size_t(chunks), fresh(op, cn));
    auto run = [&](const cv::Range& r) {
        for (int k = r.start; k < r.end; ++k)
            reduce_rows(src, k * rows_per_chunk, std::min(src.rows, (k + 1) * rows_per_chunk), op, parts[size_t(k)]);
    };
    if (row * src.rows < kParallelSamples) run(cv::Range(0, chunks));
    else cv::parallel_for_(cv::Range(0, chunks), run, 8.0 * cv::getNumThreads());  // stripes taken as threads come free
    Partial all = fresh(op, cn);
    for (const Partial& p : parts) combine(op, all, p);
    return all;
}

template <typename T>
bool any_nan_in_channel(const cv::Mat& src, int c) {
    const int cn = src.channels();
    for (int y = 0; y < src.rows; ++y) {
        const T* p = src.ptr<T>(y);
        for (int x = 0; x < src.cols; ++x)
            if (std::isnan(p[x * cn + c])) return true;
    }
    return false;
}

// The generic engine's max/min is the first of equal largest samples (std::max_element):
// for a float zero that decides the sign, so take the first zero of the channel.
template <typename T>
double first_zero(const cv::Mat& src, int c) {
    const int cn = src.channels();
    for (int y = 0; y < src.rows; ++y) {
        const T* p = src.ptr<T>(y);
        for (int x = 0; x < src.cols; ++x)
            if (p[x * cn + c] == 0) return double(p[x * cn + c]);
    }
    return 0;
}

bool channel_has_nan(const cv::Mat& src, int c) {
    return src.depth() == CV_32F ? any_nan_in_channel<float>(src, c) : any_nan_in_channel<double>(src, c);
}

}  // namespace

bool pool_global(const cv::Mat& src, const PoolParams& p, cv::Mat& dst) {
    if (p.scope != Scope::global || src.dims != 2 || src.empty()) return false;
    const int depth = result_depth(src.depth(), p);
    const bool int_in = integer_depth(src.depth()), int_out = integer_depth(depth);
    Op op;
    switch (p.type) {
    case PoolType::max: op = Op::max; break;
    case PoolType::min: op = Op::min; break;
    case PoolType::avg:
    case PoolType::sum:
        if (!int_in && int_out) return false;  // the sum's order could change the integer
        op = Op::sum;
        break;
    default: return false;
    }
    const int cn = src.channels();
    const Partial all = reduce_all(src, op);
    const i64 count = i64(src.rows) * src.cols;
    // The doubles reduce() would give each channel, then stored as the generic engine does.
    cv::Mat acc(1, 1, CV_64FC(cn));
    double* out = acc.ptr<double>();
    for (int c = 0; c < cn; ++c) {
        const size_t ci = size_t(c);
        double v;
        if (op != Op::sum) {
            v = all.value[ci];
            if (all.nan[ci]) v = std::numeric_limits<double>::quiet_NaN();
            else if (v == 0 && !int_in) v = src.depth() == CV_32F ? first_zero<float>(src, c) : first_zero<double>(src, c);
            if (int_out) v = round_to_integer(v, p.rounding);
        } else if (int_in) {
            const i64 s = all.isum[ci];
            v = p.type == PoolType::sum ? double(s)
                : int_out               ? double(round_div(s, count, p.rounding))
                                        : double(s) / double(count);
            if (p.type == PoolType::sum && int_out) v = round_to_integer(v, p.rounding);
        } else {
            v = all.value[ci];
            // NaN from a NaN sample is reduce()'s quiet NaN; from inf + -inf it is the sum's own.
            if (std::isnan(v) && channel_has_nan(src, c)) v = std::numeric_limits<double>::quiet_NaN();
            else if (p.type == PoolType::avg) v /= double(count);
        }
        out[c] = v;
    }
    dst.create(1, 1, CV_MAKETYPE(depth, cn));
    store_doubles(acc, dst);
    return true;
}

}  // namespace imgpool::detail
