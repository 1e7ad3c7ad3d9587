#include "run.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli_values.hpp"
#include "imgpool/image_io.hpp"
#include "imgpool/numpy_print.hpp"
#include "imgpool/pool.hpp"
#include "imgpool/preprocess.hpp"
#include "naming.hpp"

namespace fs = std::filesystem;

namespace imgpool::cli {
namespace {

const char* dtype_name(int depth) {
    switch (depth) {
    case CV_8U: return "uint8";
    case CV_8S: return "int8";
    case CV_16U: return "uint16";
    case CV_16S: return "int16";
    case CV_32S: return "int32";
    case CV_32F: return "float32";
    case CV_64F: return "float64";
    default: return "unknown";
    }
}

std::string shape_text(cv::Size s, int channels, int depth) {
    return std::to_string(s.width) + "x" + std::to_string(s.height) + (channels > 1 ? "x" + std::to_string(channels) : "") +
           " " + dtype_name(depth);
}

std::string input_name(const Options& o) { return o.input == "-" ? "stdin" : o.input; }

io::Bytes read_stdin() {
    std::ios::sync_with_stdio(false);
    std::cin >> std::noskipws;
    return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
}

// What the run will write: a file, stdout, or nothing (print-only runs).
struct Target {
    enum Kind { none, file, stdout_ } kind = none;
    std::string path;
    io::Format format = io::Format::unknown;
    std::string ext;  // with its dot, for Format::other
};

io::Format format_named(const std::string& name) { return io::format_from_path("x." + name); }

Target resolve_target(const Options& o, const io::Info& in, int depth, int channels) {
    Target t;
    if (o.output == "-") {
        t.kind = Target::stdout_;
        t.format = o.format.empty() ? in.format : format_named(o.format);
        t.ext = "." + (o.format.empty() ? std::string(io::extension(in.format)) : o.format);
        if (t.format == io::Format::unknown)
            throw Failure{usage, "--format", "'" + o.format + "' is not a format imgpool writes"};
    } else if (!o.output.empty()) {
        t.kind = Target::file;
        t.path = o.output;
        t.ext = fs::path(o.output).extension().string();
        t.format = io::format_from_path(o.output);
        if (!o.format.empty()) {
            const io::Format named = format_named(o.format);
            if (named == io::Format::unknown)
                throw Failure{usage, "--format", "'" + o.format + "' is not a format imgpool writes"};
            if (t.format != io::Format::unknown && t.format != named)
                throw Failure{usage, "--format", "'" + o.format + "' contradicts the extension of " + o.output};
            t.format = named;
        }
        if (t.format == io::Format::unknown)
            throw Failure{usage, "--output",
                          "cannot tell the format of '" + o.output + "': use an extension such as .png or .npy, or --format"};
    } else if (o.print || o.json || o.pool.scope == Scope::global) {
        return t;  // print-only: nothing is written without -o
    } else {
        t.kind = Target::file;
        t.format = o.format.empty() ? in.format : format_named(o.format);
        t.ext = o.format.empty() ? fs::path(o.input).extension().string() : "." + o.format;
        if (t.format == io::Format::unknown)
            throw Failure{usage, "--format", "'" + o.format + "' is not a format imgpool writes"};
        if (io::cannot_hold(t.format, depth, channels)) {  // e.g. a float result of a PNG: keep it exact
            spdlog::info("{} cannot hold a {} result; writing .npy", io::extension(t.format), dtype_name(depth));
            t.format = io::Format::npy;
            t.ext = ".npy";
        }
        t.path = default_output_name(o.input, o.pool, t.ext);
    }
    if (auto why = io::cannot_hold(t.format, depth, channels))
        throw Failure{io_failure, t.kind == Target::file ? t.path : "stdout", *why};
    if (t.kind == Target::file) {
        std::error_code ec;
        if (o.input != "-" && fs::exists(t.path, ec) && fs::equivalent(t.path, o.input, ec))
            throw Failure{io_failure, t.path, "is the input; imgpool never overwrites its input"};
        if (!o.overwrite && fs::exists(t.path, ec))
            throw Failure{io_failure, t.path, "exists (use --overwrite to replace it)"};
    }
    return t;
}

nlohmann::json extent_json(Extent e) { return {{"width", e.w}, {"height", e.h}}; }

nlohmann::json shape_json(cv::Size s, int channels) {
    return channels == 1 ? nlohmann::json{s.height, s.width} : nlohmann::json{s.height, s.width, channels};
}

nlohmann::json params_json(const Options& o) {
    const PoolParams& p = o.pool;
    const char* scopes[] = {"window", "global", "adaptive"};
    const char* borders[] = {"ignore", "zero", "replicate", "reflect"};
    nlohmann::json j = {{"type", to_string(p.type)}, {"scope", scopes[int(p.scope)]},
                        {"round", p.rounding == Rounding::half_even ? "even" : "up"}};
    if (p.type == PoolType::lp) j["power"] = p.power;
    if (p.scope == Scope::adaptive) j["output_size"] = extent_json(p.output_size);
    if (p.scope == Scope::window) {
        j["size"] = extent_json(p.window);
        j["stride"] = extent_json({p.stride.w ? p.stride.w : p.window.w, p.stride.h ? p.stride.h : p.window.h});
        j["dilation"] = extent_json(p.dilation);
        j["padding"] = to_text(p.padding);
        j["ceil"] = p.ceil_mode;
        j["count_pad"] = p.count_pad;
        j["border"] = borders[int(p.border)];
    }
    j["grayscale"] = o.grayscale;
    j["resize"] = o.resize ? extent_json(*o.resize) : nlohmann::json(nullptr);
    return j;
}

nlohmann::json values_json(const cv::Mat& m) {
    cv::Mat d;
    m.reshape(1, 1).convertTo(d, CV_64F);
    nlohmann::json values = nlohmann::json::array();
    for (int i = 0; i < d.cols; ++i) {
        const double v = d.at<double>(i);
        values.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));
    }
    return values;
}

