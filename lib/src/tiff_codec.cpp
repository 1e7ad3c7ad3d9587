// TIFF decoding and encoding with libtiff, from and to memory. libtiff reports errors by
// return values (no longjmp); its messages go to per-file handlers that keep the first
// error for our message and drop the rest, so nothing reaches stderr.
#include "tiff_codec.hpp"

#include <tiffio.h>

#include <algorithm>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "exif.hpp"
#include "imgpool/error.hpp"

namespace imgpool::io::detail {
namespace {

using Bytes = std::vector<unsigned char>;

// OpenCV's default CV_IO_MAX_IMAGE_PIXELS: cv::imdecode refuses larger images too.
constexpr std::uint64_t max_pixels = 1ull << 30;
// OpenCV 4.6 reads a strip or tile into one buffer below 1 GiB (95% of it for 8-bit data,
// read as RGBA): larger ones take other paths there, so they are left to it.
constexpr std::uint64_t max_tile_bytes = (1ull << 30) * 95 / 100;
// libtiff's largest single allocation (its buffers for compressed strips and tiles): a
// hostile header cannot make it ask for more.
constexpr tmsize_t max_libtiff_alloc = tmsize_t(1) << 30;

// ---- Memory files for libtiff (C callbacks: no exception may leave them) ----

struct MemoryFile {
    const unsigned char* data = nullptr;  // reading
    Bytes* out = nullptr;                 // writing
    std::uint64_t size = 0, pos = 0;
    char error[256] = "";  // libtiff's first error message
};

tmsize_t read_proc(thandle_t h, void* buf, tmsize_t n) {
    auto* f = static_cast<MemoryFile*>(h);
    if (n < 0 || !f->data || f->pos >= f->size) return 0;
    const std::uint64_t k = std::min<std::uint64_t>(std::uint64_t(n), f->size - f->pos);
    std::memcpy(buf, f->data + f->pos, k);
    f->pos += k;
    return tmsize_t(k);
}

tmsize_t write_proc(thandle_t h, void* buf, tmsize_t n) {
    auto* f = static_cast<MemoryFile*>(h);
    if (n < 0 || !f->out) return -1;
    try {
        const std::uint64_t end = f->pos + std::uint64_t(n);
        if (end > f->out->size()) f->out->resize(end);
        std::memcpy(f->out->data() + f->pos, buf, std::size_t(n));
        f->pos = end;
        f->size = std::max(f->size, end);
        return n;
    } catch (...) {
        return -1;
    }
}

toff_t seek_proc(thandle_t h, toff_t offset, int whence) {
    auto* f = static_cast<MemoryFile*>(h);
    std::uint64_t base = 0;
    if (whence == SEEK_CUR) base = f->pos;
    if (whence == SEEK_END) base = f->size;
    if (offset > UINT64_MAX - base) return toff_t(-1);
    f->pos = base + offset;
    return f->pos;
}

int close_proc(thandle_t) { return 0; }

toff_t size_proc(thandle_t h) { return static_cast<MemoryFile*>(h)->size; }

// Reading maps the bytes in place, so uncompressed strips are not copied twice.
int map_proc(thandle_t h, void** base, toff_t* size) {
    auto* f = static_cast<MemoryFile*>(h);
    if (!f->data) return 0;
    *base = const_cast<unsigned char*>(f->data);
    *size = f->size;
    return 1;
}

void unmap_proc(thandle_t, void*, toff_t) {}

int on_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
    auto* f = static_cast<MemoryFile*>(user);
    if (f->error[0] == '\0') {
        int n = 0;
        if (module && *module) n = std::snprintf(f->error, sizeof f->error, "%s: ", module);
        if (n >= 0 && std::size_t(n) < sizeof f->error) std::vsnprintf(f->error + n, sizeof f->error - std::size_t(n), fmt, ap);
    }
    return 1;  // handled: libtiff's default handler (stderr) is not called
}

int on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }  // unknown tags and the like

struct Closer {
    void operator()(TIFF* t) const { TIFFClose(t); }
};
using Tiff = std::unique_ptr<TIFF, Closer>;

