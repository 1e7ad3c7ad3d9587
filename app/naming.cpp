#include "naming.hpp"

#include <filesystem>
#include <sstream>

#include "cli_values.hpp"
#include "imgpool/pool.hpp"

namespace imgpool::cli {
namespace {

std::string short_extent(Extent e) { return e.w == e.h ? std::to_string(e.w) : to_text(e); }

std::string padding_tag(const Padding& p) {
    if (p.same) return "-same";
    if (p.left == p.right && p.top == p.bottom) {
        const Extent axes{p.left, p.top};
        return axes == Extent{0, 0} ? "" : "-p" + short_extent(axes);
    }
    return "-p" + to_text(p);
}

const char* depth_tag(int depth) {
    switch (depth) {
    case CV_8U: return "-u8";
    case CV_8S: return "-s8";
    case CV_16U: return "-u16";
    case CV_16S: return "-s16";
    case CV_32S: return "-s32";
    case CV_32F: return "-f32";
    case CV_64F: return "-f64";
    default: return "";
    }
}

}  // namespace

std::string operation_tag(const Options& o, const PoolParams& p) {
    std::string tag = to_string(p.type);
    switch (p.scope) {
    case Scope::global: tag += "-global"; break;
    case Scope::adaptive: tag += "-out" + to_text(p.output_size); break;
    case Scope::window:
        tag += "-" + to_text(p.window) + "-s" + to_text(effective_stride(p)) + padding_tag(p.padding);
        if (!(p.dilation == Extent{1, 1})) tag += "-d" + short_extent(p.dilation);
        if (p.ceil_mode) tag += "-ceil";
        if (p.count_pad) tag += "-countpad";
        static const char* const borders[] = {"", "-zero", "-replicate", "-reflect"};
        tag += borders[int(p.border)];
        break;
    }
    if (p.rounding == Rounding::half_up) tag += "-up";
    if (p.type == PoolType::lp && p.power != 2) {
        std::ostringstream power;
        power << p.power;
        tag += "-pow" + power.str();
    }
    tag += depth_tag(p.depth);
    if (o.repeat > 1) tag += "-x" + std::to_string(o.repeat);
    if (o.grayscale) tag += "-gray";
    if (o.resize) tag += "-r" + to_text(*o.resize);
    static const char* const interps[] = {"", "-nearest", "-linear", "-area", "-cubic", "-lanczos"};
    if (o.resize) tag += interps[int(o.interp)];
    if (!o.filter.empty()) tag += "-f" + std::filesystem::path(o.filter).stem().string();
    if (!o.filter.empty() && o.filter_padding == FilterPadding::valid) tag += "-fvalid";
    if (o.relu) tag += "-relu";
    return tag;
}

std::string default_output_name(const Options& o, const PoolParams& p, const std::string& ext) {
    const std::filesystem::path in(o.input);
    return (in.parent_path() / (in.stem().string() + "." + operation_tag(o, p) + ext)).string();
}

}  // namespace imgpool::cli
