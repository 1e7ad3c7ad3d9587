// probe(): size, channels and depth from the file header alone, matching what decode()
// returns (OpenCV 4.6 with IMREAD_UNCHANGED, then EXIF orientation). The rules for
// channels were checked against OpenCV 4.6 with hand-made files of every variant;
// rare variants whose outcome depends on OpenCV internals are decoded instead.
#include <climits>
#include <set>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "exif.hpp"
#include "imgpool/csv.hpp"
#include "imgpool/error.hpp"
#include "imgpool/image_io.hpp"
#include "imgpool/npy.hpp"
#include "tiff_codec.hpp"

namespace imgpool::io {

using namespace std::literals;

namespace {

using detail::ByteView;
using detail::Chunk;
using detail::Corrupt;
using detail::fourcc;

Info image_info(Format f, std::int64_t width, std::int64_t height, int channels, int depth, int orientation = 1) {
    if (width <= 0 || height <= 0 || width > INT_MAX || height > INT_MAX) throw Corrupt{};
    Info info{f, int(width), int(height), channels, depth, orientation};
    if (detail::swaps_axes(orientation)) std::swap(info.width, info.height);
    return info;
}

// For variants not read here: decode and describe the pixels.
Info by_decoding(Format f, const Bytes& data) {
    const cv::Mat m = decode(data);
    return {f, m.cols, m.rows, m.channels(), m.depth(), detail::file_orientation(f, ByteView(data))};
}

// The same, unless the header's size is over the caller's limit: then that size alone.
Info by_decoding_within(Format f, const Bytes& data, std::int64_t width, std::int64_t height, long long max_pixels) {
    if (max_pixels > 0 && width * height > max_pixels) return image_info(f, width, height, 0, CV_8U);
    return by_decoding(f, data);
}

// ---- PNG ----

bool valid_png_bits(std::uint32_t bits, std::uint32_t colour) {
    switch (colour) {
        case 0: return bits == 1 || bits == 2 || bits == 4 || bits == 8 || bits == 16;  // gray
        case 3: return bits == 1 || bits == 2 || bits == 4 || bits == 8;                // palette
        case 2:
        case 4:
        case 6: return bits == 8 || bits == 16;  // RGB, gray+alpha, RGBA
        default: return false;
    }
}

Info probe_png(const Bytes& data) {
    const ByteView file(data);
    // IHDR comes first: width (4), height (4), bit depth (1), colour type (1), ...
    if (file.be32(8) != 13 || file.be32(12) != fourcc("IHDR")) throw Corrupt{};
    const ByteView ihdr = file.sub(16, 13);
    const std::uint32_t bits = ihdr.u8(8), colour = ihdr.u8(9);
    if (!valid_png_bits(bits, colour)) throw Corrupt{};
    // A valid tRNS chunk before the pixel data makes OpenCV add alpha to RGB and palette
    // images; libpng ignores one of the wrong size (RGB: 6 bytes; palette: 1 to the
    // number of PLTE entries, PLTE first).
    bool transparency = false;
    std::size_t palette_entries = 0;
    detail::png_chunks(file, [&](const Chunk& c) {
        if (c.type == fourcc("PLTE")) palette_entries = c.body.size() / 3;
        if (c.type == fourcc("tRNS"))
            transparency = colour == 2 ? c.body.size() == 6 : c.body.size() > 0 && c.body.size() <= palette_entries;
        return c.type != fourcc("IDAT");
    });
    // OpenCV 4.6: gray -> 1 channel (tRNS ignored), gray+alpha -> 4 (gray repeated).
    int channels = colour == 0 ? 1 : colour == 4 || colour == 6 ? 4 : transparency ? 4 : 3;
    return image_info(Format::png, ihdr.be32(0), ihdr.be32(4), channels, bits == 16 ? CV_16U : CV_8U,
                      detail::file_orientation(Format::png, file));
}

// ---- JPEG ----

// Start-of-frame markers (SOF0..SOF15 without DHT, JPG and DAC).
bool is_frame_marker(std::uint32_t m) {
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

Info probe_jpeg(const Bytes& data) {
    const ByteView file(data);
    std::uint32_t precision = 0, height = 0, width = 0, components = 0;
    bool found = false;
    detail::jpeg_segments(file, [&](const Chunk& c) {
        if (!is_frame_marker(c.type)) return true;
        // Frame header: precision (1), height (2), width (2), components (1).
        precision = c.body.u8(0);
        height = c.body.be16(1);
        width = c.body.be16(3);
        components = c.body.u8(5);
        found = true;
        return false;
    });
    if (!found) throw Corrupt{};  // the scan started before any frame header
    if (precision != 8) throw IoError(std::to_string(precision) + "-bit JPEG is not supported");
    // OpenCV decodes every colour JPEG (YCbCr, RGB, CMYK) to 3 channels.
    return image_info(Format::jpeg, width, height, components == 1 ? 1 : 3, CV_8U,
                      detail::file_orientation(Format::jpeg, file));
}

// ---- BMP ----

// Whether the palette holds only grays, in which case OpenCV decodes to one channel.
bool gray_palette(ByteView file, std::size_t at, std::uint32_t bpp, std::uint32_t used) {
    if (used > 256) throw Corrupt{};
    const std::size_t entries = used ? used : std::size_t(1) << bpp;
    const ByteView palette = file.sub(at, entries * 4);  // blue, green, red, unused
    // OpenCV checks the first 2^bpp entries; missing ones are black.
    for (std::size_t i = 0; i < std::min(entries, std::size_t(1) << bpp); ++i) {
        const std::uint32_t b = palette.u8(4 * i), g = palette.u8(4 * i + 1), r = palette.u8(4 * i + 2);
        if (b != g || b != r) return false;
    }
    return true;
}

// 16-bit BI_BITFIELDS: OpenCV takes the 5-5-5 and 5-6-5 masks only, and reads them after the
// info header whatever its size.
bool rgb16_masks(ByteView file, std::size_t at) {
    const std::uint32_t red = file.le32(at), green = file.le32(at + 4), blue = file.le32(at + 8);
    return blue == 0x1f && ((green == 0x3e0 && red == 0x7c00) || (green == 0x7e0 && red == 0xf800));
}

// Every variant OpenCV decodes is described from its header, so that --max-pixels is checked
// before OpenCV allocates the image: an RLE bitmap of 18000x18000 fits in 1 KB.
Info probe_bmp(const Bytes& data) {
    const ByteView file(data);
    const std::uint32_t header = file.le32(14);
    if (header == 12) {  // OS/2 1.x: 16-bit sizes, no compression
        const std::uint32_t bpp = file.le16(24);
        if (bpp == 1 || bpp == 4 || bpp == 8 || bpp == 24 || bpp == 32)
            return image_info(Format::bmp, file.le16(18), file.le16(20), 1, CV_8U);  // OpenCV 4.6 reads them as gray
        return by_decoding(Format::bmp, data);  // refused by OpenCV before it allocates
    }
    // File header (14 bytes), then the info header: size (4), width (4), height (4),
    // planes (2), bits per pixel (2), compression (4), ..., colours used at 46.
    const std::int32_t width = std::int32_t(file.le32(18)), height = std::int32_t(file.le32(22));
    const std::uint32_t bpp = header >= 36 ? file.le16(28) : 0, compression = header >= 36 ? file.le32(30) : 0;
    const bool plain = compression == 0 && (bpp == 1 || bpp == 4 || bpp == 8 || bpp == 24 || bpp == 32);
    const bool rle = (compression == 1 && bpp == 8) || (compression == 2 && bpp == 4);
    const bool bitfields32 = compression == 3 && bpp == 32;
    const bool rgb16 = bpp == 16 && (compression == 0 || (compression == 3 && rgb16_masks(file, 14 + std::size_t(header))));
    if (header < 36 || !(plain || rle || bitfields32 || rgb16))
        return by_decoding(Format::bmp, data);  // refused by OpenCV before it allocates
    if (height == INT32_MIN) throw Corrupt{};
    int channels = bitfields32 ? 4 : 3;  // 32-bit BI_RGB comes back without alpha
    if (bpp <= 8) channels = gray_palette(file, 14 + std::size_t(header), bpp, file.le32(46)) ? 1 : 3;
    return image_info(Format::bmp, width, std::abs(height), channels, CV_8U);  // negative height: top-down
}

// ---- PNM ----

bool is_space(std::uint32_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool is_digit(std::uint32_t c) {
    return c >= '0' && c <= '9';
}

// The next decimal number of a PNM header, after whitespace and '#' comments.
std::uint32_t pnm_number(ByteView file, std::size_t& at) {
    for (;;) {
        const std::uint32_t c = file.u8(at);
        if (is_space(c)) {
            ++at;
        } else if (c == '#') {
            while (file.u8(at) != '\n' && file.u8(at) != '\r') ++at;
        } else {
            break;
        }
    }
    if (!is_digit(file.u8(at))) throw Corrupt{};
    std::uint64_t v = 0;
    for (; file.has(at, 1) && is_digit(file.u8(at)); ++at) {
        v = v * 10 + (file.u8(at) - '0');
        if (v > INT_MAX) throw Corrupt{};
    }
    ++at;  // OpenCV's reader consumes the byte after a number: in "8#2\n" the 2 is a number, not a comment
    return std::uint32_t(v);
}

Info probe_pnm(const Bytes& data, Format f) {
    const ByteView file(data);
    const std::uint32_t kind = file.u8(1) - '0';  // P1..P6
    std::size_t at = 2;
    const std::uint32_t width = pnm_number(file, at), height = pnm_number(file, at);
    const std::uint32_t maxval = kind == 1 || kind == 4 ? 1 : pnm_number(file, at);  // bitmaps have none
    if (maxval == 0 || maxval > 65535) throw Corrupt{};
    return image_info(f, width, height, kind == 3 || kind == 6 ? 3 : 1, maxval > 255 ? CV_16U : CV_8U);
}

// ---- WebP ----

Info probe_webp(const Bytes& data, long long max_pixels) {
    const ByteView file(data);
    // The first chunk says which kind of WebP this is.
    const std::uint32_t kind = file.be32(12);
    const ByteView body = file.clip(20, file.le32(16));
    std::uint32_t width = 0, height = 0;
    bool alpha = false;
    if (kind == fourcc("VP8 ")) {
        // Lossy: frame tag (3), start code 9D 01 2A, 14-bit width and height.
        if (body.u8(3) != 0x9D || body.u8(4) != 0x01 || body.u8(5) != 0x2A) throw Corrupt{};
        width = body.le16(6) & 0x3FFF;
        height = body.le16(8) & 0x3FFF;
    } else if (kind == fourcc("VP8L")) {
        // Lossless: signature 2F, then 14 bits width-1, 14 bits height-1, 1 bit alpha.
        if (body.u8(0) != 0x2F) throw Corrupt{};
        const std::uint32_t bits = body.le32(1);
        width = (bits & 0x3FFF) + 1;
        height = (bits >> 14 & 0x3FFF) + 1;
        alpha = (bits >> 28 & 1) != 0;
    } else if (kind == fourcc("VP8X")) {
        // Extended: flags (alpha 0x10, animation 0x02), 3 reserved, 24-bit width-1 and height-1.
        const std::uint32_t flags = body.u8(0);
        width = (body.le16(4) | body.u8(6) << 16) + 1;
        height = (body.le16(7) | body.u8(9) << 16) + 1;
        if (flags & 0x02) return by_decoding_within(Format::webp, data, width, height, max_pixels);  // animation: OpenCV decides
        alpha = (flags & 0x10) != 0;  // OpenCV goes by this flag alone
    } else {
        throw Corrupt{};
    }
    return image_info(Format::webp, width, height, alpha ? 4 : 3, CV_8U, detail::file_orientation(Format::webp, file));
}

// ---- TIFF ----

// The depth OpenCV 4.6 gives these samples, or -1 for the combinations left to decoding.
int tiff_depth(std::uint32_t bits, std::uint32_t sample_format) {
    const bool u = sample_format == 1, s = sample_format == 2, f = sample_format == 3;
    if (bits == 8) return u ? CV_8U : s ? CV_8S : -1;
    if (bits == 16) return u ? CV_16U : s ? CV_16S : -1;
    if (bits == 32) return s ? CV_32S : f ? CV_32F : -1;
    if (bits == 64) return f ? CV_64F : -1;
    return -1;
}

// The number of images in a classic TIFF's IFD chain, walked with bounds and loop checks.
int tiff_pages(const ByteView& file) {
    const bool little = file.matches(0, "II"sv);
    auto u16 = [&](std::size_t at) { return little ? file.le16(at) : file.be16(at); };
    auto u32 = [&](std::size_t at) { return little ? file.le32(at) : file.be32(at); };
    int pages = 0;
    std::set<std::uint32_t> seen;
    for (std::uint32_t at = u32(4); at != 0 && file.has(at, 2) && seen.insert(at).second && pages < 100000; ++pages) {
        const std::size_t next = std::size_t(at) + 2 + std::size_t(u16(at)) * 12;
        if (!file.has(next, 4)) return pages + 1;
        at = u32(next);
    }
    return std::max(pages, 1);
}

Info probe_tiff(const Bytes& data, long long max_pixels) {
    const ByteView file(data);
    if (!file.matches(0, "II*\0"sv) && !file.matches(0, "MM\0*"sv)) return by_decoding(Format::tiff, data);  // BigTIFF
    const detail::Ifd0 ifd(file);
    const auto width = ifd.value(256), height = ifd.value(257), photometric = ifd.value(262);
    if (!width || !height || !photometric) throw Corrupt{};  // required tags
    const std::uint32_t spp = ifd.value(277).value_or(1);
    const int depth = tiff_depth(ifd.value(258).value_or(1), ifd.value(339).value_or(1));
    // Gray (min-is-white or min-is-black) and RGB(A) are read here; palette, YCbCr, CMYK
    // and bilevel by libtiff with the native decoder's rules (tiff_codec.hpp); LogLuv and
    // the depths OpenCV 4.6 fails on are decoded instead.
    const bool gray = *photometric <= 1 && spp == 1;
    const bool rgb = *photometric == 2 && (spp == 3 || spp == 4) && depth != CV_32S && depth != CV_64F;
    if (depth < 0 || !(gray || rgb)) {
        // Palette, YCbCr, CMYK, bilevel...: the native decoder's rules, from the directory.
        const auto shape = detail::tiff_shape(data);
        if (!shape) return by_decoding_within(Format::tiff, data, *width, *height, max_pixels);  // left to OpenCV
        Info info{Format::tiff, shape->width, shape->height, CV_MAT_CN(shape->type), CV_MAT_DEPTH(shape->type),
                  shape->orientation};
        info.pages = tiff_pages(file);
        return info;
    }
    // OpenCV applies the Orientation tag while decoding, so it is reported here too.
    Info info = image_info(Format::tiff, *width, *height, int(spp), depth, detail::file_orientation(Format::tiff, file));
    info.pages = tiff_pages(file);
    return info;
}

}  // namespace

Info probe(const Bytes& data, Format name_hint, long long max_pixels) {
    if (data.empty()) throw IoError("empty file");
    const Format f = detect(data, name_hint);
    try {
        switch (f) {
            case Format::png: return probe_png(data);
            case Format::jpeg: return probe_jpeg(data);
            case Format::bmp: return probe_bmp(data);
            case Format::pnm:
            case Format::pgm:
            case Format::ppm: return probe_pnm(data, f);
            case Format::webp: return probe_webp(data, max_pixels);
            case Format::tiff: return probe_tiff(data, max_pixels);
            case Format::gif: return by_decoding(f, data);  // OpenCV 4.6 has no GIF decoder: decode's reason, at once
            case Format::npy: {
                const npy::Header h = npy::probe(data);
                return {f, h.cols, h.rows, h.channels, h.depth, 1};
            }
            case Format::csv: {
                const cv::Mat m = csv::decode(std::string(data.begin(), data.end()));
                return {f, m.cols, m.rows, m.channels(), m.depth(), 1};
            }
            case Format::other: return by_decoding(f, data);
            case Format::unknown: break;
        }
    } catch (const detail::Truncated&) {
        throw IoError("truncated " + detail::format_name(f) + " header");
    } catch (const detail::Corrupt&) {
        throw IoError("corrupt " + detail::format_name(f) + " header");
    }
    throw IoError("not an image or array file (unrecognised content)");
}

}  // namespace imgpool::io