Tiff open(MemoryFile& f, const char* mode) {
    std::unique_ptr<TIFFOpenOptions, void (*)(TIFFOpenOptions*)> opts(TIFFOpenOptionsAlloc(), TIFFOpenOptionsFree);
    if (!opts) throw IoError("not enough memory for TIFF");
    TIFFOpenOptionsSetErrorHandlerExtR(opts.get(), on_error, &f);
    TIFFOpenOptionsSetWarningHandlerExtR(opts.get(), on_warning, &f);
    TIFFOpenOptionsSetMaxSingleMemAlloc(opts.get(), max_libtiff_alloc);
    return Tiff(TIFFClientOpenExt("", mode, &f, read_proc, write_proc, seek_proc, close_proc, size_proc, map_proc,
                                  unmap_proc, opts.get()));
}

[[noreturn]] void corrupt(const MemoryFile& f) {
    throw IoError("corrupt or unsupported TIFF data" + (f.error[0] ? ": " + std::string(f.error) : ""));
}

// ---- Which variants are read here ----

struct Layout {
    int type = -1;
    bool rgba = false;  // through libtiff's RGBA reader, as OpenCV reads it
    std::uint32_t width = 0, height = 0;
    bool tiled = false;
    std::uint32_t tile_width = 0, tile_height = 0;  // tiles, or the whole width by rows per strip
};

std::uint16_t field16(TIFF* t, ttag_t tag) {
    std::uint16_t v = 0;
    TIFFGetFieldDefaulted(t, tag, &v);
    return v;
}

// The cv depth OpenCV 4.6 gives these samples when it reads them as they are, or -1.
int raw_depth(std::uint16_t bits, std::uint16_t format, int channels) {
    if (bits == 8 && format == SAMPLEFORMAT_UINT) return CV_8U;
    if (bits == 8 && format == SAMPLEFORMAT_INT) return CV_8S;
    if (bits == 16 && format == SAMPLEFORMAT_UINT) return CV_16U;
    if (bits == 16 && format == SAMPLEFORMAT_INT) return CV_16S;
    if (bits == 32 && format == SAMPLEFORMAT_IEEEFP) return CV_32F;
    // OpenCV 4.6 fails on 3- and 4-channel 32-bit integer and 64-bit float data.
    if (bits == 32 && format == SAMPLEFORMAT_INT && channels == 1) return CV_32S;
    if (bits == 64 && format == SAMPLEFORMAT_IEEEFP && channels == 1) return CV_64F;
    return -1;
}

struct Samples {
    std::uint16_t photometric = 0, spp = 0, bits = 0, format = 0, extra_count = 0;
    const std::uint16_t* extra = nullptr;
    bool contiguous = true;
};

// Gray or RGB(A) samples that read as they are give what OpenCV gives: its 8-bit path
// (libtiff's RGBA reader) changes none of them. The type, or -1.
int raw_type(const Samples& s) {
    const bool gray = s.photometric == PHOTOMETRIC_MINISBLACK && s.spp == 1 && s.extra_count == 0;
    const bool rgb = s.photometric == PHOTOMETRIC_RGB && ((s.spp == 3 && s.extra_count == 0) ||
                                                           (s.spp == 4 && s.extra_count <= 1));
    if (!(gray || rgb) || !(s.contiguous || s.spp == 1)) return -1;
    const int depth = raw_depth(s.bits, s.format, s.spp);
    // libtiff's RGBA reader premultiplies unassociated alpha; associated or unspecified
    // alpha comes out as stored.
    if (s.bits == 8 && s.spp == 4 && s.extra_count == 1 && s.extra[0] != EXTRASAMPLE_ASSOCALPHA) return -1;
    return depth < 0 ? -1 : CV_MAKETYPE(depth, s.spp);
}

// The other 8-bit and 1-bit variants OpenCV 4.6 reads with libtiff's RGBA reader (palette,
// min-is-white, bilevel, YCbCr, CMYK, separate planes, unassociated alpha, gray+alpha), as
// OpenCV types them: gray 1 channel, palette 3, the rest their samples. The type, or -1.
int rgba_type(TIFF* t, const Samples& s) {
    if (s.format != SAMPLEFORMAT_UINT || !(s.bits == 8 || s.bits == 1)) return -1;
    int channels = 0;
    switch (s.photometric) {
        case PHOTOMETRIC_MINISWHITE:
        case PHOTOMETRIC_MINISBLACK: channels = 1; break;
        case PHOTOMETRIC_PALETTE: channels = 3; break;
        case PHOTOMETRIC_RGB:
        case PHOTOMETRIC_SEPARATED:
        case PHOTOMETRIC_YCBCR: channels = s.spp == 3 || s.spp == 4 ? s.spp : 0; break;
        default: break;
    }
    char why[1024];
    return channels > 0 && TIFFRGBAImageOK(t, why) ? CV_8UC(channels) : -1;
}

