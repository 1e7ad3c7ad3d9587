// imgpool against the OpenCV calls that do the same job, on a 3840x2160 image in memory,
// at 1 and 2 threads (cv::setNumThreads). Every row reports the input bytes it processed
// per second, so rows compare as ratios: bench/ratios.py prints them.
//
// Names are "<case>/<impl>/threads:<n>"; impl is imgpool, opencv or read (the ceilings:
// read_* only loads the image's bytes; quarter_* also writes a quarter-size output, the
// memory traffic of 2x2 pooling without its arithmetic).
#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "engines.hpp"  // the generic engine, for the median rows
#include "imgpool/image_io.hpp"
#include "imgpool/pool.hpp"
#include <opencv2/imgcodecs.hpp>

namespace {

using imgpool::PoolParams;
using imgpool::PoolType;

const cv::Mat& image_u8() {
    static const cv::Mat m = [] {
        cv::Mat x(2160, 3840, CV_8UC3);
        cv::theRNG().state = 1;
        cv::randu(x, 0, 256);
        return x;
    }();
    return m;
}

// 3838 pixels wide: rows of 11514 bytes, each starting elsewhere on the 64-byte grid.
const cv::Mat& image_u8_w3838() {
    static const cv::Mat m = image_u8()(cv::Rect(0, 0, 3838, 2160)).clone();
    return m;
}

const cv::Mat& crop_u8() {
    static const cv::Mat m = image_u8()(cv::Rect(0, 0, 480, 270)).clone();
    return m;
}

const cv::Mat& image_f32() {
    static const cv::Mat m = [] {
        cv::Mat x;
        image_u8().convertTo(x, CV_32F, 1.0 / 255);
        return x;
    }();
    return m;
}

double bytes_of(const cv::Mat& m) { return double(m.total()) * double(m.elemSize()); }

// The bandwidth ceiling: loads every byte once (32 bytes at a time where AVX2 allows; a
// scalar loop reads slower than the memory can deliver here) and ORs them together.
// Split over the threads like the others.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) std::uint64_t or_bytes_avx2(const unsigned char* p, std::size_t n) {
    __m256i x0 = _mm256_setzero_si256(), x1 = x0, x2 = x0, x3 = x0;
    std::size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        x0 = _mm256_or_si256(x0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
        x1 = _mm256_or_si256(x1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
        x2 = _mm256_or_si256(x2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
        x3 = _mm256_or_si256(x3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
    }
    const __m256i x = _mm256_or_si256(_mm256_or_si256(x0, x1), _mm256_or_si256(x2, x3));
    std::uint64_t all = std::uint64_t(_mm256_extract_epi64(x, 0) | _mm256_extract_epi64(x, 1) |
                                      _mm256_extract_epi64(x, 2) | _mm256_extract_epi64(x, 3));
    for (; i < n; ++i) all |= p[i];
    return all;
}
#endif

std::uint64_t or_bytes(const unsigned char* p, std::size_t n) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2")) return or_bytes_avx2(p, n);
#endif
    std::uint64_t all = 0;
    for (std::size_t i = 0; i < n; ++i) all |= p[i];
    return all;
}

std::uint64_t read_pass(const cv::Mat& m) {
    const std::size_t n = m.total() * m.elemSize();
    const int stripes = 8 * cv::getNumThreads();
    std::vector<std::uint64_t> acc(size_t(stripes), 0);
    cv::parallel_for_(cv::Range(0, stripes), [&](const cv::Range& r) {
        for (int s = r.start; s < r.end; ++s) {
            // Stripe bounds on 128-byte multiples, so that only the last has a scalar tail.
            const std::size_t begin = n * size_t(s) / size_t(stripes) / 128 * 128;
            const std::size_t end = s + 1 == stripes ? n : n * size_t(s + 1) / size_t(stripes) / 128 * 128;
            acc[size_t(s)] = or_bytes(m.data + begin, end - begin);
        }
    });
    std::uint64_t all = 0;
    for (std::uint64_t v : acc) all |= v;
    return all;
}

// The 2x2 engine's memory traffic without its arithmetic: a fresh output a quarter of the
// input, each 32 output bytes the OR of 64 bytes of each of two input rows (no pooling
// result, just the same loads and stores). Rows split over the threads as the engine does.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) void or_rows_avx2(const unsigned char* a, const unsigned char* b, unsigned char* d,
                                                   std::size_t n_out) {
    std::size_t j = 0;
    for (; j + 32 <= n_out; j += 32) {
        const auto* pa = reinterpret_cast<const __m256i*>(a + 2 * j);
        const auto* pb = reinterpret_cast<const __m256i*>(b + 2 * j);
        const __m256i x = _mm256_or_si256(_mm256_or_si256(_mm256_loadu_si256(pa), _mm256_loadu_si256(pa + 1)),
                                          _mm256_or_si256(_mm256_loadu_si256(pb), _mm256_loadu_si256(pb + 1)));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + j), x);
    }
    for (; j < n_out; ++j) d[j] = a[2 * j] | b[2 * j];
}
#endif

