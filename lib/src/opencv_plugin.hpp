#pragma once
// OpenCV's codecs, for the formats imgpool does not read or write itself, through the
// plugin imgpool_opencv_codecs.so, loaded on first use (see opencv_plugin_abi.h for why).
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace imgpool::io::detail {

// cv::imdecode(IMREAD_UNCHANGED) in RGB(A) order. `what` names the format for messages
// ("BMP"). Throws IoError: "corrupt or unsupported BMP data", or, without the plugin,
// "reading BMP needs imgpool_opencv_codecs.so, not found in DIR, DIR...".
cv::Mat plugin_decode(const std::vector<unsigned char>& bytes, const std::string& what);

// cv::imencode(ext, RGB(A) -> BGR(A)) with OpenCV's default settings. Throws IoError like
// plugin_decode.
std::vector<unsigned char> plugin_encode(const cv::Mat& rgb, const std::string& ext, const std::string& what);

// The directories searched for the plugin, in order: $IMGPOOL_PLUGIN_DIR, the running
// program's directory, <that>/../lib/imgpool, <that>/../<libdir>/imgpool, and the
// directory it is installed to.
std::vector<std::string> plugin_search_path();

}  // namespace imgpool::io::detail