// The layout when this page is one read here; nothing when it is left to OpenCV.
std::optional<Layout> native_layout(TIFF* t) {
    Samples s;
    if (!TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &s.photometric)) return std::nullopt;
    const bool gray = s.photometric == PHOTOMETRIC_MINISBLACK || s.photometric == PHOTOMETRIC_MINISWHITE;
    // Without the tag OpenCV assumes 1 sample for gray but 3 for colour (libtiff: 1).
    if (!TIFFGetField(t, TIFFTAG_SAMPLESPERPIXEL, &s.spp)) s.spp = gray ? 1 : 0;
    std::uint16_t* extra = nullptr;
    if (TIFFGetField(t, TIFFTAG_EXTRASAMPLES, &s.extra_count, &extra)) s.extra = extra;
    else s.extra_count = 0;
    s.bits = field16(t, TIFFTAG_BITSPERSAMPLE);
    s.format = field16(t, TIFFTAG_SAMPLEFORMAT);
    s.contiguous = field16(t, TIFFTAG_PLANARCONFIG) == PLANARCONFIG_CONTIG;
    const std::uint16_t compression = field16(t, TIFFTAG_COMPRESSION);
    if (compression == COMPRESSION_OJPEG || !TIFFIsCODECConfigured(compression)) return std::nullopt;
    const bool oriented = field16(t, TIFFTAG_ORIENTATION) != ORIENTATION_TOPLEFT;

    Layout l;
    l.type = raw_type(s);
    // OpenCV's 8-bit tiles, read by libtiff's RGBA reader, land in the wrong places when the
    // orientation flips left and right; and it orients RGBA-read pages in its own way.
    if (l.type >= 0 && s.bits == 8 && TIFFIsTiled(t) && oriented) return std::nullopt;
    if (l.type < 0) {
        if (oriented) return std::nullopt;
        l.type = rgba_type(t, s);
        l.rgba = true;
    }
    if (l.type < 0) return std::nullopt;
    if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &l.width) || !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &l.height))
        return std::nullopt;
    l.tiled = TIFFIsTiled(t) != 0;
    if (l.tiled) {
        if (!TIFFGetField(t, TIFFTAG_TILEWIDTH, &l.tile_width) || !TIFFGetField(t, TIFFTAG_TILELENGTH, &l.tile_height))
            return std::nullopt;
    } else {
        l.tile_width = l.width;
        if (!TIFFGetField(t, TIFFTAG_ROWSPERSTRIP, &l.tile_height) || l.tile_height > l.height) l.tile_height = l.height;
    }
    if (l.tile_width == 0 || l.tile_height == 0) return std::nullopt;
    const std::uint64_t pixel_bytes = s.bits <= 8 ? 4 : s.spp * s.bits / 8u;  // 8-bit: read as RGBA by OpenCV
    if (std::uint64_t(l.tile_width) * l.tile_height * pixel_bytes >= max_tile_bytes) return std::nullopt;
    return l;
}

// ---- Reading pixels: whole strips straight into the image, tiles through a buffer ----

void read_strips(TIFF* t, const Layout& l, cv::Mat& out, const MemoryFile& f) {
    const std::uint64_t row_bytes = std::uint64_t(out.cols) * out.elemSize();
    if (std::uint64_t(TIFFScanlineSize64(t)) != row_bytes) corrupt(f);
    const std::uint32_t strips = (l.height - 1) / l.tile_height + 1;
    if (TIFFNumberOfStrips(t) < strips) corrupt(f);
    for (std::uint32_t s = 0; s < strips; ++s) {
        const std::uint32_t y = s * l.tile_height, rows = std::min(l.tile_height, l.height - y);
        const tmsize_t want = tmsize_t(rows * row_bytes);
        if (TIFFReadEncodedStrip(t, s, out.ptr(int(y)), want) != want) corrupt(f);
    }
}

