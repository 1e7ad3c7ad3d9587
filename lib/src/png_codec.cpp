// PNG decoding and encoding with libpng. libpng reports errors by longjmp: every step
// that calls it runs under its own setjmp and holds no C++ object with a destructor; the
// objects (the libpng structs' owner, the Mat, the output bytes) live in the callers.
#include "png_codec.hpp"

#include <png.h>
#include <zlib.h>  // Z_BEST_SPEED, Z_RLE

#include <csetjmp>
#include <cstring>
#include <string>

#include "imgpool/error.hpp"
#include "png_parallel.hpp"

namespace imgpool::io::detail {
namespace {

using Bytes = std::vector<unsigned char>;

// OpenCV's default CV_IO_MAX_IMAGE_PIXELS: cv::imdecode refuses larger images too.
constexpr unsigned long long max_pixels = 1ull << 30;

// Where libpng reads from, in memory.
struct Source {
    const unsigned char* data;
    std::size_t size;
    std::size_t pos;
};

// ---- libpng callbacks (C frames around them: no exception may leave them) ----

[[noreturn]] void on_error(png_structp png, png_const_charp) {
    png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // libpng's default prints to stderr

void read_bytes(png_structp png, png_bytep out, std::size_t n) {
    auto* src = static_cast<Source*>(png_get_io_ptr(png));
    if (n > src->size - src->pos) png_error(png, "truncated");
    std::memcpy(out, src->data + src->pos, n);
    src->pos += n;
}

void read_file(png_structp png, png_bytep out, std::size_t n) {
    if (std::fread(out, 1, n, static_cast<std::FILE*>(png_get_io_ptr(png))) != n) png_error(png, "truncated");
}

void write_bytes(png_structp png, png_bytep data, std::size_t n) {
    auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
    bool ok = true;
    try {
        out->insert(out->end(), data, data + n);
    } catch (...) {
        ok = false;
    }
    if (!ok) png_error(png, "out of memory");
}

void flush_nothing(png_structp) {}

// libpng's read structs, destroyed on every path, and where they read from.
struct Reader {
    png_structp png = nullptr;
    png_infop info = nullptr, end = nullptr;
    void* source;
    png_rw_ptr read;

    Reader(void* source_, png_rw_ptr read_) : source(source_), read(read_) {
        png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, on_error, on_warning);
        if (png) info = png_create_info_struct(png);
        if (png) end = png_create_info_struct(png);
        if (png && info && end) return;
        png_destroy_read_struct(&png, &info, &end);  // no destructor after a throwing constructor
        throw IoError("not enough memory to decode the PNG data");
    }
    ~Reader() { png_destroy_read_struct(&png, &info, &end); }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
};

struct Header {
    png_uint_32 width = 0, height = 0;
    int bits = 0, colour = 0;
    int channels = 0;  // what OpenCV 4.6 returns
};

// ---- Steps that call libpng; false after a libpng error ----

bool read_header(Reader& r, Header& h) {
    if (setjmp(png_jmpbuf(r.png))) return false;
    png_set_read_fn(r.png, r.source, r.read);
    png_read_info(r.png, r.info);
    png_get_IHDR(r.png, r.info, &h.width, &h.height, &h.bits, &h.colour, nullptr, nullptr, nullptr);
    switch (h.colour) {
        case PNG_COLOR_TYPE_RGB:
        case PNG_COLOR_TYPE_PALETTE: {
            png_bytep trans = nullptr;
            int num_trans = 0;
            png_color_16p values = nullptr;
            png_get_tRNS(r.png, r.info, &trans, &num_trans, &values);  // counts only a valid tRNS
            h.channels = num_trans > 0 ? 4 : 3;
            break;
        }
        case PNG_COLOR_TYPE_GRAY_ALPHA:
        case PNG_COLOR_TYPE_RGB_ALPHA: h.channels = 4; break;
        default: h.channels = 1;
    }
    return true;
}

// The transformations OpenCV 4.6 sets for IMREAD_UNCHANGED, but png_set_bgr. `rows_done`
// (may be null) hears of each row finished; it runs outside libpng's calls, so it may throw.
bool read_pixels(Reader& r, const Header& h, unsigned char* pixels, std::size_t step, std::size_t row_bytes,
                 const std::function<void(int)>* rows_done) {
    if (setjmp(png_jmpbuf(r.png))) return false;
    png_set_swap(r.png);  // 16-bit samples in the machine's (little-endian) order
    if (h.channels < 4)
        png_set_strip_alpha(r.png);
    else
        png_set_tRNS_to_alpha(r.png);
    if (h.colour == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r.png);
    if ((h.colour & PNG_COLOR_MASK_COLOR) == 0 && h.bits < 8) png_set_expand_gray_1_2_4_to_8(r.png);
    if ((h.colour & PNG_COLOR_MASK_COLOR) == 0 && h.channels > 1) png_set_gray_to_rgb(r.png);
    if (h.channels == 1) png_set_rgb_to_gray(r.png, 1, 0.299, 0.587);  // as OpenCV; gray stays as it is
    const int passes = png_set_interlace_handling(r.png);
    png_read_update_info(r.png, r.info);
    if (png_get_rowbytes(r.png, r.info) != row_bytes) png_error(r.png, "unexpected row size");
    for (int pass = 0; pass < passes; ++pass)
        for (png_uint_32 y = 0; y < h.height; ++y) {
            png_read_row(r.png, pixels + step * y, nullptr);
            if (rows_done && pass + 1 == passes) (*rows_done)(int(y + 1));
        }
    png_read_end(r.png, r.end);  // a file without its end is refused, as by OpenCV
    return true;
}

// libpng's write structs, destroyed on every path.
struct Writer {
    png_structp png = nullptr;
    png_infop info = nullptr;

