#pragma once
// TIFF through libtiff directly, for the variants where the pixels are certainly the ones
// OpenCV 4.6's decoder (grfmt_tiff.cpp) gives with IMREAD_UNCHANGED, and encoding with
// its encoder's settings, so files stay comparable. The rest is left to OpenCV's codecs.
#include <opencv2/core.hpp>
#include <optional>
#include <vector>

namespace imgpool::io::detail {

// The first page, in RGB(A) order, as OpenCV reads it:
// - as stored: gray (min-is-black, 1 sample) or RGB (3 samples, or 4 with associated or
//   unspecified alpha at 8 bits); 8/16-bit unsigned and signed, 32-bit float, one-sample
//   32-bit signed and 64-bit float; with the Orientation tag applied;
// - through libtiff's RGBA reader (OpenCV's 8-bit path), top-left pages only: 8-bit
//   palette (3 channels), min-is-white and gray+alpha (1), separate planes, unassociated
//   alpha (premultiplied), YCbCr, CMYK (3 or 4, as stored), 1-bit bilevel (1);
// strips or tiles, any compression libtiff has (but old-style JPEG), predictors.
// Nothing (std::nullopt) for every other variant (16-bit palette, 2/4-bit, LogLuv, oriented
// 8-bit tiles or RGBA-read pages...): OpenCV converts, places or refuses those in its own
// ways, so they go to its decoder.
// Throws IoError "corrupt or unsupported TIFF data: <libtiff's reason>" for damaged files
// (never a partial image) and for images over 2^30 pixels (as cv::imdecode). libtiff's
// messages never reach stderr.
std::optional<cv::Mat> decode_tiff(const std::vector<unsigned char>& bytes);

// What decode_tiff would give, from the first page's directory alone (no pixels are
// decoded): size after orientation, type, and the orientation applied. Nothing when
// decode_tiff leaves the page to OpenCV. Throws IoError when libtiff refuses the file.
struct TiffShape {
    int width = 0, height = 0, type = -1, orientation = 1;
};
std::optional<TiffShape> tiff_shape(const std::vector<unsigned char>& bytes);

// What cv::imencode(".tif") writes (OpenCV 4.6): one strip per 8 KiB of rows, LZW with
// the horizontal predictor for 8- and 16-bit data, uncompressed 32- and 64-bit data;
// 1, 3 (RGB) or 4 (RGBA) channels. The bytes equal cv::imencode's for the same image.
std::vector<unsigned char> encode_tiff(const cv::Mat& rgb);

}  // namespace imgpool::io::detail
