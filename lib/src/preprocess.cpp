// The pre-steps, for every depth and channel count: OpenCV where it can, the same
// arithmetic in float64 where it cannot.
#include "imgpool/preprocess.hpp"

#include <climits>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "imgpool/error.hpp"

namespace imgpool {

namespace {

// Rounds float64 values half to even and saturates them to an integer depth.
// convertTo alone rounds half to even, but turns values beyond the int range into
// INT_MIN (the x86 conversion's "indefinite" result), so clamp first.
cv::Mat round_to_depth(const cv::Mat& wide, int depth) {
    double lo = 0, hi = 0;
    switch (depth) {
        case CV_8U: hi = 255; break;
        case CV_8S: lo = -128, hi = 127; break;
        case CV_16U: hi = 65535; break;
        case CV_16S: lo = -32768, hi = 32767; break;
        case CV_32S: lo = INT_MIN, hi = INT_MAX; break;
        default: break;  // floating point: nothing to clamp
    }
    cv::Mat out;
    if (hi > lo)
        cv::Mat(cv::min(cv::max(wide, lo), hi)).convertTo(out, depth);
    else
        wide.convertTo(out, depth);
    return out;
}

// Rec.601 luma computed in double, then rounded half to even and saturated back to
// the input depth: what cvtColor does, for the depths it lacks (8S, 16S, 32S, 64F).
cv::Mat luma_in_double(const cv::Mat& rgb) {
    cv::Mat src;
    rgb.convertTo(src, CV_64F);
    const int cn = src.channels();
    cv::Mat y(src.size(), CV_64F);
    for (int r = 0; r < src.rows; ++r) {
        const double* p = src.ptr<double>(r);
        double* q = y.ptr<double>(r);
        for (int x = 0; x < src.cols; ++x, p += cn) q[x] = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
    }
    return round_to_depth(y, rgb.depth());
}

int cv_interpolation(Interp interp, cv::Size from, cv::Size to) {
    switch (interp) {
        case Interp::nearest: return cv::INTER_NEAREST;
        case Interp::linear: return cv::INTER_LINEAR;
        case Interp::area: return cv::INTER_AREA;
        case Interp::cubic: return cv::INTER_CUBIC;
        case Interp::lanczos: return cv::INTER_LANCZOS4;
        case Interp::automatic: break;
    }
    // Averaging areas when shrinking avoids aliasing; it has nothing to average when growing.
    return to.width <= from.width && to.height <= from.height ? cv::INTER_AREA : cv::INTER_LINEAR;
}

// cv::resize for up to 4 channels. It lacks 8S and 32S (and 16F) except for nearest
// neighbour: those go through float64 and back, rounding half to even and saturating.
cv::Mat resize_planes(const cv::Mat& src, cv::Size size, int mode) {
    const int d = src.depth();
    const bool native =
        mode == cv::INTER_NEAREST || d == CV_8U || d == CV_16U || d == CV_16S || d == CV_32F || d == CV_64F;
    cv::Mat out;
    if (native) {
        cv::resize(src, out, size, 0, 0, mode);
        return out;
    }
    cv::Mat wide, wide_out;
    src.convertTo(wide, CV_64F);
    cv::resize(wide, wide_out, size, 0, 0, mode);
    return round_to_depth(wide_out, d);
}

}  // namespace

cv::Mat to_grayscale(const cv::Mat& rgb) {
    const int cn = rgb.channels();
    if (cn == 1) return rgb;
    if (cn != 3 && cn != 4)
        throw Error("grayscale", "grayscale needs 1, 3 (RGB) or 4 (RGBA) channels, not " + std::to_string(cn));
    const int d = rgb.depth();
    if (d != CV_8U && d != CV_16U && d != CV_32F) return luma_in_double(rgb);  // cvtColor's only depths
    cv::Mat gray;
    cv::cvtColor(rgb, gray, cn == 3 ? cv::COLOR_RGB2GRAY : cv::COLOR_RGBA2GRAY);
    return gray;
}

cv::Mat resize_to(const cv::Mat& src, cv::Size size, Interp interp) {
    if (size.width <= 0 || size.height <= 0)
        throw Error("resize", "resize size must be positive, not " + std::to_string(size.width) + "x" +
                                  std::to_string(size.height));
    if (src.empty()) throw Error("resize", "cannot resize an empty image");
    const int mode = cv_interpolation(interp, src.size(), size);
    if (src.channels() <= 4) return resize_planes(src, size, mode);
    // Beyond 4 channels cv::resize fails in some modes (area): one channel at a time.
    std::vector<cv::Mat> planes;
    cv::split(src, planes);
    for (cv::Mat& p : planes) p = resize_planes(p, size, mode);
    cv::Mat out;
    cv::merge(planes, out);
    return out;
}

}  // namespace imgpool