    Writer() {
        png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, on_error, on_warning);
        if (png) info = png_create_info_struct(png);
        if (png && info) return;
        png_destroy_write_struct(&png, &info);  // no destructor after a throwing constructor
        throw IoError("not enough memory to encode PNG");
    }
    ~Writer() { png_destroy_write_struct(&png, &info); }
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
};

void set_header(Writer& w, const cv::Mat& m) {
    const int channels = m.channels();
    const int colour = channels == 1 ? PNG_COLOR_TYPE_GRAY : channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA;
    png_set_IHDR(w.png, w.info, png_uint_32(m.cols), png_uint_32(m.rows), m.depth() == CV_8U ? 8 : 16, colour,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
}

bool write_png(Writer& w, const cv::Mat& m, int level, Bytes& out) {
    if (setjmp(png_jmpbuf(w.png))) return false;
    png_set_write_fn(w.png, &out, write_bytes, flush_nothing);
    if (level >= 0) {
        png_set_compression_level(w.png, level);
        png_set_compression_strategy(w.png, Z_DEFAULT_STRATEGY);
    } else {
        png_set_filter(w.png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
        png_set_compression_level(w.png, Z_BEST_SPEED);
        png_set_compression_strategy(w.png, Z_RLE);
    }
    set_header(w, m);
    png_write_info(w.png, w.info);
    png_set_swap(w.png);
    for (int y = 0; y < m.rows; ++y) png_write_row(w.png, m.ptr(y));
    png_write_end(w.png, w.info);
    return true;
}

// The signature and the chunks before the image data, as write_png writes them.
bool write_png_header(Writer& w, const cv::Mat& m, Bytes& out) {
    if (setjmp(png_jmpbuf(w.png))) return false;
    png_set_write_fn(w.png, &out, write_bytes, flush_nothing);
    set_header(w, m);
    png_write_info(w.png, w.info);
    return true;
}

cv::Mat decode(Reader& r, const PngProgress* progress = nullptr) {
    Header h;
    if (!read_header(r, h)) throw IoError("corrupt or unsupported PNG data");
    if (1ull * h.width * h.height > max_pixels)
        throw IoError("PNG image is too large: " + std::to_string(h.width) + "x" + std::to_string(h.height) +
                      " pixels (at most 2^30)");
    cv::Mat out(int(h.height), int(h.width), CV_MAKETYPE(h.bits == 16 ? CV_16U : CV_8U, h.channels));
    std::function<void(int)> rows_done;
    if (progress) {
        (*progress)(out, 0);
        rows_done = [&](int rows) { (*progress)(out, rows); };
    }
    if (!read_pixels(r, h, out.data, out.step, std::size_t(out.cols) * out.elemSize(), progress ? &rows_done : nullptr))
        throw IoError("corrupt or unsupported PNG data");
    return out;
}

}  // namespace

cv::Mat decode_png(const Bytes& bytes) {
    Source src{bytes.data(), bytes.size(), 0};
    Reader r(&src, read_bytes);
    return decode(r);
}

cv::Mat decode_png(std::FILE* file) {
    Reader r(file, read_file);
    return decode(r);
}

cv::Mat decode_png(std::FILE* file, const PngProgress& progress) {
    Reader r(file, read_file);
    return decode(r, &progress);
}

void append_png_header(const cv::Mat& m, Bytes& out) {
    Writer w;
    if (!write_png_header(w, m, out)) throw IoError("PNG encoder failed");
}

Bytes encode_png(const cv::Mat& rgb, int level) {
    return encode_png(rgb, level, png_piece_bytes);
}

Bytes encode_png(const cv::Mat& rgb, int level, std::size_t piece_bytes) {
    Bytes out;
    if (png_in_pieces(rgb, piece_bytes)) {
        append_png_header(rgb, out);
        append_png_pieces(rgb, level, piece_bytes, out);
        return out;
    }
    Writer w;
    // Room for the uncompressed rows: never reallocated, and pages never written cost nothing.
    out.reserve(rgb.total() * rgb.elemSize() + std::size_t(rgb.rows) + 1024);
    if (!write_png(w, rgb, level, out)) throw IoError("PNG encoder failed");
    return out;
}

}  // namespace imgpool::io::detail
