// Turning any image or array into an 8-bit RGB picture (see display.hpp).
#include "imgpool/display.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "imgpool/error.hpp"

namespace imgpool {
namespace {

struct NamedMap {
    const char* name;
    Colormap map;
    int cv_code;  // cv::ColormapTypes; -1 for none/gray (no lookup table)
};

const NamedMap kMaps[] = {
    {"none", Colormap::none, -1},
    {"gray", Colormap::gray, -1},
    {"magma", Colormap::magma, cv::COLORMAP_MAGMA},
    {"viridis", Colormap::viridis, cv::COLORMAP_VIRIDIS},
    {"inferno", Colormap::inferno, cv::COLORMAP_INFERNO},
    {"plasma", Colormap::plasma, cv::COLORMAP_PLASMA},
    {"jet", Colormap::jet, cv::COLORMAP_JET},
    {"turbo", Colormap::turbo, cv::COLORMAP_TURBO},
    {"hot", Colormap::hot, cv::COLORMAP_HOT},
    {"bone", Colormap::bone, cv::COLORMAP_BONE},
    {"cividis", Colormap::cividis, cv::COLORMAP_CIVIDIS},
    {"twilight", Colormap::twilight, cv::COLORMAP_TWILIGHT},
    {"ocean", Colormap::ocean, cv::COLORMAP_OCEAN},
    {"parula", Colormap::parula, cv::COLORMAP_PARULA},
};

int cv_colormap(Colormap c) {
    for (const auto& m : kMaps)
        if (m.map == c) return m.cv_code;
    return -1;
}

// The finite min..max of `m` (CV_64F, any channel count, all channels together).
// No finite value at all: 0..0, so only the infinities (to the ends) and NaN remain.
void finite_range(const cv::Mat& m, double& lo, double& hi) {
    lo = std::numeric_limits<double>::infinity();
    hi = -lo;
    for (int y = 0; y < m.rows; ++y) {
        const double* p = m.ptr<double>(y);
        for (int i = 0; i < m.cols * m.channels(); ++i)
            if (std::isfinite(p[i])) {
                lo = std::min(lo, p[i]);
                hi = std::max(hi, p[i]);
            }
    }
    if (lo > hi) lo = hi = 0;
}

// One value on the 0..255 scale of lo..hi. NaN is black, values beyond the range
// (infinities included) clamp to the ends. A constant image (lo == hi) has no scale
// to speak of, so it shows as mid-gray (128) rather than all black or all white.
uchar to_byte(double v, double lo, double hi) {
    if (std::isnan(v)) return 0;
    if (lo == hi) return v < lo ? 0 : v > hi ? 255 : 128;
    double t = (v - lo) / (hi - lo) * 255.0;
    return static_cast<uchar>(std::lround(std::clamp(t, 0.0, 255.0)));
}

// `m` (any depth and channel count) as 8-bit through lo..hi, or its own finite
// min..max when the range is not fixed.
cv::Mat normalise(const cv::Mat& m, const DisplayRange& range) {
    cv::Mat d;
    m.convertTo(d, CV_MAKETYPE(CV_64F, m.channels()));
    double lo = range.lo, hi = range.hi;
    if (!range.fixed) finite_range(d, lo, hi);
    cv::Mat out(d.size(), CV_MAKETYPE(CV_8U, d.channels()));
    for (int y = 0; y < d.rows; ++y) {
        const double* s = d.ptr<double>(y);
        uchar* o = out.ptr<uchar>(y);
        for (int i = 0; i < d.cols * d.channels(); ++i) o[i] = to_byte(s[i], lo, hi);
    }
    return out;
}

cv::Mat gray_to_8u(const cv::Mat& g, const DisplayRange& range) {
    if (g.depth() == CV_8U && !range.fixed) return g;
    return normalise(g, range);
}

// Pixels with a NaN in any colour channel become black (not a tinted colour).
void blacken_nan(const cv::Mat& colour, cv::Mat& rgb8) {
    if (colour.depth() != CV_32F && colour.depth() != CV_64F && colour.depth() != CV_16F) return;
    cv::Mat d;
    colour.convertTo(d, CV_64FC3);
    for (int y = 0; y < d.rows; ++y)
        for (int x = 0; x < d.cols; ++x) {
            const cv::Vec3d& v = d.at<cv::Vec3d>(y, x);
            if (std::isnan(v[0]) || std::isnan(v[1]) || std::isnan(v[2])) rgb8.at<cv::Vec3b>(y, x) = cv::Vec3b(0, 0, 0);
        }
}

// Three colour channels as 8-bit: 8U as is, 16U / 257, other depths through the range
// (auto: min..max over all three channels together, so hues are kept).
cv::Mat colour_to_8u(const cv::Mat& c, const DisplayRange& range) {
    cv::Mat out;
    if (c.depth() == CV_8U) return c.clone();
    if (c.depth() == CV_16U) {
        c.convertTo(out, CV_8UC3, 1.0 / 257.0);
        return out;
    }
    out = normalise(c, range);
    blacken_nan(c, out);
    return out;
}

// Full opacity of an alpha channel of `depth`: the integer type's maximum, 1 for floats.
double alpha_max(int depth) {
    switch (depth) {
        case CV_8U: return 255.0;
        case CV_8S: return 127.0;
        case CV_16U: return 65535.0;
        case CV_16S: return 32767.0;
        case CV_32S: return 2147483647.0;
        default: return 1.0;
    }
}

// Composites `rgb` (8-bit) over white with `alpha` (any depth, scaled by alpha_max).
// A NaN alpha counts as opaque so the pixel keeps its colour.
void over_white(cv::Mat& rgb, const cv::Mat& alpha) {
    cv::Mat a;
    alpha.convertTo(a, CV_64F, 1.0 / alpha_max(alpha.depth()));
    for (int y = 0; y < rgb.rows; ++y)
        for (int x = 0; x < rgb.cols; ++x) {
            double t = a.at<double>(y, x);
            t = std::isnan(t) ? 1.0 : std::clamp(t, 0.0, 1.0);
            cv::Vec3b& p = rgb.at<cv::Vec3b>(y, x);
            for (int k = 0; k < 3; ++k) p[k] = static_cast<uchar>(std::lround(t * p[k] + (1.0 - t) * 255.0));
        }
}

cv::Mat colour_to_rgb(const cv::Mat& img, const DisplayRange& range) {
    if (img.channels() == 3) return colour_to_8u(img, range);
    cv::Mat parts[4];
    cv::split(img, parts);
    cv::Mat colour;
    cv::merge(parts, 3, colour);
    cv::Mat rgb = colour_to_8u(colour, range);
    over_white(rgb, parts[3]);
    return rgb;
}

cv::Mat gray_to_rgb(const cv::Mat& g8, Colormap cmap) {
    cv::Mat out;
    int code = cv_colormap(cmap);
    if (code < 0) {
        cv::cvtColor(g8, out, cv::COLOR_GRAY2RGB);
        return out;
    }
    cv::Mat bgr;
    cv::applyColorMap(g8, bgr, code);
    cv::cvtColor(bgr, out, cv::COLOR_BGR2RGB);  // applyColorMap paints BGR
    return out;
}

std::string number(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

}  // namespace

std::optional<Colormap> colormap_named(const std::string& name) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& m : kMaps)
        if (lower == m.name) return m.map;
    return std::nullopt;
}

std::vector<std::string> colormap_names() {
    std::vector<std::string> names;
    for (const auto& m : kMaps) names.emplace_back(m.name);
    return names;
}

cv::Mat to_display(const cv::Mat& img, Colormap cmap, const DisplayRange& range) {
    if (img.empty()) throw Error("image", "nothing to display: the image is empty");
    if (range.fixed && !(range.lo < range.hi))
        throw Error("range", "the display range needs lo < hi, got " + number(range.lo) + ".." + number(range.hi));
    const int ch = img.channels();
    if (ch == 3 || ch == 4) return colour_to_rgb(img, range);

    cv::Mat first = img;
    if (ch != 1) cv::extractChannel(img, first, 0);  // 2 or 5+ channels: not a colour image
    return gray_to_rgb(gray_to_8u(first, range), cmap);
}

}  // namespace imgpool