void read_tiles(TIFF* t, const Layout& l, cv::Mat& out, const MemoryFile& f) {
    const std::size_t pixel = out.elemSize(), tile_row = std::size_t(l.tile_width) * pixel;
    const tmsize_t tile_bytes = TIFFTileSize(t);
    if (tile_bytes <= 0 || std::uint64_t(tile_bytes) != std::uint64_t(tile_row) * l.tile_height) corrupt(f);
    std::vector<unsigned char> tile(static_cast<std::size_t>(tile_bytes));
    for (std::uint32_t y = 0; y < l.height; y += l.tile_height)
        for (std::uint32_t x = 0; x < l.width; x += l.tile_width) {
            if (TIFFReadEncodedTile(t, TIFFComputeTile(t, x, y, 0, 0), tile.data(), tile_bytes) != tile_bytes)
                corrupt(f);
            const std::uint32_t rows = std::min(l.tile_height, l.height - y), cols = std::min(l.tile_width, l.width - x);
            for (std::uint32_t r = 0; r < rows; ++r)
                std::memcpy(out.ptr(int(y + r)) + std::size_t(x) * pixel, tile.data() + r * tile_row, cols * pixel);
        }
}

// libtiff's RGBA reader as OpenCV uses it, then OpenCV's conversion to the channels it
// gives: gray (where libtiff gives R = G = B) takes one, colour keeps or drops alpha.
// libtiff's words are ABGR: R, G, B, A bytes in a little-endian machine's memory.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "RGBA words read as R, G, B, A bytes");

void rgba_rows(const cv::Mat& rgba, cv::Mat out) {
    const int from_to[] = {0, 0, 1, 1, 2, 2, 3, 3};
    cv::mixChannels(&rgba, 1, &out, 1, from_to, std::size_t(out.channels()));
}

// Strip by strip, as OpenCV reads them (TIFFReadRGBAStrip), so that only a strip is held
// as RGBA. libtiff fills a strip's raster bottom row first.
void read_rgba_strips(TIFF* t, const Layout& l, cv::Mat& out, const MemoryFile& f) {
    cv::Mat rgba(int(l.tile_height), int(l.width), CV_8UC4);
    for (std::uint32_t y = 0; y < l.height; y += l.tile_height) {
        const int rows = int(std::min(l.tile_height, l.height - y));
        if (!TIFFReadRGBAStripExt(t, y, reinterpret_cast<std::uint32_t*>(rgba.data), 1)) corrupt(f);
        cv::Mat top_down;
        cv::flip(rgba.rowRange(0, rows), top_down, 0);
        rgba_rows(top_down, out.rowRange(int(y), int(y) + rows));
    }
}

// Tiles: the whole page at once, top row first.
void read_rgba_image(TIFF* t, const Layout& l, cv::Mat& out, const MemoryFile& f) {
    cv::Mat rgba(int(l.height), int(l.width), CV_8UC4);
    if (!TIFFReadRGBAImageOriented(t, l.width, l.height, reinterpret_cast<std::uint32_t*>(rgba.data),
                                   ORIENTATION_TOPLEFT, 1))
        corrupt(f);
    rgba_rows(rgba, out);
}

// ---- Writing ----

struct WriteSettings {
    std::uint16_t bits, format, compression;
};

WriteSettings write_settings(int depth) {
    switch (depth) {
        case CV_8U: return {8, SAMPLEFORMAT_UINT, COMPRESSION_LZW};
        case CV_8S: return {8, SAMPLEFORMAT_INT, COMPRESSION_LZW};
        case CV_16U: return {16, SAMPLEFORMAT_UINT, COMPRESSION_LZW};
        case CV_16S: return {16, SAMPLEFORMAT_INT, COMPRESSION_LZW};
        case CV_32S: return {32, SAMPLEFORMAT_INT, COMPRESSION_NONE};
        case CV_32F: return {32, SAMPLEFORMAT_IEEEFP, COMPRESSION_NONE};
        case CV_64F: return {64, SAMPLEFORMAT_IEEEFP, COMPRESSION_NONE};
        default: throw IoError("TIFF encoder failed: unsupported depth");
    }
}