void or_rows(const unsigned char* a, const unsigned char* b, unsigned char* d, std::size_t n_out) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2")) return or_rows_avx2(a, b, d, n_out);
#endif
    for (std::size_t j = 0; j < n_out; ++j) d[j] = a[2 * j] | b[2 * j];
}

// What any stride-1 pool must at least do: read the image and write a fresh output of the
// same size (a copy, rows split over the threads), two ways: memcpy's plain stores (which
// first read each line of the output), and stores that bypass the caches, as the stride-1
// engine's do for large results. The faster of the two is the floor (bench/ratios.py), and
// which one that is depends on the run: in one, non-temporal took 0.93x memcpy's time on one
// thread and 1.5x on two (memcpy's output still in L3 from the pass before).
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) void copy_row_avx2(const unsigned char* s, unsigned char* d, std::size_t n) {
    std::size_t i = 0;
    for (; i < n && reinterpret_cast<std::uintptr_t>(d + i) % 32; ++i) d[i] = s[i];
    for (; i + 32 <= n; i += 32)
        _mm256_stream_si256(reinterpret_cast<__m256i*>(d + i), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i)));
    for (; i < n; ++i) d[i] = s[i];
}
#endif

void copy_row(const unsigned char* s, unsigned char* d, std::size_t n, bool nontemporal) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (nontemporal && __builtin_cpu_supports("avx2")) {
        copy_row_avx2(s, d, n);
        return _mm_sfence();
    }
#endif
    std::memcpy(d, s, n);
}

cv::Mat copy_pass(const cv::Mat& m, bool nontemporal) {
    cv::Mat out(m.rows, m.cols, m.type());
    const std::size_t n = std::size_t(m.cols) * m.elemSize();
    cv::parallel_for_(cv::Range(0, m.rows), [&](const cv::Range& r) {
        for (int y = r.start; y < r.end; ++y) copy_row(m.ptr(y), out.ptr(y), n, nontemporal);
    }, 4.0 * cv::getNumThreads());
    return out;
}

cv::Mat quarter_pass(const cv::Mat& m) {
    cv::Mat out(m.rows / 2, m.cols / 2, m.type());
    const std::size_t n_out = std::size_t(out.cols) * out.elemSize();
    cv::parallel_for_(cv::Range(0, out.rows), [&](const cv::Range& r) {
        for (int y = r.start; y < r.end; ++y) or_rows(m.ptr(2 * y), m.ptr(2 * y + 1), out.ptr(y), n_out);
    }, 4.0 * cv::getNumThreads());
    return out;
}

PoolParams window(PoolType t, int k, int stride) {
    PoolParams p;
    p.type = t;
    p.window = {k, k};
    p.stride = {stride, stride};
    return p;
}

// imgpool parameters that compute what cv::dilate/erode (square kernel, default anchor and
// border) compute: SAME padding of (k-1)/2 per side, padded cells ignored.
PoolParams like_morphology(PoolType t, int k) {
    PoolParams p = window(t, k, 1);
    p.padding = imgpool::Padding::tf_same();
    return p;
}

// ...and what cv::blur computes, up to rounding: reflected border (BORDER_REFLECT_101).
PoolParams like_blur(int k) {
    PoolParams p = window(PoolType::avg, k, 1);
    p.padding = imgpool::Padding::symmetric((k - 1) / 2);
    p.border = imgpool::Border::reflect;
    return p;
}

// The generic engine takes minutes per pass for large stride-1 windows; until a fast engine
// takes them, such rows are skipped rather than run. Judged from a 240x135 crop.
bool too_slow(const PoolParams& p) {
    const cv::Mat crop = image_u8()(cv::Rect(0, 0, 240, 135)).clone();
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(imgpool::pool(crop, p).data);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return s * 256 > 5.0;  // the crop is 1/256 of the image
}

