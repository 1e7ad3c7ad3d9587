#pragma once
// Turning any image or array into an 8-bit RGB picture for a person to look at.
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

namespace imgpool {

// none: single-channel data is shown in gray; the others are OpenCV's colormaps.
enum class Colormap { none, gray, magma, viridis, inferno, plasma, jet, turbo, hot, bone, cividis, twilight, ocean, parula };

std::optional<Colormap> colormap_named(const std::string& name);  // "magma", ... (case-insensitive)
std::vector<std::string> colormap_names();

// How values map to 0..255 when they are not already 8-bit: from the image's own
// min..max (auto), or from a fixed lo..hi (values outside clamp).
struct DisplayRange {
    bool fixed = false;
    double lo = 0, hi = 1;
};

// 8-bit RGB (CV_8UC3) picture of `img` (RGB(A) order, any depth, 1, 3 or 4 channels;
// other channel counts: the first channel). Single-channel images: normalised (8-bit
// as is unless a range is fixed) then the colormap. Colour images are shown as they are:
// 8-bit unchanged, 16-bit divided by 257, other depths normalised over all channels;
// alpha is composited over white. NaN shows as black, infinities as the ends of the
// range; a constant image (auto range) shows as mid-gray (128).
cv::Mat to_display(const cv::Mat& img, Colormap cmap, const DisplayRange& range);

}  // namespace imgpool
