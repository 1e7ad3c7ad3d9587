// WebP decoding and encoding with libwebp (no longjmp: it returns errors).
#include "webp_codec.hpp"

#include <webp/decode.h>
#include <webp/encode.h>

#include <algorithm>
#include <string>

#include "imgpool/error.hpp"

namespace imgpool::io::detail {
namespace {

using Bytes = std::vector<unsigned char>;

constexpr std::size_t header_size = 32;  // what OpenCV 4.6 reads the features from

int append(const std::uint8_t* data, std::size_t n, const WebPPicture* picture) {
    auto* out = static_cast<Bytes*>(picture->custom_ptr);
    try {
        out->insert(out->end(), data, data + n);
        return 1;
    } catch (...) {
        return 0;
    }
}

// Frees the picture's buffers on every path.
struct Picture {
    WebPPicture pic{};
    Picture() {
        if (!WebPPictureInit(&pic)) throw IoError("WebP encoder failed: library version mismatch");
    }
    ~Picture() { WebPPictureFree(&pic); }
    Picture(const Picture&) = delete;
    Picture& operator=(const Picture&) = delete;
};

}  // namespace

cv::Mat decode_webp(const Bytes& bytes) {
    WebPBitstreamFeatures features;
    if (bytes.size() < header_size || WebPGetFeatures(bytes.data(), header_size, &features) != VP8_STATUS_OK)
        throw IoError("corrupt or unsupported WebP data");
    cv::Mat out(features.height, features.width, features.has_alpha ? CV_8UC4 : CV_8UC3);
    const std::size_t size = out.total() * out.elemSize();
    const std::uint8_t* done = features.has_alpha
                                   ? WebPDecodeRGBAInto(bytes.data(), bytes.size(), out.data, size, int(out.step))
                                   : WebPDecodeRGBInto(bytes.data(), bytes.size(), out.data, size, int(out.step));
    if (done != out.data) throw IoError("corrupt or unsupported WebP data");
    return out;
}

// As libwebp's WebPEncode(Lossless)RGB(A), which OpenCV calls, writing straight into the
// output: the default preset at the quality (70 for lossless, as those functions use),
// but exact when lossless.
Bytes encode_webp(const cv::Mat& rgb, int quality) {
    const bool lossless = quality < 0;
    WebPConfig config;
    if (!WebPConfigPreset(&config, WEBP_PRESET_DEFAULT, lossless ? 70.f : float(quality)))
        throw IoError("WebP encoder failed: library version mismatch");
    config.lossless = lossless;
    // Unlike OpenCV (and so unlike cv::imencode's bytes for RGBA), keep the colour of fully
    // transparent pixels: libwebp would otherwise change it, and lossless would not be exact.
    config.exact = lossless;
    Picture p;
    p.pic.use_argb = lossless;
    p.pic.width = rgb.cols;
    p.pic.height = rgb.rows;
    Bytes out;
    p.pic.writer = append;
    p.pic.custom_ptr = &out;
    const int ok = rgb.channels() == 4 ? WebPPictureImportRGBA(&p.pic, rgb.data, int(rgb.step))
                                       : WebPPictureImportRGB(&p.pic, rgb.data, int(rgb.step));
    if (ok && WebPEncode(&config, &p.pic)) return out;
    if (p.pic.error_code == VP8_ENC_ERROR_BAD_DIMENSION)
        throw IoError("WebP holds at most " + std::to_string(WEBP_MAX_DIMENSION) + " pixels a side");
    throw IoError("WebP encoder failed");
}

}  // namespace imgpool::io::detail
