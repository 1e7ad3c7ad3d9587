#pragma once
// NumPy .npy files (format versions 1.0, 2.0 and 3.0), to and from cv::Mat.
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace imgpool::npy {

// Decodes a 2-D (HxW) or 3-D (HxWxC) array. dtype mapping: bool, u1 -> CV_8U; i1 -> 8S;
// u2 -> 16U; i2 -> 16S; i4 -> 32S; f2, f4 -> 32F; f8 -> 64F; u4 -> 64F (exact);
// i8, u8 -> 64F when every value is within +-2^53, else IoError. Either byte order,
// C or Fortran order. Throws IoError naming the problem.
cv::Mat decode(const std::vector<unsigned char>& bytes);

// Encodes with the Mat's own dtype, shape (H, W) for one channel, (H, W, C) otherwise.
std::vector<unsigned char> encode(const cv::Mat& m);

// Shape and depth from the header alone (no data read): rows, cols, channels, cv depth
// after the mapping above.
struct Header {
    int rows = 0, cols = 0, channels = 1, depth = CV_8U;
};
Header probe(const std::vector<unsigned char>& bytes);

}  // namespace imgpool::npy
