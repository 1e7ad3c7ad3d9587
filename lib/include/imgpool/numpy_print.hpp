#pragma once
// Text of an array exactly as NumPy's print() shows it (no summarisation, no wrapping).
#include <opencv2/core.hpp>
#include <string>

namespace imgpool {

// The array str(a) of the HxW (one channel) or HxWxC array held in `m`, with
// np.set_printoptions(threshold=sys.maxsize, linewidth=sys.maxsize), no trailing newline.
std::string numpy_str(const cv::Mat& m);

// str() of the 1-D array of the C values of a 1x1 Mat (global pooling of HxWxC), or,
// for one channel, str() of the NumPy scalar (global pooling of HxW): "9", "4.0625".
std::string numpy_str_global(const cv::Mat& m);

}  // namespace imgpool