bool write_tiff(TIFF* t, const cv::Mat& m) {
    const int channels = m.channels();
    const WriteSettings s = write_settings(m.depth());
    const std::size_t row_bytes = std::size_t(m.cols) * m.elemSize();
    // OpenCV's strips: as many rows as fit in 8 KiB, at least one.
    const std::uint32_t rows_per_strip =
        std::uint32_t(std::max<std::size_t>(1, std::min<std::size_t>(std::size_t(m.rows), 8192 / row_bytes)));
    bool ok = TIFFSetField(t, TIFFTAG_IMAGEWIDTH, std::uint32_t(m.cols)) &&
              TIFFSetField(t, TIFFTAG_IMAGELENGTH, std::uint32_t(m.rows)) &&
              TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s.bits) && TIFFSetField(t, TIFFTAG_COMPRESSION, s.compression) &&
              TIFFSetField(t, TIFFTAG_PHOTOMETRIC, channels > 1 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK) &&
              TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, std::uint16_t(channels)) &&
              TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
              TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows_per_strip) && TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, s.format);
    if (ok && s.compression == COMPRESSION_LZW) ok = TIFFSetField(t, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
    if (!ok) return false;
    // A copy of each row: the predictor works in place on what it is given.
    std::vector<unsigned char> row(row_bytes);
    for (int y = 0; y < m.rows; ++y) {
        std::memcpy(row.data(), m.ptr(y), row_bytes);
        if (TIFFWriteScanline(t, row.data(), std::uint32_t(y), 0) != 1) return false;
    }
    return TIFFWriteDirectory(t) != 0;
}

// The file opened for reading and its layout, when it is one read here (sizes checked).
struct Opened {
    MemoryFile f;  // libtiff reads through it: it must outlive t
    Tiff t;
    std::optional<Layout> layout;
};

void open_for_reading(const Bytes& bytes, Opened& o) {
    o.f.data = bytes.data();
    o.f.size = bytes.size();
    o.t = open(o.f, "r");
    if (!o.t) corrupt(o.f);
    o.layout = native_layout(o.t.get());
    const std::optional<Layout>& l = o.layout;
    if (l && (l->width == 0 || l->height == 0 || l->width > INT_MAX || l->height > INT_MAX)) corrupt(o.f);
}

}  // namespace

std::optional<cv::Mat> decode_tiff(const Bytes& bytes) {
    Opened o;
    open_for_reading(bytes, o);
    const std::optional<Layout>& l = o.layout;
    if (!l) return std::nullopt;
    TIFF* const t = o.t.get();
    const MemoryFile& f = o.f;
    if (std::uint64_t(l->width) * l->height > max_pixels)
        throw IoError("TIFF image is too large: " + std::to_string(l->width) + "x" + std::to_string(l->height) +
                      " pixels (at most 2^30)");
    cv::Mat out(int(l->height), int(l->width), l->type);
    if (l->rgba && l->tiled)
        read_rgba_image(t, *l, out, f);
    else if (l->rgba)
        read_rgba_strips(t, *l, out, f);
    else if (l->tiled)
        read_tiles(t, *l, out, f);
    else
        read_strips(t, *l, out, f);
    // As OpenCV 4.6 does for IMREAD_UNCHANGED: the Orientation tag applied in full.
    return apply_orientation(out, field16(t, TIFFTAG_ORIENTATION));
}

std::optional<TiffShape> tiff_shape(const Bytes& bytes) {
    Opened o;
    open_for_reading(bytes, o);
    const std::optional<Layout>& l = o.layout;
    if (!l) return std::nullopt;
    TiffShape s{int(l->width), int(l->height), l->type, field16(o.t.get(), TIFFTAG_ORIENTATION)};
    if (swaps_axes(s.orientation)) std::swap(s.width, s.height);
    return s;
}

Bytes encode_tiff(const cv::Mat& rgb) {
    Bytes out;
    // Room for the uncompressed pixels: rarely reallocated, and pages never written cost nothing.
    out.reserve(rgb.total() * rgb.elemSize() + 4096);
    MemoryFile f;
    f.out = &out;
    Tiff t = open(f, "w");
    const bool ok = t && write_tiff(t.get(), rgb);
    t.reset();  // TIFFClose writes what is left
    if (!ok || f.error[0]) throw IoError("TIFF encoder failed" + (f.error[0] ? ": " + std::string(f.error) : ""));
    return out;
}

}  // namespace imgpool::io::detail
