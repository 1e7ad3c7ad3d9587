#include "run.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <utility>
#include <opencv2/imgproc.hpp>

#include "compare.hpp"
#include "imgpool/filter.hpp"
#include "imgpool/image_io.hpp"
#include "imgpool/numpy_print.hpp"
#include "imgpool/pool.hpp"
#include "imgpool/pool_png.hpp"
#include "imgpool/preprocess.hpp"
#include "imgpool/sheet.hpp"
#include "naming.hpp"
#include "report.hpp"
#include "targets.hpp"

namespace imgpool::cli {
namespace {


// A full disk or closed pipe under --print or --json is a failed output like any other.
void check_stdout() {
    std::cout.flush();
    if (!std::cout) throw Failure{io_failure, "stdout", "write failed"};
}

io::Bytes read_input(const Options& o) {
    if (o.input != "-") return io::read_file(o.input);
    std::ios::sync_with_stdio(false);
    std::cin >> std::noskipws;
    return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
}

// A built-in kernel by name, or a one-channel .csv/.npy file.
cv::Mat load_kernel(const std::string& spec) {
    if (auto k = builtin_kernel(spec)) return *k;
    if (!std::filesystem::exists(spec)) {
        std::string names;
        for (const auto& n : builtin_kernel_names()) names += (names.empty() ? "" : ", ") + n;
        throw Failure{usage, "--filter", "'" + spec + "' is neither a built-in kernel (" + names + ") nor a file"};
    }
    try {
        const cv::Mat k = io::decode(io::read_file(spec));
        if (k.channels() != 1) throw IoError("a kernel has one channel; this has " + std::to_string(k.channels()));
        cv::Mat k64;
        k.convertTo(k64, CV_64F);
        return k64;
    } catch (const IoError& e) {
        throw Failure{io_failure, spec, e.what()};
    }
}

// Decompression bombs and absurd sizes stop here, before anything sized by them is allocated.
void check_pixels(const Options& o, cv::Size size, const std::string& subject, const std::string& flag) {
    const long long pixels = static_cast<long long>(size.width) * size.height;
    if (o.max_pixels == 0 || pixels <= o.max_pixels) return;
    const std::string what = std::to_string(size.width) + "x" + std::to_string(size.height) + " is " +
                             std::to_string(pixels) + " pixels, over the limit of " + std::to_string(o.max_pixels) +
                             " (--max-pixels)";
    if (flag.empty()) throw Failure{io_failure, subject, what};
    throw Failure{usage, flag, what};
}

// The shape pooling will see, from the header alone.
struct Shape {
    cv::Size size;
    int channels = 1;
    int depth = CV_8U;
};

Shape shape_before_pooling(const Options& o, const io::Info& info, const cv::Mat& kernel) {
    Shape s{{info.width, info.height}, info.channels, info.depth};
    if (o.grayscale) {
        if (s.channels != 1 && s.channels != 3 && s.channels != 4)
            throw Failure{usage, "--grayscale", "needs 1, 3 or 4 channels; " + input_name(o) + " has " + std::to_string(s.channels)};
        s.channels = 1;
    }
    if (o.resize) {
        s.size = {o.resize->w, o.resize->h};
        check_pixels(o, s.size, "", "--resize");
    }
    if (!kernel.empty()) {
        try {
            s.size = filtered_size(s.size, kernel.size(), o.filter_padding);
        } catch (const Error& e) {
            throw Failure{usage, "--filter", e.what()};
        }
        s.depth = s.depth == CV_64F ? CV_64F : CV_32F;
    }
    return s;
}

// Every stage's size must be valid before any pixel is decoded.
struct Planned {
    PoolParams params;
    cv::Size out;
    int depth = CV_8U;
    Target target;
};

Planned plan(const Options& o, size_t type_index, const Shape& in, io::Format input_format) {
    Planned p{params_for(o, o.types[type_index]), in.size, in.depth, {}};
    for (int stage = 1; stage <= o.repeat; ++stage) {
        try {
            p.out = pooled_size(p.out, p.params);
        } catch (const Error& e) {
            const std::string where = o.repeat > 1 ? "stage " + std::to_string(stage) + " of " + std::to_string(o.repeat) + ": " : "";
            throw Failure{usage, flag_for_param(e.param()), where + e.what()};
        }
        p.depth = result_depth(p.depth, p.params);
        check_pixels(o, p.out, "", p.params.scope == Scope::adaptive ? "--output-size" : "--size");
    }
    p.target = resolve_target(o, p.params, type_index, input_format, p.depth, in.channels);
    return p;
}

// The plain PNG-to-PNG-file run, whose decoding can overlap pooling and encoding
// (io::pool_png_file): no pre-step, one window pooling, nothing shown but the file.
bool png_to_png_file(const Options& o, const Outcome& out, const cv::Mat& kernel) {
    return o.input != "-" && out.info.format == io::Format::png && !o.grayscale && !o.resize && kernel.empty() &&
           !o.relu && !o.upscale && o.compare.empty() && !o.print && o.repeat == 1 && out.types.size() == 1 &&
           out.types[0].result.params.scope == Scope::window && out.types[0].target.kind == Target::file &&
           out.types[0].target.format == io::Format::png;
}

void pool_png_to_file(const Options& o, io::Bytes&& data, Outcome& out) {
    TypeOutcome& t = out.types[0];
    io::EncodeOptions enc;
    enc.png_compression = o.png_compression;
    io::PooledPng r;
    try {
        r = io::pool_png_file(std::move(data), o.input, out.info, t.result.params, enc);
    } catch (const io::EncodeError& e) {
        throw Failure{io_failure, t.target.name(), e.what()};
    } catch (const IoError& e) {
        throw Failure{io_failure, input_name(o), e.what()};
    }
    t.result.stages.push_back(r.pooled);
    write_encoded(t.target, r.png, r.pooled, o);
}

}  // namespace

std::string input_name(const Options& o) { return o.input == "-" ? "stdin" : o.input; }

Outcome process(const Options& o) {
    const auto started = std::chrono::steady_clock::now();
    Outcome out;
    const auto finished = [&] {
        out.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        spdlog::debug("{}: done in {:.1f} ms", input_name(o), out.milliseconds);
        return out;
    };
    io::Bytes data;
    const io::Format hint = o.input == "-" ? io::Format::unknown : io::format_from_path(o.input);
    try {
        data = read_input(o);
        out.info = io::probe(data, hint, o.max_pixels);
    } catch (const IoError& e) {
        throw Failure{io_failure, input_name(o), e.what()};
    }

    if (out.info.pages > 1)
        spdlog::warn("{}: warning: {} pages; pooling the first", input_name(o), out.info.pages);
    // Every flag is checked against the header before any pixel is decoded.
    check_pixels(o, {out.info.width, out.info.height}, input_name(o), "");
    const cv::Mat kernel = o.filter.empty() ? cv::Mat() : load_kernel(o.filter);
    const Shape shape = shape_before_pooling(o, out.info, kernel);
    for (size_t i = 0; i < o.types.size(); ++i) {
        const Planned p = plan(o, i, shape, out.info.format);
        out.types.push_back({{p.params, {}}, p.target, o.upscale ? shape.size : p.out, shape.channels, p.depth});
    }
    out.sheet = o.compare.empty() ? Target{} : resolve_sheet_target(o);
    spdlog::debug("{}: {} {}", input_name(o), io::extension(out.info.format),
                  shape_text({out.info.width, out.info.height}, out.info.channels, out.info.depth));
    if (o.dry_run) return out;
    if (png_to_png_file(o, out, kernel)) {
        pool_png_to_file(o, std::move(data), out);
        return finished();
    }

    cv::Mat img;
    try {
        // Takes the bytes, so that they are freed as soon as the pixels no longer need them.
        img = o.input == "-" ? io::decode(std::exchange(data, {}), hint)
                             : io::decode_file(std::move(data), o.input, out.info, hint);
    } catch (const IoError& e) {
        throw Failure{io_failure, input_name(o), e.what()};
    }
    if (o.grayscale) img = to_grayscale(img);
    if (o.resize) img = resize_to(img, shape.size, o.interp);
    const cv::Mat input = img;
    const cv::Mat filtered = kernel.empty() ? img : filter(img, kernel, o.filter_padding);
    const cv::Mat detected = o.relu ? relu(filtered) : filtered;

    std::vector<TypeResult> results;
    for (TypeOutcome& t : out.types) {
        cv::Mat stage = detected;
        for (int i = 0; i < o.repeat; ++i) t.result.stages.push_back(stage = pool(stage, t.result.params));
        cv::Mat written = t.result.stages.back();
        if (o.upscale) cv::resize(written, written, detected.size(), 0, 0, cv::INTER_NEAREST);
        write_target(t.target, written, o);
        results.push_back(t.result);
    }
    if (out.sheet.kind == Target::file) {
        const SheetStyle style{sheet_font(), o.colormap, o.range};
        try {
            write_target(out.sheet, compare_sheet(sheet_rows(o, input, filtered, detected, results), style).picture, o);
        } catch (const Error& e) {
            throw Failure{usage, "--compare", e.what()};
        }
    }
    return finished();
}

void report(const Options& o, const Outcome& out) {
    const bool several = out.types.size() > 1;
    if (o.dry_run && !o.json) {
        for (const TypeOutcome& t : out.types)
            std::cout << "would write " << t.target.name() << ": " << shape_text(t.size, t.channels, t.depth) << "\n";
        if (out.sheet.kind == Target::file) std::cout << "would write " << out.sheet.path << ": comparison sheet\n";
        return check_stdout();
    }
    if (o.json) {
        nlohmann::json per_type = nlohmann::json::array();
        for (const TypeOutcome& t : out.types) {
            nlohmann::json r = {{"parameters", params_json(o, t.result.params)},
                                {"output", t.target.kind == Target::none ? nlohmann::json(nullptr) : nlohmann::json(t.target.name())},
                                {"output_shape", shape_json(t.size, t.channels)},
                                {"output_dtype", dtype_name(t.depth)}};
            if (o.pool.scope == Scope::global && !o.dry_run) r["values"] = values_json(t.result.stages.back());
            per_type.push_back(r);
        }
        nlohmann::json j = {{"input", input_name(o)},
                            {"input_shape", shape_json({out.info.width, out.info.height}, out.info.channels)},
                            {"input_dtype", dtype_name(out.info.depth)}};
        if (o.dry_run) j["dry_run"] = true;
        else j["milliseconds"] = out.milliseconds;
        j["peak_rss_kb"] = peak_rss_kb();
        if (several) j["results"] = per_type;
        else j.update(per_type[0]);
        if (out.sheet.kind == Target::file) j["sheet"] = out.sheet.path;
        std::cout << j.dump() << "\n";
        return check_stdout();
    }
    // --print, and global pooling with nowhere else to go, print one block per type.
    const bool global_only = o.pool.scope == Scope::global && o.output.empty() && o.compare.empty();
    if (!o.print && !global_only) return;
    for (size_t i = 0; i < out.types.size(); ++i) {
        const cv::Mat& m = out.types[i].result.stages.back();
        if (several) std::cout << (i ? "\n" : "") << to_string(out.types[i].result.params.type) << ":\n";
        std::cout << (o.pool.scope == Scope::global ? numpy_str_global(m) : numpy_str(m)) << "\n";
    }
    check_stdout();
}

}  // namespace imgpool::cli
