// imgpool_opencv_codecs.so: OpenCV's codecs behind the small C interface of
// opencv_plugin_abi.h, for the formats imgpool does not decode itself (BMP, PNM, rare TIFF variants,
// EXR, HDR, PFM, PAM, Sun raster, JPEG 2000). Loaded by lib/src/opencv_plugin.cpp.
#include <algorithm>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "opencv_plugin_abi.h"

namespace {

void set_error(char* err, std::size_t size, const std::string& message) {
    if (size == 0) return;
    const std::size_t n = std::min(size - 1, message.size());
    std::memcpy(err, message.data(), n);
    err[n] = '\0';
}

// OpenCV's first line, without the file and function it comes from.
std::string reason(const cv::Exception& e) {
    return e.err.substr(0, e.err.find('\n'));
}

// BGR(A) <-> RGB(A) from `src` into `dst` (same size and type); other channel counts copied.
void swap_red_blue(const cv::Mat& src, cv::Mat& dst) {
    if (src.channels() == 3 || src.channels() == 4) {
        const int pairs[] = {0, 2, 1, 1, 2, 0, 3, 3};
        cv::mixChannels(&src, 1, &dst, 1, pairs, std::size_t(src.channels()));
    } else {
        src.copyTo(dst);
    }
}

// Runs `f` (which returns 0 or nonzero), turning an exception into 1 and a reason: none
// may cross the C interface.
template <class F>
int guarded(char* err, std::size_t err_size, F&& f) {
    try {
        return f();
    } catch (const cv::Exception& e) {
        set_error(err, err_size, reason(e));
    } catch (const std::exception& e) {
        set_error(err, err_size, e.what());
    } catch (...) {
        set_error(err, err_size, "unknown error");
    }
    return 1;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int imgpool_plugin_abi_version(void) {
    return IMGPOOL_PLUGIN_ABI_VERSION;
}

__attribute__((visibility("default"))) int imgpool_plugin_decode(const unsigned char* data, size_t size,
                                                                 imgpool_alloc_fn alloc, void* ctx, char* err,
                                                                 size_t err_size) {
    return guarded(err, err_size, [&] {
        const cv::Mat bytes(1, int(size), CV_8U, const_cast<unsigned char*>(data));
        cv::Mat bgr;
        try {
            bgr = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);  // keeps 16-bit depth and alpha
        } catch (const cv::Exception&) {
            // Some decoders throw on bad data, others return nothing: both mean the same.
        }
        if (bgr.empty()) {
            set_error(err, err_size, "");
            return 1;
        }
        std::size_t step = 0;
        unsigned char* out = alloc(ctx, bgr.rows, bgr.cols, bgr.type(), &step);
        if (!out) {
            set_error(err, err_size, "not enough memory for the decoded image");
            return 1;
        }
        cv::Mat rgb(bgr.rows, bgr.cols, bgr.type(), out, step);
        swap_red_blue(bgr, rgb);
        return 0;
    });
}

__attribute__((visibility("default"))) int imgpool_plugin_encode(const char* ext, int rows, int cols, int type,
                                                                 const unsigned char* pixels, size_t step,
                                                                 imgpool_sink_fn sink, void* ctx, char* err,
                                                                 size_t err_size) {
    return guarded(err, err_size, [&] {
        const cv::Mat rgb(rows, cols, type, const_cast<unsigned char*>(pixels), step);
        cv::Mat bgr(rows, cols, type);
        swap_red_blue(rgb, bgr);
        std::vector<unsigned char> out;
        if (!cv::imencode(ext, bgr, out) || out.empty()) {
            set_error(err, err_size, "");
            return 1;
        }
        if (!sink(ctx, out.data(), out.size())) {
            set_error(err, err_size, "not enough memory for the encoded image");
            return 1;
        }
        return 0;
    });
}

}  // extern "C"