void write_stdout(const io::Bytes& bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0)
        throw Failure{io_failure, "stdout", "write failed"};
}

cv::Mat load(const Options& o, const io::Bytes& data) {
    try {
        return io::decode(data);
    } catch (const IoError& e) {
        throw Failure{io_failure, input_name(o), e.what()};
    }
}

}  // namespace

void run(const Options& o) {
    const auto started = std::chrono::steady_clock::now();
    io::Bytes data;
    io::Info info;
    try {
        data = o.input == "-" ? read_stdin() : io::read_file(o.input);
        info = io::probe(data);
    } catch (const IoError& e) {
        throw Failure{io_failure, input_name(o), e.what()};
    }

    // The shape after the pre-steps, from the header alone: every flag is checked
    // against it before any pixel is decoded.
    int channels = info.channels;
    if (o.grayscale) {
        if (channels != 1 && channels != 3 && channels != 4)
            throw Failure{usage, "--grayscale", "needs 1, 3 or 4 channels; " + input_name(o) + " has " + std::to_string(channels)};
        channels = 1;
    }
    const cv::Size size = o.resize ? cv::Size(o.resize->w, o.resize->h) : cv::Size(info.width, info.height);
    cv::Size out_size;
    try {
        out_size = pooled_size(size, o.pool);
    } catch (const Error& e) {
        throw Failure{usage, flag_for_param(e.param()), e.what()};
    }
    const int depth = result_depth(info.depth, o.pool);
    const Target target = resolve_target(o, info, depth, channels);
    spdlog::debug("{}: {} {}; pooling {} -> {}", input_name(o), io::extension(info.format),
                  shape_text({info.width, info.height}, info.channels, info.depth), operation_tag(o.pool),
                  shape_text(out_size, channels, depth));

    if (o.dry_run) {
        const std::string where = target.kind == Target::file ? target.path
                                  : target.kind == Target::stdout_ ? "stdout" : "nothing (print only)";
        if (o.json) {
            std::cout << nlohmann::json{{"input", input_name(o)}, {"dry_run", true},
                                        {"output", target.kind == Target::none ? nlohmann::json(nullptr) : nlohmann::json(where)},
                                        {"output_shape", shape_json(out_size, channels)}, {"output_dtype", dtype_name(depth)},
                                        {"parameters", params_json(o)}}
                      << "\n";
        } else {
            std::cout << "would write " << where << ": " << shape_text(out_size, channels, depth) << "\n";
        }
        return;
    }

    cv::Mat img = load(o, data);
    if (o.grayscale) img = to_grayscale(img);
    if (o.resize) img = resize_to(img, size, o.interp);
    const cv::Mat result = pool(img, o.pool);

    if (target.kind != Target::none) {
        io::EncodeOptions enc;
        enc.quality = o.quality;
        io::Bytes bytes;
        try {
            bytes = io::encode(result, target.format, enc, target.ext);
            if (target.kind == Target::stdout_) write_stdout(bytes);
            else io::write_file_atomic(target.path, bytes, o.overwrite);
        } catch (const IoError& e) {
            throw Failure{io_failure, target.kind == Target::file ? target.path : "stdout", e.what()};
        }
    }
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (target.kind == Target::file)
        spdlog::info("wrote {}: {}", target.path, shape_text(result.size(), result.channels(), result.depth()));
    spdlog::debug("done in {:.1f} ms", ms);

    const bool global = o.pool.scope == Scope::global;
    if (o.json) {
        nlohmann::json j = {{"input", input_name(o)},
                            {"input_shape", shape_json({img.cols, img.rows}, info.channels)},
                            {"input_dtype", dtype_name(info.depth)},
                            {"parameters", params_json(o)},
                            {"output", target.kind == Target::file ? nlohmann::json(target.path) : nlohmann::json(nullptr)},
                            {"output_shape", shape_json(result.size(), result.channels())},
                            {"output_dtype", dtype_name(result.depth())},
                            {"milliseconds", ms}};
        if (o.grayscale || o.resize) j["input_shape"] = shape_json({info.width, info.height}, info.channels);
        if (global) j["values"] = values_json(result);
        std::cout << j.dump() << "\n";
    } else if (o.print || (global && target.kind == Target::none)) {
        std::cout << (global ? numpy_str_global(result) : numpy_str(result)) << "\n";
    }
}

}  // namespace imgpool::cli
