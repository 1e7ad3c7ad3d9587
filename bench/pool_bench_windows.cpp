// More stride-1 window sizes for the cost-vs-window plot (bench/plot_windows.py), compiled
// into imgpool_bench beside pool_bench.cpp. pool_bench.cpp has 3, 15 and 63; this file adds
// the sizes between, with the same names, image, parameters and OpenCV calls, so ratios.py
// and the plot read them like the others. Kept apart because pool_bench.cpp belongs to the
// engines' work; if it gains one of these sizes, drop that size from kExtraSizes (a row
// registered twice only costs time: the tools take the best of both).
#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "imgpool/pool.hpp"

namespace {

constexpr int kExtraSizes[] = {5, 9, 31};

using imgpool::PoolParams;
using imgpool::PoolType;

// The same 3840x2160 noise image as pool_bench.cpp (same seed), made on first use.
const cv::Mat& image_u8() {
    static const cv::Mat m = [] {
        cv::Mat x(2160, 3840, CV_8UC3);
        cv::theRNG().state = 1;
        cv::randu(x, 0, 256);
        return x;
    }();
    return m;
}

// What cv::dilate/erode compute with a square kernel: SAME padding, padded cells ignored.
PoolParams like_morphology(PoolType t, int k) {
    PoolParams p;
    p.type = t;
    p.window = {k, k};
    p.stride = {1, 1};
    p.padding = imgpool::Padding::tf_same();
    return p;
}

// What cv::blur computes, up to rounding: reflected border (BORDER_REFLECT_101).
PoolParams like_blur(int k) {
    PoolParams p = like_morphology(PoolType::avg, k);
    p.padding = imgpool::Padding::symmetric((k - 1) / 2);
    p.border = imgpool::Border::reflect;
    return p;
}

// As in pool_bench.cpp: a case the generic engine would take minutes over is skipped.
bool too_slow(const PoolParams& p) {
    const cv::Mat crop = image_u8()(cv::Rect(0, 0, 240, 135)).clone();
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(imgpool::pool(crop, p).data);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 256 > 5.0;
}

void add(const std::string& name, std::function<void(const cv::Mat&)> job, std::function<bool()> skip) {
    for (int threads : {1, 2}) {
        benchmark::RegisterBenchmark((name + "/threads:" + std::to_string(threads)).c_str(),
                                     [=](benchmark::State& state) {
                                         cv::setNumThreads(threads);
                                         const cv::Mat& src = image_u8();
                                         if (skip && skip()) {
                                             state.SkipWithError("skipped: no fast engine for this case yet");
                                             return;
                                         }
                                         for (auto _ : state) job(src);
                                         state.SetBytesProcessed(std::int64_t(double(state.iterations()) *
                                                                              double(src.total() * src.elemSize())));
                                     })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    }
}

void add_pool(const std::string& name, const PoolParams& p) {
    // Judged when the row runs, not at start-up: a filtered run pays nothing for it.
    add(name + "/imgpool", [p](const cv::Mat& s) { benchmark::DoNotOptimize(imgpool::pool(s, p).data); },
        [p] { return too_slow(p); });
}

// Registered during static initialisation, before pool_bench.cpp's main() registers its own.
const bool registered = [] {
    for (int k : kExtraSizes) {
        const std::string ks = std::to_string(k) + "x" + std::to_string(k);
        const cv::Mat kernel = cv::Mat::ones(k, k, CV_8U);
        add_pool("max" + ks + "s1_u8", like_morphology(PoolType::max, k));
        add("max" + ks + "s1_u8/opencv", [kernel](const cv::Mat& s) {
            cv::Mat out;
            cv::dilate(s, out, kernel);
            benchmark::DoNotOptimize(out.data);
        }, nullptr);
        add_pool("min" + ks + "s1_u8", like_morphology(PoolType::min, k));
        add("min" + ks + "s1_u8/opencv", [kernel](const cv::Mat& s) {
            cv::Mat out;
            cv::erode(s, out, kernel);
            benchmark::DoNotOptimize(out.data);
        }, nullptr);
        add_pool("avg" + ks + "s1_u8", like_blur(k));
        add("avg" + ks + "s1_u8/opencv", [k](const cv::Mat& s) {
            cv::Mat out;
            cv::blur(s, out, cv::Size(k, k));
            benchmark::DoNotOptimize(out.data);
        }, nullptr);
    }
    return true;
}();

}  // namespace
