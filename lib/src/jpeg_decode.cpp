// Strict JPEG decoding: libjpeg with its error and warning callbacks turned into errors,
// and its decompression settings left at the defaults cv::imdecode uses, so valid
// files decode to the same pixels.
#include "jpeg_decode.hpp"

#include <csetjmp>
#include <cstddef>
#include <cstdio>  // before jpeglib.h, which uses FILE and size_t without including them
#include <string>

#include <jpeglib.h>
#include <jerror.h>  // message codes: JWRN_JPEG_EOF, ...

#include "imgpool/error.hpp"

namespace imgpool::io::detail {
namespace {

// OpenCV's default CV_IO_MAX_IMAGE_PIXELS: cv::imdecode refuses larger images too.
constexpr unsigned long long max_pixels = 1ull << 30;

// libjpeg's error manager plus where to jump back to and what went wrong.
struct ErrorManager {
    jpeg_error_mgr pub;  // first, so libjpeg's pointer to it is a pointer to this
    std::jmp_buf jump;
    int code;      // libjpeg's message code (J_MESSAGE_CODE)
    bool warning;  // a warning (bad data libjpeg would work around), not a fatal error
    char message[JMSG_LENGTH_MAX];
};

// ---- libjpeg callbacks ----
// They run inside libjpeg (C frames) and hold no C++ objects, so longjmp out of them
// skips no destructor.

[[noreturn]] void stop(j_common_ptr cinfo, bool warning) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    err->code = err->pub.msg_code;
    err->warning = warning;
    err->pub.format_message(cinfo, err->message);
    std::longjmp(err->jump, 1);
}

void on_error(j_common_ptr cinfo) {
    stop(cinfo, false);
}

// Level -1 is a warning: libjpeg found bad data and would invent pixels. Levels 0 and
// up are traces. An unknown JFIF version number says nothing about the pixels.
void on_message(j_common_ptr cinfo, int level) {
    if (level < 0 && cinfo->err->msg_code != JWRN_JFIF_MAJOR) stop(cinfo, true);
}

void no_output(j_common_ptr) {}  // libjpeg's default prints to stderr

// A decompressor that is destroyed on every path. Destroying frees all that libjpeg
// allocated and is harmless when creation never happened or failed part way (cinfo
// starts zeroed, so cinfo.mem is null).
struct Decompressor {
    jpeg_decompress_struct cinfo{};
    ErrorManager err{};

    Decompressor() {
        cinfo.err = jpeg_std_error(&err.pub);
        err.pub.error_exit = on_error;
        err.pub.emit_message = on_message;
        err.pub.output_message = no_output;
    }
    ~Decompressor() { jpeg_destroy_decompress(&cinfo); }
    Decompressor(const Decompressor&) = delete;
    Decompressor& operator=(const Decompressor&) = delete;
};

// OpenCV's CMYK -> BGR (icvCvt_CMYK2BGR_8u_C4C3R), written in RGB order so the pixels
// match cv::imdecode. libjpeg returns CMYK JPEGs as stored, which for Adobe files is
// inverted (255 = no ink); the formula then gives R = C * K / 256, roughly.
void cmyk_to_rgb(const JSAMPLE* cmyk, unsigned char* rgb, unsigned width) {
    for (unsigned i = 0; i < width; ++i, cmyk += 4, rgb += 3) {
        const int k = cmyk[3];
        for (int c = 0; c < 3; ++c) rgb[c] = static_cast<unsigned char>(k - ((255 - cmyk[c]) * k >> 8));
    }
}

// ---- Steps that call libjpeg ----
// Each runs under its own setjmp and holds no C++ objects with destructors (the
// Decompressor lives in the caller), so the longjmp from a callback is safe. They
// return false after an error or warning, described in d.err.

// Reads the headers and chooses the output colour space as OpenCV 4.6 does for
// IMREAD_UNCHANGED (grfmt_jpeg.cpp): gray for 1 component, CMYK for 4, else RGB.
// Everything else keeps libjpeg's defaults, as in OpenCV: JDCT_ISLOW, fancy
// upsampling, block smoothing, scale 1/1.
bool read_header(Decompressor& d, const unsigned char* data, std::size_t size) {
    if (setjmp(d.err.jump)) return false;
    jpeg_create_decompress(&d.cinfo);
    jpeg_mem_src(&d.cinfo, data, size);  // at the end it warns JWRN_JPEG_EOF
    jpeg_read_header(&d.cinfo, TRUE);
    const int components = d.cinfo.num_components;
    d.cinfo.out_color_space = components == 1 ? JCS_GRAYSCALE : components == 4 ? JCS_CMYK : JCS_RGB;
    return true;
}

// Decodes every row into `pixels` (rows `step` bytes apart), then reads up to the EOI
// marker so that damage after the last row is noticed too.
bool read_pixels(Decompressor& d, unsigned char* pixels, std::size_t step) {
    if (setjmp(d.err.jump)) return false;
    jpeg_decompress_struct& cinfo = d.cinfo;
    jpeg_start_decompress(&cinfo);
    const bool cmyk = cinfo.out_color_space == JCS_CMYK;
    JSAMPARRAY cmyk_row =
        cmyk ? cinfo.mem->alloc_sarray(reinterpret_cast<j_common_ptr>(&cinfo), JPOOL_IMAGE, cinfo.output_width * 4, 1)
             : nullptr;
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char* out = pixels + step * cinfo.output_scanline;
        JSAMPROW row = cmyk ? cmyk_row[0] : out;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {  // only a suspending data source returns no row
            d.err.code = JWRN_JPEG_EOF;
            return false;
        }
        if (cmyk) cmyk_to_rgb(row, out, cinfo.output_width);
    }
    jpeg_finish_decompress(&cinfo);
    return true;
}

// libjpeg's message in imgpool's style: "Corrupt JPEG data: bad Huffman code" -> "bad
// Huffman code"; a leading capital is lowered unless it starts an acronym ("JPEG").
std::string tidy(const char* message) {
    std::string s = message;
    const std::string prefix = "Corrupt JPEG data: ";
    if (s.compare(0, prefix.size(), prefix) == 0) s.erase(0, prefix.size());
    if (s.size() > 1 && s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z')) s[0] = char(s[0] - 'A' + 'a');
    return s;
}

[[noreturn]] void fail(const ErrorManager& err) {
    if (err.code == JWRN_JPEG_EOF) throw IoError("truncated JPEG data");
    if (err.code == JERR_OUT_OF_MEMORY) throw IoError("not enough memory to decode the JPEG data");
    throw IoError((err.warning ? "corrupt JPEG data: " : "corrupt or unsupported JPEG data: ") + tidy(err.message));
}

}  // namespace

cv::Mat decode_jpeg(const std::vector<unsigned char>& bytes) {
    Decompressor d;
    if (!read_header(d, bytes.data(), bytes.size())) fail(d.err);
    const unsigned width = d.cinfo.image_width, height = d.cinfo.image_height;  // libjpeg: 1..65500
    if (1ull * width * height > max_pixels)
        throw IoError("JPEG image is too large: " + std::to_string(width) + "x" + std::to_string(height) +
                      " pixels (at most 2^30)");
    cv::Mat out(static_cast<int>(height), static_cast<int>(width), d.cinfo.num_components == 1 ? CV_8UC1 : CV_8UC3);
    if (!read_pixels(d, out.data, out.step)) fail(d.err);
    return out;
}

}  // namespace imgpool::io::detail
