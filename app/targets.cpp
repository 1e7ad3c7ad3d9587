#include "targets.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "imgpool/pool.hpp"
#include "naming.hpp"
#include "report.hpp"
#include "run.hpp"

namespace fs = std::filesystem;

namespace imgpool::cli {
namespace {

io::Format format_named(const std::string& name) { return io::format_from_path("x." + name); }

io::Format checked_format_named(const std::string& name) {
    const io::Format f = format_named(name);
    if (f == io::Format::unknown) throw Failure{usage, "--format", "'" + name + "' is not a format imgpool writes"};
    return f;
}

// "out.png" -> "out.max.png": one file per type when several are listed.
std::string with_type(const std::string& path, PoolType t) {
    const fs::path p(path);
    return (p.parent_path() / (p.stem().string() + "." + to_string(t) + p.extension().string())).string();
}

// A file target named by the user: its format from the extension, or --format.
Target named_file(const std::string& path, const std::string& format_flag, const char* flag) {
    Target t;
    t.kind = Target::file;
    t.path = path;
    t.ext = fs::path(path).extension().string();
    t.format = io::format_from_path(path);
    if (!format_flag.empty()) {
        const io::Format named = checked_format_named(format_flag);
        if (t.format != io::Format::unknown && t.format != named)
            throw Failure{usage, "--format", "'" + format_flag + "' contradicts the extension of " + path};
        t.format = named;
    }
    if (t.format == io::Format::unknown)
        throw Failure{usage, flag, "cannot tell the format of '" + path + "': use an extension such as .png or .npy, or --format"};
    return t;
}

void check_file_target(const Target& t, const Options& o) {
    if (t.kind != Target::file) return;
    std::error_code ec;
    if (o.input != "-" && fs::exists(t.path, ec) && fs::equivalent(t.path, o.input, ec))
        throw Failure{io_failure, t.path, "is the input; imgpool never overwrites its input"};
    if (!o.overwrite && fs::exists(t.path, ec)) throw Failure{io_failure, t.path, "exists (use --overwrite to replace it)"};
}

}  // namespace

Target resolve_target(const Options& o, const PoolParams& p, size_t type_index, io::Format input_format, int depth,
                      int channels) {
    Target t;
    const bool several = o.types.size() > 1;
    if (!o.outputs.empty()) {
        t = named_file(o.outputs.at(type_index), o.format, "--output");
    } else if (o.output == "-") {
        t.kind = Target::stdout_;
        t.format = o.format.empty() ? input_format : checked_format_named(o.format);
        t.ext = "." + (o.format.empty() ? std::string(io::extension(input_format)) : o.format);
    } else if (!o.output.empty()) {
        t = named_file(several ? with_type(o.output, p.type) : o.output, o.format, "--output");
    } else if (o.print || o.json || !o.compare.empty() || p.scope == Scope::global) {
        return t;  // nothing is written without -o when the run shows its result
    } else {
        t.kind = Target::file;
        t.format = o.format.empty() ? input_format : checked_format_named(o.format);
        // The input's own extension, unless it is missing or names another format than its content.
        const std::string input_ext = fs::path(o.input).extension().string();
        const bool ext_fits = !input_ext.empty() && io::format_from_path(o.input) == input_format;
        t.ext = !o.format.empty() ? "." + o.format : ext_fits ? input_ext : "." + std::string(io::extension(input_format));
        if (o.format.empty() && io::cannot_hold(t.format, depth, channels)) {  // a PPM's gray result (--grayscale): PGM
            const io::Format sibling = t.format == io::Format::ppm   ? io::Format::pgm
                                       : t.format == io::Format::pgm ? io::Format::ppm
                                                                     : t.format;
            if (!io::cannot_hold(sibling, depth, channels)) t.format = sibling, t.ext = "." + std::string(io::extension(sibling));
        }
        if (o.format.empty() && io::cannot_hold(t.format, depth, channels)) {  // e.g. a float average of a PNG: keep it exact
            spdlog::info("{} cannot hold a {} result; writing .npy", io::extension(t.format), dtype_name(depth));
            t.format = io::Format::npy;
            t.ext = ".npy";
        }
        t.path = default_output_name(o, p, t.ext);
    }
    if (auto why = io::cannot_hold(t.format, depth, channels)) throw Failure{io_failure, t.name(), *why};
    check_file_target(t, o);
    return t;
}

Target resolve_sheet_target(const Options& o) {
    Target t = named_file(o.compare, "", "--compare");
    if (auto why = io::cannot_hold(t.format, CV_8U, 3)) throw Failure{io_failure, t.path, *why};
    check_file_target(t, o);
    return t;
}

void write_target(const Target& t, const cv::Mat& m, const Options& o) {
    if (t.kind == Target::none) return;
    io::EncodeOptions enc;
    enc.quality = o.quality;
    enc.png_compression = o.png_compression;
    io::Bytes bytes;
    try {
        bytes = io::encode(m, t.format, enc);
    } catch (const IoError& e) {
        throw Failure{io_failure, t.name(), e.what()};
    }
    write_encoded(t, bytes, m, o);
}

void write_encoded(const Target& t, const io::Bytes& bytes, const cv::Mat& m, const Options& o) {
    try {
        if (t.kind == Target::file) {
            io::write_file_atomic(t.path, bytes, o.overwrite);
            // One line per file is for single runs; a batch says it in its summary.
            spdlog::log(o.outputs.empty() ? spdlog::level::info : spdlog::level::debug, "wrote {}: {}", t.path,
                        shape_text(m.size(), m.channels(), m.depth()));
        } else if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0) {
            throw IoError("write failed");
        }
    } catch (const IoError& e) {
        throw Failure{io_failure, t.name(), e.what()};
    }
}

}  // namespace imgpool::cli
