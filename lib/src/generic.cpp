// The generic engine: every case, one window at a time, each window's cells gathered
// and reduced by reduce.hpp. Simple and exact; the fast engines are tested against it.
#include <opencv2/core.hpp>

#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "engines.hpp"
#include "reduce.hpp"

namespace imgpool::detail {
namespace {

using i64 = std::int64_t;

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

}  // namespace

void store_doubles(const cv::Mat& acc, cv::Mat& dst) {
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

namespace {

template <typename T>
void pool_kernel(const cv::Mat& src, const std::vector<Span>& ys, const std::vector<Span>& xs,
                 const ReduceSpec& spec, bool count_pad, cv::Mat& acc) {
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
                    out[ox * size_t(cn) + size_t(c)] = reduce(spec, cells.data(), int(cells.size()), zeros);
                }
            }
        }
    });
}


}  // namespace

cv::Mat pool_generic(const Plan& plan, const PoolParams& p) {
    const cv::Mat& source = plan.source;
    const int depth = plan.depth;
    const ReduceSpec spec{p.type, depth != CV_32F && depth != CV_64F, p.rounding, p.power};
    cv::Mat acc(int(plan.ys.size()), int(plan.xs.size()), CV_64FC(source.channels()));
    switch (source.depth()) {
    case CV_8U: pool_kernel<std::uint8_t>(source, plan.ys, plan.xs, spec, plan.count_pad, acc); break;
    case CV_8S: pool_kernel<std::int8_t>(source, plan.ys, plan.xs, spec, plan.count_pad, acc); break;
    case CV_16U: pool_kernel<std::uint16_t>(source, plan.ys, plan.xs, spec, plan.count_pad, acc); break;
    case CV_16S: pool_kernel<std::int16_t>(source, plan.ys, plan.xs, spec, plan.count_pad, acc); break;
    case CV_32S: pool_kernel<std::int32_t>(source, plan.ys, plan.xs, spec, plan.count_pad, acc); break;
    case CV_32F: pool_kernel<float>(source, plan.ys, plan.xs, spec, plan.count_pad, acc); break;
    default: pool_kernel<double>(source, plan.ys, plan.xs, spec, plan.count_pad, acc); break;
    }
    cv::Mat dst(acc.size(), CV_MAKETYPE(depth, source.channels()));
    store_doubles(acc, dst);
    return dst;
}

}  // namespace imgpool::detail
