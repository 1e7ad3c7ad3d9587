#include "report.hpp"

#include <sys/resource.h>

#include <cmath>

#include "cli_values.hpp"
#include "imgpool/pool.hpp"

namespace imgpool::cli {

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

static std::string short_extent(Extent e) { return e.w == e.h ? std::to_string(e.w) : to_text(e); }

std::string stage_title(const PoolParams& p, cv::Size out) {
    std::string t = to_string(p.type);
    const std::string size = " -> " + std::to_string(out.width) + "x" + std::to_string(out.height);
    if (p.scope == Scope::global) return t + " global" + size;
    if (p.scope == Scope::adaptive) return t + " adaptive" + size;
    const Extent stride = effective_stride(p);
    t += " " + to_text(p.window) + " /" + short_extent(stride);
    if (p.padding.same) t += " same";
    else if (to_text(p.padding) != "valid") t += " pad " + to_text(p.padding);
    if (!(p.dilation == Extent{1, 1})) t += " dil " + short_extent(p.dilation);
    if (p.ceil_mode) t += " ceil";
    if (p.count_pad) t += " count-pad";
    const char* borders[] = {"", " zero", " replicate", " reflect"};
    return t + borders[int(p.border)] + size;
}

static nlohmann::json extent_json(Extent e) { return {{"width", e.w}, {"height", e.h}}; }

nlohmann::json shape_json(cv::Size s, int channels) {
    return channels == 1 ? nlohmann::json{s.height, s.width} : nlohmann::json{s.height, s.width, channels};
}

nlohmann::json params_json(const Options& o, const PoolParams& p) {
    const char* scopes[] = {"window", "global", "adaptive"};
    const char* borders[] = {"ignore", "zero", "replicate", "reflect"};
    nlohmann::json j = {{"type", to_string(p.type)}, {"scope", scopes[int(p.scope)]},
                        {"round", p.rounding == Rounding::half_even ? "even" : "up"}, {"repeat", o.repeat}};
    if (p.type == PoolType::lp) j["power"] = p.power;
    if (p.scope == Scope::adaptive) j["output_size"] = extent_json(p.output_size);
    if (p.scope == Scope::window) {
        j["size"] = extent_json(p.window);
        j["stride"] = extent_json(effective_stride(p));
        j["dilation"] = extent_json(p.dilation);
        j["padding"] = to_text(p.padding);
        j["ceil"] = p.ceil_mode;
        j["count_pad"] = p.count_pad;
        j["border"] = borders[int(p.border)];
    }
    j["depth"] = p.depth < 0 ? "auto" : std::string(dtype_name(p.depth));
    j["grayscale"] = o.grayscale;
    j["resize"] = o.resize ? extent_json(*o.resize) : nlohmann::json(nullptr);
    static const char* const interps[] = {"auto", "nearest", "linear", "area", "cubic", "lanczos"};
    if (o.resize) j["interp"] = interps[int(o.interp)];
    j["filter"] = o.filter.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.filter);
    j["relu"] = o.relu;
    return j;
}

nlohmann::json values_json(const cv::Mat& m) {
    cv::Mat d;
    m.reshape(1, 1).convertTo(d, CV_64F);
    nlohmann::json values = nlohmann::json::array();
    for (int i = 0; i < d.cols; ++i) {
        const double v = d.at<double>(i);
        const bool integer = m.depth() != CV_32F && m.depth() != CV_64F;
        values.push_back(!std::isfinite(v) ? nlohmann::json(nullptr)
                         : integer         ? nlohmann::json(static_cast<long long>(v))
                                           : nlohmann::json(v));
    }
    return values;
}

long peak_rss_kb() {
    rusage r{};
    return getrusage(RUSAGE_SELF, &r) == 0 ? r.ru_maxrss : 0;
}

}  // namespace imgpool::cli
