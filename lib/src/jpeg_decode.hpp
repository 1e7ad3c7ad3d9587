#pragma once
// Strict JPEG decoding with libjpeg(-turbo). cv::imdecode accepts truncated and
// corrupt JPEG data: libjpeg only prints a warning on stderr and fills in made-up
// pixels. Here every libjpeg warning is an error and nothing is printed.
#include <opencv2/core.hpp>
#include <vector>

namespace imgpool::io::detail {

// Decodes a whole JPEG file to 8-bit pixels: 1 channel for grayscale JPEG, else 3
// channels in RGB order (CMYK/YCCK converted as OpenCV does). For valid files the
// pixels are identical to cv::imdecode(IMREAD_UNCHANGED) after BGR -> RGB.
// Throws IoError: "truncated JPEG data", "corrupt JPEG data: <what libjpeg saw>",
// "corrupt or unsupported JPEG data: <libjpeg's error>", or a size/memory reason.
cv::Mat decode_jpeg(const std::vector<unsigned char>& bytes);

}  // namespace imgpool::io::detail
