// The pooling engine against its oracle: random parameters on a small random image,
// pool() (which dispatches to the fast engines) against detail::pool_generic. Parameters
// validate() rejects are skipped; for the rest, any difference aborts (floats: within
// the summation-order tolerance of tests/test_engines.cpp, where the order may differ).
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "engines.hpp"
#include "imgpool/pool.hpp"

using namespace imgpool;

namespace {

const int kDepths[] = {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F};

// Float samples: multiples of 1/4 in [-30, 30] (every sum of a few of them is exact, in
// any order), or NaN, +-infinity, -0.
double float_sample(std::uint8_t code) {
    switch (code) {
        case 250: return std::numeric_limits<double>::quiet_NaN();
        case 251: return -std::numeric_limits<double>::quiet_NaN();
        case 252: return INFINITY;
        case 253: return -INFINITY;
        case 254: return -0.0;
        default: return (int(code) - 120) * 0.25;
    }
}

// Fills `m` from the bytes left, cycling through them (zeros if none are left).
void fill(cv::Mat& m, const std::vector<std::uint8_t>& bytes) {
    std::size_t at = 0;
    auto next = [&]() -> std::uint32_t { return bytes.empty() ? 0 : bytes[at++ % bytes.size()]; };
    for (int y = 0; y < m.rows; ++y)
        for (int i = 0; i < m.cols * m.channels(); ++i) switch (m.depth()) {
                case CV_8U: m.ptr<std::uint8_t>(y)[i] = std::uint8_t(next()); break;
                case CV_8S: m.ptr<std::int8_t>(y)[i] = std::int8_t(next()); break;
                case CV_16U: m.ptr<std::uint16_t>(y)[i] = std::uint16_t(next() | next() << 8); break;
                case CV_16S: m.ptr<std::int16_t>(y)[i] = std::int16_t(next() | next() << 8); break;
                case CV_32S: m.ptr<std::int32_t>(y)[i] = std::int32_t(next() | next() << 8 | next() << 16 | next() << 24); break;
                case CV_32F: m.ptr<float>(y)[i] = float(float_sample(std::uint8_t(next()))); break;
                default: m.ptr<double>(y)[i] = float_sample(std::uint8_t(next())); break;
            }
}

PoolParams draw_params(FuzzedDataProvider& in) {
    PoolParams p;
    p.type = PoolType(in.ConsumeIntegralInRange(0, 6));
    p.power = in.PickValueInArray({1.0, 2.0, 3.0, 1.5, 4.25});
    p.rounding = in.ConsumeBool() ? Rounding::half_even : Rounding::half_up;
    if (in.ConsumeIntegralInRange(0, 3) == 0) p.depth = in.PickValueInArray(kDepths);
    switch (in.ConsumeIntegralInRange(0, 9)) {
        case 0: p.scope = Scope::global; return p;
        case 1:
            p.scope = Scope::adaptive;
            p.output_size = {in.ConsumeIntegralInRange(1, 24), in.ConsumeIntegralInRange(1, 24)};
            return p;
        case 2: return p;  // 2x2, stride 2, no padding: the 2x2 engine's case
        default: break;
    }
    p.window = {in.ConsumeIntegralInRange(1, 9), in.ConsumeIntegralInRange(1, 9)};
    if (in.ConsumeBool()) p.stride = {in.ConsumeIntegralInRange(1, 5), in.ConsumeIntegralInRange(1, 5)};
    if (in.ConsumeIntegralInRange(0, 3) == 0) p.dilation = {in.ConsumeIntegralInRange(1, 3), in.ConsumeIntegralInRange(1, 3)};
    switch (in.ConsumeIntegralInRange(0, 2)) {
        case 0: break;
        case 1: p.padding = Padding::tf_same(); break;
        default:
            p.padding = Padding::explicit_(in.ConsumeIntegralInRange(0, 4), in.ConsumeIntegralInRange(0, 4),
                                           in.ConsumeIntegralInRange(0, 4), in.ConsumeIntegralInRange(0, 4));
    }
    p.ceil_mode = in.ConsumeBool();
    p.border = Border(in.ConsumeIntegralInRange(0, 3));
    p.count_pad = in.ConsumeBool();
    return p;
}

bool exact_type(PoolType t) {
    return t == PoolType::max || t == PoolType::min || t == PoolType::median || t == PoolType::mode;
}

[[noreturn]] void mismatch(const cv::Mat& src, const PoolParams& p, const char* what, double fast = 0, double generic = 0) {
    std::fprintf(stderr,
                 "fuzz_pool: pool() and pool_generic differ: %s (%.17g vs %.17g)\n"
                 "  input %dx%d, %d channels, depth %d; %s scope %d window %dx%d stride %dx%d dilation %dx%d\n"
                 "  padding same=%d %d,%d,%d,%d ceil %d border %d count_pad %d rounding %d depth %d power %g "
                 "output_size %dx%d\n",
                 what, fast, generic, src.cols, src.rows, src.channels(), src.depth(), to_string(p.type), int(p.scope),
                 p.window.w, p.window.h, p.stride.w, p.stride.h, p.dilation.w, p.dilation.h, int(p.padding.same),
                 p.padding.left, p.padding.top, p.padding.right, p.padding.bottom, int(p.ceil_mode), int(p.border),
                 int(p.count_pad), int(p.rounding), p.depth, p.power, p.output_size.w, p.output_size.h);
    std::abort();
}

void compare(const cv::Mat& src, const PoolParams& p, const cv::Mat& fast, const cv::Mat& generic) {
    if (fast.size() != generic.size() || fast.type() != generic.type()) mismatch(src, p, "size or type");
    const bool is_float = fast.depth() == CV_32F || fast.depth() == CV_64F;
    const double tolerance = !is_float || exact_type(p.type) ? 0 : fast.depth() == CV_32F ? 2e-6 : 1e-12;
    cv::Mat a, b;
    fast.reshape(1, 1).convertTo(a, CV_64F);
    generic.reshape(1, 1).convertTo(b, CV_64F);
    for (int i = 0; i < a.cols; ++i) {
        const double x = a.at<double>(i), y = b.at<double>(i);
        if (std::isnan(x) || std::isnan(y)) {
            if (std::isnan(x) != std::isnan(y)) mismatch(src, p, "NaN in one only", x, y);
            continue;
        }
        if (x == y) continue;  // also equal infinities, and -0 == +0
        if (std::isinf(x) || std::isinf(y) || std::abs(x - y) / std::max(1.0, std::abs(y)) > tolerance)
            mismatch(src, p, "values", x, y);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const PoolParams p = draw_params(in);
    const int width = in.ConsumeIntegralInRange(1, 72), height = in.ConsumeIntegralInRange(1, 40);
    const int channels = in.ConsumeIntegralInRange(1, 5);
    const int depth = in.PickValueInArray(kDepths);
    cv::Mat src(height, width, CV_MAKETYPE(depth, channels));
    fill(src, in.ConsumeRemainingBytes<std::uint8_t>());
    try {
        validate(p, src.size());
    } catch (const Error&) {
        return 0;
    }
    const cv::Mat fast = pool(src, p);  // an exception here, after validate() passed, is a bug too
    compare(src, p, fast, detail::pool_generic(detail::make_plan(src, p), p));
    return 0;
}
