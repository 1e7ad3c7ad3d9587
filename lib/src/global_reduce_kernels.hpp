// The global reduction's loops, included once per instruction set with IMGPOOL_GLOBAL_NS
// naming it (global_reduce_base.cpp, global_reduce_avx2.cpp).
//
// Interleaved channels without a branch per sample: the samples are taken in blocks of L =
// cn * B (B samples of each channel, two AVX2 vectors' worth), and position j of every
// block always holds channel j % cn. Each position keeps its own accumulator, updated by a
// plain loop over j that the compiler vectorises; the positions are folded into channels
// once per chunk, in a fixed order. Integer sums accumulate in the narrowest type that
// cannot overflow over a bounded number of blocks, then flush into 64 bits.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "global_reduce.hpp"

namespace imgpool::detail::global::IMGPOOL_GLOBAL_NS {
namespace {

// Samples of one channel per block: 64 bytes, two AVX2 vectors.
template <typename T>
constexpr int kPerChannel = 64 / int(sizeof(T));

// A NaN flag per position, as wide as the sample, so the compare vectorises lane for lane.
template <typename T>
using Mask = std::conditional_t<sizeof(T) == 8, std::int64_t, std::int32_t>;

// Integer sums: the per-position accumulator and how many blocks it takes before a flush
// (a block adds one sample per position): 256 * 255 < 2^16, 65536 * 65535 < 2^32. 32-bit
// samples go straight into 64 bits (unsigned, so that wrapping is defined). Floats: double.
template <typename T> struct SumAcc { using type = double; static constexpr std::size_t blocks = SIZE_MAX; };
template <> struct SumAcc<std::uint8_t> { using type = std::uint16_t; static constexpr std::size_t blocks = 256; };
template <> struct SumAcc<std::int8_t> { using type = std::int16_t; static constexpr std::size_t blocks = 256; };
template <> struct SumAcc<std::uint16_t> { using type = std::uint32_t; static constexpr std::size_t blocks = 65536; };
template <> struct SumAcc<std::int16_t> { using type = std::int32_t; static constexpr std::size_t blocks = 65536; };
template <> struct SumAcc<std::int32_t> { using type = std::uint64_t; static constexpr std::size_t blocks = SIZE_MAX; };

// Calls f(samples, count) on the chunk's rows: one run when the image is continuous (each
// chunk starts a row, so position 0 is channel 0 either way).
template <typename T, typename F>
void for_runs(const cv::Mat& src, int r0, int r1, F&& f) {
    const std::size_t row = std::size_t(src.cols) * std::size_t(src.channels());
    if (src.isContinuous()) return f(src.ptr<T>(r0), row * std::size_t(r1 - r0));
    for (int y = r0; y < r1; ++y) f(src.ptr<T>(y), row);
}

template <typename T, bool Max>
inline void extreme_step(T x, T& a, Mask<T>& nan) {
    a = Max ? (x > a ? x : a) : (x < a ? x : a);
    if constexpr (std::is_floating_point_v<T>) nan |= Mask<T>(x != x);
}

// CN > 0: the channel count known at compile time (accumulators in registers); 0: any.
template <typename T, bool Max, int CN>
void extreme(const cv::Mat& src, int r0, int r1, Partial& out) {
    const int cn = CN ? CN : src.channels();
    const int L = cn * kPerChannel<T>;
    const T start = std::is_floating_point_v<T> ? (Max ? -std::numeric_limits<T>::infinity()
                                                       : std::numeric_limits<T>::infinity())
                                                : (Max ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max());
    std::vector<T> acc_v(std::size_t(L), start);
    std::vector<Mask<T>> nan_v(std::size_t(L), 0);
    T* __restrict acc = acc_v.data();
    Mask<T>* __restrict nan = nan_v.data();
    for_runs<T>(src, r0, r1, [&](const T* __restrict p, std::size_t n) {
        std::size_t i = 0;
        for (; i + std::size_t(L) <= n; i += std::size_t(L))
            for (int j = 0; j < L; ++j) extreme_step<T, Max>(p[i + std::size_t(j)], acc[j], nan[j]);
        for (int j = 0; i + std::size_t(j) < n; ++j) extreme_step<T, Max>(p[i + std::size_t(j)], acc[j], nan[j]);
    });
    for (int j = 0; j < L; ++j) {
        const int c = j % cn;
        const double v = double(acc[j]);
        double& o = out.value[std::size_t(c)];
        o = Max ? std::max(o, v) : std::min(o, v);
        out.nan[std::size_t(c)] |= char(nan[j] != 0);
    }
}

template <typename T, int CN>
void sum(const cv::Mat& src, int r0, int r1, Partial& out) {
    using Acc = typename SumAcc<T>::type;
    constexpr bool integral = std::is_integral_v<T>;
    const int cn = CN ? CN : src.channels();
    const int L = cn * kPerChannel<T>;
    std::vector<Acc> acc_v(std::size_t(L), Acc(0));
    std::vector<std::int64_t> wide_v(std::size_t(L), 0);
    Acc* __restrict acc = acc_v.data();
    std::int64_t* __restrict wide = wide_v.data();
    auto flush = [&] {
        if constexpr (integral) {
            for (int j = 0; j < L; ++j) wide[j] = std::int64_t(std::uint64_t(wide[j]) + std::uint64_t(std::int64_t(acc[j])));
            std::fill(acc, acc + L, Acc(0));
        }
    };
    for_runs<T>(src, r0, r1, [&](const T* __restrict p, std::size_t n) {
        std::size_t i = 0;
        while (i + std::size_t(L) <= n) {
            const std::size_t end = i + std::min((n - i) / std::size_t(L), SumAcc<T>::blocks) * std::size_t(L);
            for (; i < end; i += std::size_t(L))
                for (int j = 0; j < L; ++j) acc[j] = Acc(acc[j] + Acc(p[i + std::size_t(j)]));
            flush();
        }
        for (int j = 0; i + std::size_t(j) < n; ++j) acc[j] = Acc(acc[j] + Acc(p[i + std::size_t(j)]));
        flush();
    });
    for (int j = 0; j < L; ++j) {
        const std::size_t c = std::size_t(j % cn);
        if constexpr (integral) out.isum[c] = std::int64_t(std::uint64_t(out.isum[c]) + std::uint64_t(wide[j]));
        else out.value[c] += double(acc[j]);
    }
}

template <typename T, int CN>
void reduce_typed(const cv::Mat& src, int r0, int r1, Op op, Partial& out) {
    switch (op) {
    case Op::max: return extreme<T, true, CN>(src, r0, r1, out);
    case Op::min: return extreme<T, false, CN>(src, r0, r1, out);
    case Op::sum: return sum<T, CN>(src, r0, r1, out);
    }
}

template <typename T>
void reduce_depth(const cv::Mat& src, int r0, int r1, Op op, Partial& out) {
    switch (src.channels()) {
    case 1: return reduce_typed<T, 1>(src, r0, r1, op, out);
    case 2: return reduce_typed<T, 2>(src, r0, r1, op, out);
    case 3: return reduce_typed<T, 3>(src, r0, r1, op, out);
    case 4: return reduce_typed<T, 4>(src, r0, r1, op, out);
    default: return reduce_typed<T, 0>(src, r0, r1, op, out);
    }
}

}  // namespace

void reduce_rows(const cv::Mat& src, int r0, int r1, Op op, Partial& out) {
    switch (src.depth()) {
    case CV_8U: return reduce_depth<std::uint8_t>(src, r0, r1, op, out);
    case CV_8S: return reduce_depth<std::int8_t>(src, r0, r1, op, out);
    case CV_16U: return reduce_depth<std::uint16_t>(src, r0, r1, op, out);
    case CV_16S: return reduce_depth<std::int16_t>(src, r0, r1, op, out);
    case CV_32S: return reduce_depth<std::int32_t>(src, r0, r1, op, out);
    case CV_32F: return reduce_depth<float>(src, r0, r1, op, out);
    default: return reduce_depth<double>(src, r0, r1, op, out);
    }
}

}  // namespace imgpool::detail::global::IMGPOOL_GLOBAL_NS
