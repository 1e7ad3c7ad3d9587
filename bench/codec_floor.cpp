// The codec floor of bench/process.sh: the work any tool must do to pool a JPEG or PNG file to
// half size, and nothing else. Decodes the whole input with libjpeg or libpng (the libraries
// imgpool links), then encodes its top-left quarter (as many pixels as a 2x2 pooled result)
// to OUT in the same format. No OpenCV, no pooling, no colour swap: a lower bound for
// `imgpool IN -t max -k 2 -o OUT` on the same machine.
//
//   imgpool_codec_floor IN OUT [JPEG_QUALITY [PNG_LEVEL]]
//
// JPEG: quality JPEG_QUALITY (default 90), libjpeg's defaults otherwise (4:2:0, islow DCT,
// no optimised Huffman tables), as OpenCV's writer. PNG: zlib level PNG_LEVEL 0..9 with
// libpng's default filters and strategy, or -1 (default): what OpenCV 4.6 writes when given
// no level (zlib level 1, Z_RLE, the Sub filter only).
// clang-format off
#include <cstdio>  // before jpeglib.h, which uses FILE without including it
#include <jpeglib.h>
// clang-format on
#include <png.h>
#include <zlib.h>

#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "imgpool_codec_floor: %s\n", what.c_str());
    std::exit(1);
}

std::vector<unsigned char> read_file(const char* path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) fail(std::string("cannot open ") + path);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

struct Image {
    int width = 0, height = 0, channels = 0;
    std::vector<unsigned char> pixels;  // rows of width * channels bytes
    unsigned char* row(int y) { return pixels.data() + std::size_t(y) * std::size_t(width) * std::size_t(channels); }
};

// ---- JPEG ----

struct JpegError {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
};

void on_jpeg_error(j_common_ptr c) { std::longjmp(reinterpret_cast<JpegError*>(c->err)->jump, 1); }

// Decompressor and compressor live outside the setjmp frames, so the longjmp is safe.
jpeg_decompress_struct dinfo;
jpeg_compress_struct cinfo;

Image decode_jpeg(const std::vector<unsigned char>& data) {
    JpegError err{};
    dinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = on_jpeg_error;
    if (setjmp(err.jump)) fail("corrupt JPEG");
    jpeg_create_decompress(&dinfo);
    jpeg_mem_src(&dinfo, data.data(), static_cast<unsigned long>(data.size()));
    jpeg_read_header(&dinfo, TRUE);
    dinfo.out_color_space = dinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&dinfo);
    Image im;
    im.width = int(dinfo.output_width);
    im.height = int(dinfo.output_height);
    im.channels = dinfo.output_components;
    im.pixels.resize(std::size_t(im.width) * std::size_t(im.height) * std::size_t(im.channels));
    while (dinfo.output_scanline < dinfo.output_height) {
        JSAMPROW r = im.row(int(dinfo.output_scanline));
        jpeg_read_scanlines(&dinfo, &r, 1);
    }
    jpeg_finish_decompress(&dinfo);
    jpeg_destroy_decompress(&dinfo);
    return im;
}

void encode_jpeg(Image& im, int w, int h, const char* path, int quality) {
    std::FILE* f = std::fopen(path, "wb");
    if (!f) fail(std::string("cannot write ") + path);
    JpegError err{};
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = on_jpeg_error;
    if (setjmp(err.jump)) fail("JPEG encoding failed");
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, f);
    cinfo.image_width = JDIMENSION(w);
    cinfo.image_height = JDIMENSION(h);
    cinfo.input_components = im.channels;
    cinfo.in_color_space = im.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW r = im.row(int(cinfo.next_scanline));  // the first w pixels of the row
        jpeg_write_scanlines(&cinfo, &r, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    if (std::fclose(f) != 0) fail(std::string("cannot write ") + path);
}

// ---- PNG ----

struct PngSource {
    const std::vector<unsigned char>* data;
    std::size_t at;
};

void png_read_mem(png_structp p, png_bytep out, png_size_t n) {
    auto* s = static_cast<PngSource*>(png_get_io_ptr(p));
    if (s->at + n > s->data->size()) png_error(p, "truncated");
    std::memcpy(out, s->data->data() + s->at, n);
    s->at += n;
}

Image decode_png(const std::vector<unsigned char>& data) {
    png_structp p = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(p);
    if (!p || !info) fail("out of memory");
    Image im;
    if (setjmp(png_jmpbuf(p))) fail("corrupt PNG");
    PngSource src{&data, 0};
    png_set_read_fn(p, &src, png_read_mem);
    png_read_info(p, info);
    if (png_get_bit_depth(p, info) != 8 || (png_get_color_type(p, info) & PNG_COLOR_MASK_PALETTE))
        fail("only 8-bit gray, RGB or RGBA PNGs (the benchmark's inputs)");
    im.width = int(png_get_image_width(p, info));
    im.height = int(png_get_image_height(p, info));
    im.channels = png_get_channels(p, info);
    im.pixels.resize(std::size_t(im.width) * std::size_t(im.height) * std::size_t(im.channels));
    std::vector<png_bytep> rows(std::size_t(im.height));
    for (int y = 0; y < im.height; ++y) rows[std::size_t(y)] = im.row(y);
    png_read_image(p, rows.data());
    png_read_end(p, nullptr);
    png_destroy_read_struct(&p, &info, nullptr);
    return im;
}

void encode_png(Image& im, int w, int h, const char* path, int level) {
    std::FILE* f = std::fopen(path, "wb");
    if (!f) fail(std::string("cannot write ") + path);
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(p);
    if (!p || !info) fail("out of memory");
    if (setjmp(png_jmpbuf(p))) fail("PNG encoding failed");
    png_init_io(p, f);
    if (level >= 0) {
        png_set_compression_level(p, level);
    } else {  // OpenCV 4.6's choice when given no level (grfmt_png.cpp)
        png_set_filter(p, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
        png_set_compression_level(p, Z_BEST_SPEED);
        png_set_compression_strategy(p, Z_RLE);
    }
    const int type = im.channels == 1 ? PNG_COLOR_TYPE_GRAY : im.channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA;
    png_set_IHDR(p, info, png_uint_32(w), png_uint_32(h), 8, type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE,
                 PNG_FILTER_TYPE_BASE);
    png_write_info(p, info);
    for (int y = 0; y < h; ++y) png_write_row(p, im.row(y));
    png_write_end(p, info);
    png_destroy_write_struct(&p, &info);
    if (std::fclose(f) != 0) fail(std::string("cannot write ") + path);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 5) {
        std::fprintf(stderr, "usage: %s IN OUT [JPEG_QUALITY [PNG_LEVEL]]\n", argv[0]);
        return 2;
    }
    const int quality = argc > 3 ? std::atoi(argv[3]) : 90;
    const int png_level = argc > 4 ? std::atoi(argv[4]) : -1;
    const std::vector<unsigned char> data = read_file(argv[1]);
    const bool png = data.size() >= 8 && png_sig_cmp(data.data(), 0, 8) == 0;
    Image im = png ? decode_png(data) : decode_jpeg(data);
    if (png)
        encode_png(im, im.width / 2, im.height / 2, argv[2], png_level);
    else
        encode_jpeg(im, im.width / 2, im.height / 2, argv[2], quality);
    return 0;
}
