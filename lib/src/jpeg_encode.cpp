// JPEG encoding. libjpeg reports errors by longjmp from its error_exit callback: the step
// that calls it runs under its own setjmp and holds no C++ object with a destructor.
#include "jpeg_encode.hpp"

#include <csetjmp>
#include <cstddef>
#include <cstdio>  // before jpeglib.h, which uses FILE and size_t without including them

#include <jpeglib.h>
#include <jerror.h>  // ERREXIT

#include "imgpool/error.hpp"

namespace imgpool::io::detail {
namespace {

using Bytes = std::vector<unsigned char>;

struct ErrorManager {
    jpeg_error_mgr pub;  // first, so libjpeg's pointer to it is a pointer to this
    std::jmp_buf jump;
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
    std::longjmp(reinterpret_cast<ErrorManager*>(cinfo->err)->jump, 1);
}

void no_output(j_common_ptr) {}

// A destination that appends to a byte vector, growing it by doubling.
struct Destination {
    jpeg_destination_mgr pub;  // first, so libjpeg's pointer to it is a pointer to this
    Bytes* out;
};

void init_destination(j_compress_ptr cinfo) {
    auto* d = reinterpret_cast<Destination*>(cinfo->dest);
    d->pub.next_output_byte = d->out->data();
    d->pub.free_in_buffer = d->out->size();
}

boolean grow_destination(j_compress_ptr cinfo) {
    auto* d = reinterpret_cast<Destination*>(cinfo->dest);
    const std::size_t used = d->out->size();  // libjpeg asks when the buffer is full
    bool ok = true;
    try {
        d->out->resize(used * 2);
    } catch (...) {
        ok = false;
    }
    if (!ok) ERREXIT(cinfo, JERR_OUT_OF_MEMORY);
    d->pub.next_output_byte = d->out->data() + used;
    d->pub.free_in_buffer = d->out->size() - used;
    return TRUE;
}

void term_destination(j_compress_ptr cinfo) {
    auto* d = reinterpret_cast<Destination*>(cinfo->dest);
    d->out->resize(d->out->size() - d->pub.free_in_buffer);
}

struct Compressor {
    jpeg_compress_struct cinfo{};
    ErrorManager err{};
    Destination dest{};

    explicit Compressor(Bytes& out) {
        cinfo.err = jpeg_std_error(&err.pub);
        err.pub.error_exit = on_error;
        err.pub.output_message = no_output;
        dest.out = &out;
        dest.pub.init_destination = init_destination;
        dest.pub.empty_output_buffer = grow_destination;
        dest.pub.term_destination = term_destination;
    }
    ~Compressor() { jpeg_destroy_compress(&cinfo); }
    Compressor(const Compressor&) = delete;
    Compressor& operator=(const Compressor&) = delete;
};

// OpenCV 4.6's JpegEncoder::write with its default parameters: jpeg_set_defaults, then
// the quality limited to baseline tables; no progression, no optimized Huffman tables.
bool compress(Compressor& c, const cv::Mat& m, int quality) {
    if (setjmp(c.err.jump)) return false;
    jpeg_compress_struct& cinfo = c.cinfo;
    jpeg_create_compress(&cinfo);
    cinfo.dest = &c.dest.pub;
    cinfo.image_width = JDIMENSION(m.cols);
    cinfo.image_height = JDIMENSION(m.rows);
    cinfo.input_components = m.channels();
    cinfo.in_color_space = m.channels() == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    cinfo.restart_interval = 0;
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = const_cast<JSAMPROW>(m.ptr(int(cinfo.next_scanline)));
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    return true;
}

}  // namespace

Bytes encode_jpeg(const cv::Mat& rgb, int quality) {
    // A first guess at the size; grown by doubling when libjpeg needs more.
    Bytes out(rgb.total() * rgb.elemSize() / 4 + 4096);
    Compressor c(out);
    if (!compress(c, rgb, quality < 0 ? 95 : quality)) throw IoError("JPEG encoder failed");
    return out;
}

}  // namespace imgpool::io::detail