// Registers a row at 1 and 2 threads. Iteration i works on image(i): one image kept hot in
// the caches, or copies taken in turn (the _dram rows) so that every pass reads memory.
using Images = std::function<const cv::Mat&(std::size_t)>;
void add_images(const std::string& name, Images image, std::function<void(const cv::Mat&)> job, bool skip = false) {
    for (int threads : {1, 2}) {
        benchmark::RegisterBenchmark((name + "/threads:" + std::to_string(threads)).c_str(),
                                     [=](benchmark::State& state) {
                                         cv::setNumThreads(threads);
                                         if (skip) {
                                             state.SkipWithError("skipped: no fast engine for this case yet");
                                             return;
                                         }
                                         std::size_t i = 0;
                                         for (auto _ : state) job(image(i++));
                                         state.SetBytesProcessed(std::int64_t(double(state.iterations()) * bytes_of(image(0))));
                                     })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    }
}

void add(const std::string& name, const cv::Mat& (*img)(), std::function<void(const cv::Mat&)> job,
         bool skip = false) {
    add_images(name, [img](std::size_t) -> const cv::Mat& { return img(); }, std::move(job), skip);
}

// Copies of an image filling 256 MiB or more (8x the 32 MiB L3 cache here), taken in turn:
// each pass then reads its input from memory, as the bandwidth figures do.
Images from_dram(const cv::Mat& (*img)()) {
    return [img](std::size_t i) -> const cv::Mat& {
        static std::map<const cv::Mat& (*)(), std::vector<cv::Mat>> sets;
        std::vector<cv::Mat>& copies = sets[img];
        if (copies.empty()) {
            const double bytes = bytes_of(img());
            for (double total = 0; total < 256.0 * (1 << 20); total += bytes) copies.push_back(img().clone());
        }
        return copies[i % copies.size()];
    };
}

void add_pool(const std::string& name, const cv::Mat& (*img)(), const PoolParams& p, bool check_speed = false) {
    add(name + "/imgpool", img, [p](const cv::Mat& src) { benchmark::DoNotOptimize(imgpool::pool(src, p).data); },
        check_speed && too_slow(p));
}

void register_all() {
    const auto u8 = image_u8;
    const auto f32 = image_f32;
    const auto crop_u8 = ::crop_u8;

    add("read_u8/read", u8, [](const cv::Mat& s) { benchmark::DoNotOptimize(read_pass(s)); });
    add("read_f32/read", f32, [](const cv::Mat& s) { benchmark::DoNotOptimize(read_pass(s)); });
    add("quarter_u8/read", u8, [](const cv::Mat& s) { benchmark::DoNotOptimize(quarter_pass(s).data); });
    add("quarter_f32/read", f32, [](const cv::Mat& s) { benchmark::DoNotOptimize(quarter_pass(s).data); });
    add("copy_u8/read", u8, [](const cv::Mat& s) { benchmark::DoNotOptimize(copy_pass(s, false).data); });
    add("copy_nt_u8/read", u8, [](const cv::Mat& s) { benchmark::DoNotOptimize(copy_pass(s, true).data); });

    // 2x2 stride 2.
    add_pool("max2x2_u8", u8, window(PoolType::max, 2, 2));
    add("max2x2_u8/opencv", u8, [](const cv::Mat& s) {
        // Max over each 2x2 block anchored at its top-left cell, then every second pixel.
        cv::Mat dilated, out;
        cv::dilate(s, dilated, cv::Mat::ones(2, 2, CV_8U), cv::Point(0, 0));
        cv::resize(dilated, out, cv::Size(s.cols / 2, s.rows / 2), 0, 0, cv::INTER_NEAREST);
        benchmark::DoNotOptimize(out.data);
    });
    PoolParams avg_up = window(PoolType::avg, 2, 2);
    avg_up.rounding = imgpool::Rounding::half_up;  // INTER_AREA's rounding: the same bytes
    add_pool("avg2x2_u8", u8, avg_up);
    add_pool("avg2x2_u8_even", u8, window(PoolType::avg, 2, 2));
    add_pool("avg2x2_f32", f32, window(PoolType::avg, 2, 2));
    for (auto [name, img] : {std::pair{"avg2x2_u8", u8}, std::pair{"avg2x2_f32", f32}})
        add(std::string(name) + "/opencv", img, [](const cv::Mat& s) {
            cv::Mat out;
            cv::resize(s, out, cv::Size(s.cols / 2, s.rows / 2), 0, 0, cv::INTER_AREA);
            benchmark::DoNotOptimize(out.data);
        });

    // The 2x2 rows again with every pass reading memory rather than the caches, beside the
    // read and 4:1 passes over the same copies: the "share of the read bandwidth".
    add_images("read_u8_dram/read", from_dram(u8), [](const cv::Mat& s) { benchmark::DoNotOptimize(read_pass(s)); });
    add_images("read_f32_dram/read", from_dram(f32), [](const cv::Mat& s) { benchmark::DoNotOptimize(read_pass(s)); });
    add_images("quarter_u8_dram/read", from_dram(u8),
               [](const cv::Mat& s) { benchmark::DoNotOptimize(quarter_pass(s).data); });
    add_images("quarter_f32_dram/read", from_dram(f32),
               [](const cv::Mat& s) { benchmark::DoNotOptimize(quarter_pass(s).data); });
    for (auto [name, img, p] : {std::tuple{"max2x2_u8_dram", u8, window(PoolType::max, 2, 2)},
                                std::tuple{"avg2x2_u8_dram", u8, avg_up},
                                std::tuple{"avg2x2_f32_dram", f32, window(PoolType::avg, 2, 2)}}) {
        add_images(std::string(name) + "/imgpool", from_dram(img),
                   [p = p](const cv::Mat& s) { benchmark::DoNotOptimize(imgpool::pool(s, p).data); });
        const bool max = p.type == PoolType::max;
        add_images(std::string(name) + "/opencv", from_dram(img), [max](const cv::Mat& s) {
            cv::Mat out;
            if (max) {
                cv::dilate(s, out, cv::Mat::ones(2, 2, CV_8U), cv::Point(0, 0));
                cv::resize(out, out, cv::Size(s.cols / 2, s.rows / 2), 0, 0, cv::INTER_NEAREST);
            } else {
                cv::resize(s, out, cv::Size(s.cols / 2, s.rows / 2), 0, 0, cv::INTER_AREA);
            }
            benchmark::DoNotOptimize(out.data);
        });
    }

    // Stride 1, at the window sizes of the cost-vs-window plot (bench/plot_windows.py).
    for (int k : {3, 5, 9, 15, 31, 63}) {
        const std::string ks = std::to_string(k) + "x" + std::to_string(k);
        const cv::Mat kernel = cv::Mat::ones(k, k, CV_8U);
        add_pool("max" + ks + "s1_u8", u8, like_morphology(PoolType::max, k), true);
        add("max" + ks + "s1_u8/opencv", u8, [kernel](const cv::Mat& s) {
            cv::Mat out;
            cv::dilate(s, out, kernel);
            benchmark::DoNotOptimize(out.data);
        });
        add_pool("min" + ks + "s1_u8", u8, like_morphology(PoolType::min, k), true);
        add("min" + ks + "s1_u8/opencv", u8, [kernel](const cv::Mat& s) {
            cv::Mat out;
            cv::erode(s, out, kernel);
            benchmark::DoNotOptimize(out.data);
        });
        add_pool("avg" + ks + "s1_u8", u8, like_blur(k), true);
        add("avg" + ks + "s1_u8/opencv", u8, [k](const cv::Mat& s) {
            cv::Mat out;
            cv::blur(s, out, cv::Size(k, k));
            benchmark::DoNotOptimize(out.data);
        });
    }

    // Max again on an image whose rows start off the 64-byte grid, as most widths' do
    // (non-temporal stores then begin at each row's first aligned byte).
    for (int k : {3, 63}) {
        const std::string ks = std::to_string(k) + "x" + std::to_string(k);
        const cv::Mat kernel = cv::Mat::ones(k, k, CV_8U);
        add_pool("max" + ks + "s1_u8_w3838", image_u8_w3838, like_morphology(PoolType::max, k));
        add("max" + ks + "s1_u8_w3838/opencv", image_u8_w3838, [kernel](const cv::Mat& s) {
            cv::Mat out;
            cv::dilate(s, out, kernel);
            benchmark::DoNotOptimize(out.data);
        });
    }

    // 3x3 stride 2 (PyTorch's usual stem pooling), 8-bit and float. OpenCV has no direct
    // equivalent: dilate/erode or blur, then every second pixel.
    for (auto [name, img] : {std::pair{"u8", u8}, std::pair{"f32", f32}}) {
        add_pool(std::string("max3x3s2_") + name, img, window(PoolType::max, 3, 2));
        add(std::string("max3x3s2_") + name + "/opencv", img, [](const cv::Mat& s) {
            cv::Mat dilated, out;
            cv::dilate(s, dilated, cv::Mat::ones(3, 3, CV_8U), cv::Point(0, 0));
            cv::resize(dilated, out, cv::Size((s.cols - 1) / 2, (s.rows - 1) / 2), 0, 0, cv::INTER_NEAREST);
            benchmark::DoNotOptimize(out.data);
        });
        add_pool(std::string("avg3x3s2_") + name, img, window(PoolType::avg, 3, 2));
        add(std::string("avg3x3s2_") + name + "/opencv", img, [](const cv::Mat& s) {
            cv::Mat blurred, out;
            cv::blur(s, blurred, cv::Size(3, 3), cv::Point(0, 0));
            cv::resize(blurred, out, cv::Size((s.cols - 1) / 2, (s.rows - 1) / 2), 0, 0, cv::INTER_NEAREST);
            benchmark::DoNotOptimize(out.data);
        });
    }

    // Median, stride 1, against cv::medianBlur (which replicates the border: the same
    // values up to the border rule).
    for (int k : {3, 5, 15}) {
        const std::string ks = std::to_string(k) + "x" + std::to_string(k);
        PoolParams median = window(PoolType::median, k, 1);
        median.padding = imgpool::Padding::symmetric((k - 1) / 2);
        median.border = imgpool::Border::replicate;
        add_pool("median" + ks + "s1_u8", u8, median, true);
        add("median" + ks + "s1_u8/opencv", u8, [k](const cv::Mat& s) {
            cv::Mat out;
            cv::medianBlur(s, out, k);
            benchmark::DoNotOptimize(out.data);
        });
    }

    // The median against the generic engine (sorting each window), on a 480x270 crop: the
    // generic engine takes minutes for the whole image. Impl "generic": ratios.py skips it.
    for (int k : {3, 15}) {
        const std::string ks = std::to_string(k) + "x" + std::to_string(k);
        PoolParams median = window(PoolType::median, k, 1);
        median.padding = imgpool::Padding::symmetric((k - 1) / 2);
        median.border = imgpool::Border::replicate;
        add_pool("median" + ks + "s1_crop_u8", crop_u8, median);
        add("median" + ks + "s1_crop_u8/generic", crop_u8, [median](const cv::Mat& s) {
            benchmark::DoNotOptimize(imgpool::detail::pool_generic(imgpool::detail::make_plan(s, median), median).data);
        });
    }

    // Global. cv::minMaxLoc takes one channel: it gets the samples as one plane (one max
    // for all channels instead of one per channel, so no more work than imgpool's).
    PoolParams global_max, global_avg;
    global_max.scope = global_avg.scope = imgpool::Scope::global;
    global_avg.type = PoolType::avg;
    add_pool("global_max_u8", u8, global_max);
    add("global_max_u8/opencv", u8, [](const cv::Mat& s) {
        double lo = 0, hi = 0;
        cv::minMaxLoc(s.reshape(1), &lo, &hi);
        benchmark::DoNotOptimize(hi);
    });
    add_pool("global_avg_u8", u8, global_avg);
    add("global_avg_u8/opencv", u8, [](const cv::Mat& s) { benchmark::DoNotOptimize(cv::mean(s)[0]); });

    // TIFF in memory (LZW with the horizontal predictor: the same bytes from both encoders).
    namespace io = imgpool::io;
    static const auto tiff = [] { return io::encode(image_u8(), io::Format::tiff); };
    add("tiff_decode_u8/imgpool", u8, [](const cv::Mat&) {
        static const io::Bytes b = tiff();
        benchmark::DoNotOptimize(io::decode(b).data);
    });
    add("tiff_decode_u8/opencv", u8, [](const cv::Mat&) {
        static const io::Bytes b = tiff();
        benchmark::DoNotOptimize(cv::imdecode(b, cv::IMREAD_UNCHANGED).data);
    });
    add("tiff_encode_u8/imgpool", u8,
        [](const cv::Mat& s) { benchmark::DoNotOptimize(io::encode(s, io::Format::tiff).data()); });
    add("tiff_encode_u8/opencv", u8, [](const cv::Mat& s) {
        std::vector<unsigned char> out;
        cv::imencode(".tif", s, out);
        benchmark::DoNotOptimize(out.data());
    });
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    register_all();
    benchmark::AddCustomContext("opencv_threads_default", std::to_string(cv::getNumThreads()));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
