// Image and array I/O: format detection, probe vs decode, exact round trips, what each
// format holds (checked against OpenCV itself), EXIF orientation, hostile input, files.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <imgpool/error.hpp>
#include <imgpool/image_io.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string_view>

#include "support.hpp"

using namespace imgpool::io;
using namespace std::literals;
using imgpool::IoError;

namespace {

const int all_depths[] = {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F};

// ---- Small helpers ----

using test::error_of;

// Random values over the depth's whole range (floats: non-integers, plus NaN and inf).
cv::Mat pattern(int depth, int channels, cv::Size size = {7, 5}, std::uint64_t seed = 1) {
    cv::Mat m(size, CV_MAKETYPE(depth, channels));
    const double lo[] = {0, -128, 0, -32768, -2147483648.0, -1e6, -1e12};
    const double hi[] = {256, 128, 65536, 32768, 2147483647.0, 1e6, 1e12};
    cv::RNG rng(seed);
    rng.fill(m, cv::RNG::UNIFORM, lo[depth], hi[depth]);
    if (depth == CV_32F) m.ptr<float>(0)[0] = NAN, m.ptr<float>(0)[1] = INFINITY;
    if (depth == CV_64F) m.ptr<double>(0)[0] = NAN, m.ptr<double>(0)[1] = -INFINITY;
    return m;
}

// A smooth 8-bit RGB image with distinct channels, for lossy JPEG.
cv::Mat gradient(cv::Size size = {16, 10}) {
    cv::Mat m(size, CV_8UC3);
    for (int y = 0; y < m.rows; ++y)
        for (int x = 0; x < m.cols; ++x)
            m.at<cv::Vec3b>(y, x) = {cv::saturate_cast<uchar>(x * 12), cv::saturate_cast<uchar>(y * 20),
                                     cv::saturate_cast<uchar>(200 - x * 5 - y * 5)};
    return m;
}

void put(Bytes& b, std::uint32_t v, int n, bool little) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<unsigned char>(v >> (little ? 8 * i : 8 * (n - 1 - i))));
}
void be(Bytes& b, std::uint32_t v, int n) {
    put(b, v, n, false);
}
void le(Bytes& b, std::uint32_t v, int n) {
    put(b, v, n, true);
}
// Overwrites n bytes at `at` with v, little-endian.
void le_at(Bytes& b, std::size_t at, std::uint32_t v, int n) {
    for (int i = 0; i < n; ++i) b.at(at + std::size_t(i)) = static_cast<unsigned char>(v >> (8 * i));
}
void append(Bytes& b, std::string_view s) {
    for (char c : s) b.push_back(static_cast<unsigned char>(c));  // insert() trips GCC 12's -Wstringop-overflow
}
void append(Bytes& b, const Bytes& s) {
    b.insert(b.end(), s.begin(), s.end());
}
Bytes bytes(std::string_view s) {
    return Bytes(s.begin(), s.end());
}
Bytes prefix(const Bytes& b, std::size_t n) {
    return Bytes(b.begin(), b.begin() + long(std::min(n, b.size())));
}

// probe() describes exactly what decode() returns.
void check_probe_matches_decode(const Bytes& b, Format format) {
    const Info info = probe(b);
    const cv::Mat m = decode(b);
    CHECK(info.format == format);
    CHECK(info.width == m.cols);
    CHECK(info.height == m.rows);
    CHECK(info.channels == m.channels());
    CHECK(info.depth == m.depth());
}

// ---- PNG builder: any colour type and bit depth, stored (uncompressed) deflate ----

std::uint32_t crc32(const Bytes& b) {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char c : b) {
        crc ^= c;
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

Bytes png_chunk(std::string_view type, const Bytes& data) {
    Bytes typed;
    append(typed, type);
    append(typed, data);
    Bytes out;
    be(out, std::uint32_t(data.size()), 4);
    append(out, typed);
    be(out, crc32(typed), 4);
    return out;
}

Bytes zlib_stored(const Bytes& raw) {
    Bytes out{0x78, 0x01};
    std::size_t at = 0;
    do {
        const std::size_t n = std::min<std::size_t>(raw.size() - at, 65535);
        out.push_back(at + n == raw.size() ? 1 : 0);
        le(out, std::uint32_t(n), 2);
        le(out, std::uint32_t(~n & 0xFFFF), 2);
        out.insert(out.end(), raw.begin() + long(at), raw.begin() + long(at + n));
        at += n;
    } while (at < raw.size());
    std::uint32_t a = 1, b = 0;
    for (unsigned char c : raw) {
        a = (a + c) % 65521;
        b = (b + a) % 65521;
    }
    be(out, b << 16 | a, 4);
    return out;
}

Bytes make_png(int w, int h, int bits, int colour, const Bytes& before_idat = {}, const Bytes& after_idat = {}) {
    const int samples[] = {1, 0, 3, 1, 2, 0, 4};
    const std::size_t row = (std::size_t(w) * std::size_t(bits * samples[colour]) + 7) / 8;
    Bytes raw;
    for (int y = 0; y < h; ++y) {
        raw.push_back(0);  // filter: none
        for (std::size_t i = 0; i < row; ++i) raw.push_back(static_cast<unsigned char>(i * 37 + std::size_t(y) * 11));
    }
    Bytes ihdr;
    be(ihdr, std::uint32_t(w), 4);
    be(ihdr, std::uint32_t(h), 4);
    for (int v : {bits, colour, 0, 0, 0}) ihdr.push_back(static_cast<unsigned char>(v));
    Bytes out = bytes("\x89PNG\r\n\x1a\n"sv);
    append(out, png_chunk("IHDR", ihdr));
    append(out, before_idat);
    append(out, png_chunk("IDAT", zlib_stored(raw)));
    append(out, after_idat);
    append(out, png_chunk("IEND", {}));
    return out;
}

Bytes palette_chunk(int entries, bool gray) {
    Bytes p;
    for (int i = 0; i < entries; ++i)
        for (int c : {i, gray ? i : 255 - i, gray ? i : i * 7}) p.push_back(static_cast<unsigned char>(c));
    return png_chunk("PLTE", p);
}

// Inserts a chunk right after IHDR (which ends at byte 33).
Bytes with_png_chunk(Bytes png, std::string_view type, const Bytes& data) {
    const Bytes c = png_chunk(type, data);
    png.insert(png.begin() + 33, c.begin(), c.end());
    return png;
}

// ---- EXIF blocks and where they go ----

// A TIFF structure whose IFD0 holds one entry: Orientation (SHORT) = o.
Bytes exif_block(int orientation, bool little) {
    Bytes t;
    append(t, little ? "II*\0"sv : "MM\0*"sv);
    put(t, 8, 4, little);    // IFD0 offset
    put(t, 1, 2, little);    // one entry
    put(t, 274, 2, little);  // Orientation
    put(t, 3, 2, little);    // SHORT
    put(t, 1, 4, little);    // count
    put(t, std::uint32_t(orientation), 2, little);
    put(t, 0, 2, little);  // value padding
    put(t, 0, 4, little);  // no next IFD
    return t;
}

Bytes with_jpeg_app1(Bytes jpeg, const Bytes& payload) {
    Bytes seg{0xFF, 0xE1};
    be(seg, std::uint32_t(payload.size() + 2), 2);
    append(seg, payload);
    jpeg.insert(jpeg.begin() + 2, seg.begin(), seg.end());  // right after SOI
    return jpeg;
}

Bytes jpeg_with_exif(const Bytes& jpeg, const Bytes& tiff) {
    Bytes payload = bytes("Exif\0\0"sv);
    append(payload, tiff);
    return with_jpeg_app1(jpeg, payload);
}

// Re-wraps a simple WebP (as cv::imencode writes it) in the extended format: VP8X, the
// image chunk, then an EXIF chunk when one is given.
Bytes webp_extended(const Bytes& simple, int w, int h, bool alpha_flag, const Bytes& exif = {}) {
    Bytes chunks;
    chunks.reserve(32 + simple.size() + exif.size());  // (also keeps GCC 12's -Wstringop-overflow quiet)
    append(chunks, "VP8X"sv);
    le(chunks, 10, 4);
    chunks.push_back(static_cast<unsigned char>((alpha_flag ? 0x10 : 0) | (exif.empty() ? 0 : 0x08)));
    chunks.insert(chunks.end(), 3, 0);
    le(chunks, std::uint32_t(w - 1), 3);
    le(chunks, std::uint32_t(h - 1), 3);
    chunks.insert(chunks.end(), simple.begin() + 12, simple.end());
    if (!exif.empty()) {
        append(chunks, "EXIF"sv);
        le(chunks, std::uint32_t(exif.size()), 4);
        append(chunks, exif);
        if (exif.size() % 2) chunks.push_back(0);
    }
    Bytes out;
    out.reserve(12 + chunks.size());
    append(out, "RIFF"sv);
    le(out, std::uint32_t(4 + chunks.size()), 4);
    append(out, "WEBP"sv);
    append(out, chunks);
    return out;
}

// ---- Other hand-made files ----

// Uncompressed one-strip gray TIFF (8U or 16U) with an Orientation tag.
Bytes make_tiff(const cv::Mat& gray, int orientation, bool little) {
    const std::uint32_t bits = gray.depth() == CV_16U ? 16 : 8;
    const std::uint32_t rows = std::uint32_t(gray.rows), cols = std::uint32_t(gray.cols);
    const std::uint32_t size = std::uint32_t(gray.total() * gray.elemSize());
    struct Entry {
        std::uint32_t tag, type, value;
    };
    const std::uint32_t data_at = 8 + 2 + 10 * 12 + 4;
    const Entry entries[] = {{256, 4, cols},
                             {257, 4, rows},
                             {258, 3, bits},
                             {259, 3, 1},
                             {262, 3, 1},
                             {273, 4, data_at},
                             {274, 3, std::uint32_t(orientation)},
                             {277, 3, 1},
                             {278, 4, rows},
                             {279, 4, size}};
    Bytes t;
    append(t, little ? "II*\0"sv : "MM\0*"sv);
    put(t, 8, 4, little);
    put(t, 10, 2, little);
    for (const Entry& e : entries) {
        put(t, e.tag, 2, little);
        put(t, e.type, 2, little);
        put(t, 1, 4, little);
        if (e.type == 3) {
            put(t, e.value, 2, little);
            put(t, 0, 2, little);
        } else {
            put(t, e.value, 4, little);
        }
    }
    put(t, 0, 4, little);
    for (int y = 0; y < gray.rows; ++y)
        for (int x = 0; x < gray.cols; ++x)
            put(t, bits == 16 ? gray.at<std::uint16_t>(y, x) : gray.at<std::uint8_t>(y, x), int(bits / 8), little);
    return t;
}

// A BMP with a 40-byte (or larger) info header; palette entries are {r, g, b}.
Bytes make_bmp(int w, int h, int bpp, std::uint32_t compression, const std::vector<std::array<int, 3>>& palette = {},
               std::uint32_t used = 0, std::uint32_t header = 40) {
    const std::size_t row = (std::size_t(w) * std::size_t(bpp) + 31) / 32 * 4;
    const std::size_t pixels = row * std::size_t(std::abs(h));
    Bytes extra;  // bit masks after a 40-byte header, then the palette
    if (compression == 3 && header == 40)
        for (std::uint32_t mask : {0xFF0000u, 0xFF00u, 0xFFu}) le(extra, mask, 4);
    for (const auto& p : palette)
        for (int c : {p[2], p[1], p[0], 0}) extra.push_back(static_cast<unsigned char>(c));
    const std::uint32_t offset = std::uint32_t(14 + header + extra.size());
    Bytes b = bytes("BM"sv);
    for (std::uint32_t v : {std::uint32_t(offset + pixels), 0u, offset, header, std::uint32_t(w), std::uint32_t(h)})
        le(b, v, 4);
    le(b, 1, 2);
    le(b, std::uint32_t(bpp), 2);
    for (std::uint32_t v : {compression, std::uint32_t(pixels), 2835u, 2835u, used, 0u}) le(b, v, 4);
    b.insert(b.end(), header - 40, 0);
    append(b, extra);
    for (std::size_t i = 0; i < pixels; ++i) b.push_back(static_cast<unsigned char>(i * 7));
    return b;
}

// An OS/2 BMP (12-byte core header; its palette entries are 3 bytes), 24-bit by default.
Bytes make_os2_bmp(int w, int h, int bpp = 24, const std::vector<std::array<int, 3>>& palette = {}) {
    const std::size_t pixels = (std::size_t(w) * std::size_t(bpp) + 31) / 32 * 4 * std::size_t(h);
    const std::uint32_t offset = std::uint32_t(26 + 3 * palette.size());
    Bytes b = bytes("BM"sv);
    for (std::uint32_t v : {std::uint32_t(offset + pixels), 0u, offset, 12u}) le(b, v, 4);
    for (std::uint32_t v : {std::uint32_t(w), std::uint32_t(h), 1u, std::uint32_t(bpp)}) le(b, v, 2);
    for (const auto& p : palette)
        for (int c : {p[2], p[1], p[0]}) b.push_back(static_cast<unsigned char>(c));
    for (std::size_t i = 0; i < pixels; ++i) b.push_back(static_cast<unsigned char>(i * 5));
    return b;
}

// An RLE8 (bpp 8) or RLE4 (bpp 4) BMP: each row one run of w pixels of index 1 + y, then
// end of line; end of bitmap after the last.
Bytes make_rle_bmp(int w, int h, int bpp, const std::vector<std::array<int, 3>>& palette) {
    Bytes runs;
    for (int y = 0; y < h; ++y) {
        const int index = 1 + y;
        runs.push_back(static_cast<unsigned char>(w));
        runs.push_back(static_cast<unsigned char>(bpp == 8 ? index : index * 17));  // RLE4: two 4-bit indices
        runs.insert(runs.end(), {0, 0});
    }
    runs.insert(runs.end(), {0, 1});
    Bytes b = make_bmp(w, h, bpp, bpp == 8 ? 1 : 2, palette);
    const std::size_t offset = b.size() - (std::size_t(w) * std::size_t(bpp) + 31) / 32 * 4 * std::size_t(h);
    b.resize(offset);
    append(b, runs);
    return b;
}

// A 16-bit BI_BITFIELDS BMP with the given red, green and blue masks after its 40-byte header.
Bytes make_bmp16_bitfields(int w, int h, std::uint32_t red, std::uint32_t green, std::uint32_t blue) {
    Bytes b = make_bmp(w, h, 16, 0);
    Bytes masks;
    for (std::uint32_t m : {red, green, blue}) le(masks, m, 4);
    b.insert(b.begin() + 54, masks.begin(), masks.end());
    le_at(b, 30, 3, 4);        // compression: BI_BITFIELDS
    le_at(b, 10, 54 + 12, 4);  // pixel data offset
    return b;
}

Bytes make_gif(int w, int h) {
    Bytes b = bytes("GIF89a"sv);
    le(b, std::uint32_t(w), 2);
    le(b, std::uint32_t(h), 2);
    b.insert(b.end(), {0, 0, 0, 0x3B});
    return b;
}

// The display image for a stored image with EXIF orientation o, element by element
// (independent of the library's flip/rotate/transpose calls).
cv::Mat oriented(const cv::Mat& s, int o) {
    const int W = s.cols, H = s.rows;
    const bool swap = o >= 5;
    cv::Mat d(swap ? W : H, swap ? H : W, s.type());
    const std::size_t es = s.elemSize();
    for (int y = 0; y < d.rows; ++y)
        for (int x = 0; x < d.cols; ++x) {
            int sx = x, sy = y;
            switch (o) {
                case 2: sx = W - 1 - x; break;
                case 3: sx = W - 1 - x, sy = H - 1 - y; break;
                case 4: sy = H - 1 - y; break;
                case 5: sx = y, sy = x; break;
                case 6: sx = y, sy = H - 1 - x; break;
                case 7: sx = W - 1 - y, sy = H - 1 - x; break;
                case 8: sx = W - 1 - y, sy = x; break;
                default: break;
            }
            std::memcpy(d.ptr(y) + std::size_t(x) * es, s.ptr(sy) + std::size_t(sx) * es, es);
        }
    return d;
}

// Whether OpenCV alone (no imgpool code) round-trips m exactly through `ext`.
bool opencv_round_trips(const std::string& ext, const cv::Mat& m) {
    std::vector<uchar> buf;
    try {
        if (!cv::imencode(ext, m, buf)) return false;
    } catch (const cv::Exception&) {
        return false;
    }
    return test::same(m, cv::imdecode(buf, cv::IMREAD_UNCHANGED));
}

}  // namespace

// ---------------------------------------------------------------------------------

TEST_CASE("image io: format_from_path maps extensions case-insensitively") {
    CHECK(format_from_path("a.png") == Format::png);
    CHECK(format_from_path("dir.d/A.PNG") == Format::png);
    CHECK(format_from_path("x.jpg") == Format::jpeg);
    CHECK(format_from_path("x.JPEG") == Format::jpeg);
    CHECK(format_from_path("x.jpe") == Format::jpeg);
    CHECK(format_from_path("x.tif") == Format::tiff);
    CHECK(format_from_path("x.Tiff") == Format::tiff);
    CHECK(format_from_path("x.bmp") == Format::bmp);
    CHECK(format_from_path("x.dib") == Format::bmp);
    CHECK(format_from_path("x.webp") == Format::webp);
    CHECK(format_from_path("x.pgm") == Format::pgm);
    CHECK(format_from_path("x.PPM") == Format::ppm);
    CHECK(format_from_path("x.pnm") == Format::pnm);
    CHECK(format_from_path("x.pbm") == Format::other);  // bitmaps are read (by content), not written
    CHECK(format_from_path("x.npy") == Format::npy);
    CHECK(format_from_path("x.csv") == Format::csv);
    CHECK(format_from_path("x.TXT") == Format::csv);
    CHECK(format_from_path("x.gif") == Format::gif);
    CHECK(format_from_path("x.exr") == Format::other);  // OpenCV writes it
    CHECK(format_from_path("x.hdr") == Format::other);
    CHECK(format_from_path("x.xyz") == Format::unknown);
    CHECK(format_from_path("noextension") == Format::unknown);
    CHECK(format_from_path("dir.png/file") == Format::unknown);
    CHECK(format_from_path(".png") == Format::unknown);  // a hidden file, not an extension
}

TEST_CASE("image io: extension gives the canonical extension") {
    CHECK(extension(Format::png) == "png"s);
    CHECK(extension(Format::jpeg) == "jpg"s);
    CHECK(extension(Format::tiff) == "tif"s);
    CHECK(extension(Format::bmp) == "bmp"s);
    CHECK(extension(Format::webp) == "webp"s);
    CHECK(extension(Format::pnm) == "pnm"s);
    CHECK(extension(Format::pgm) == "pgm"s);
    CHECK(extension(Format::ppm) == "ppm"s);
    CHECK(extension(Format::npy) == "npy"s);
    CHECK(extension(Format::csv) == "csv"s);
    CHECK(extension(Format::gif) == "gif"s);
}

TEST_CASE("image io: sniff recognises magic bytes and numeric text") {
    const cv::Mat rgb = pattern(CV_8U, 3);
    CHECK(sniff(encode(rgb, Format::png)) == Format::png);
    CHECK(sniff(encode(rgb, Format::jpeg)) == Format::jpeg);
    CHECK(sniff(encode(rgb, Format::tiff)) == Format::tiff);
    CHECK(sniff(bytes("MM\0*\0\0\0\x08"sv)) == Format::tiff);
    CHECK(sniff(encode(rgb, Format::bmp)) == Format::bmp);
    CHECK(sniff(encode(rgb, Format::webp)) == Format::webp);
    CHECK(sniff(encode(rgb, Format::pnm)) == Format::ppm);  // P6
    CHECK(sniff(encode(pattern(CV_8U, 1), Format::pnm)) == Format::pgm);  // P5
    CHECK(sniff(bytes("P2 1 1 255 7\n"sv)) == Format::pgm);
    CHECK(sniff(bytes("P3 1 1 255 7 8 9\n"sv)) == Format::ppm);
    CHECK(sniff(bytes("P1\n2 1\n0 1\n"sv)) == Format::pnm);  // a bitmap
    // Named .pnm, a PGM or PPM is pnm, so that its outputs keep the name.
    CHECK(detect(encode(rgb, Format::pnm), Format::pnm) == Format::pnm);
    CHECK(detect(encode(rgb, Format::pnm), Format::pgm) == Format::ppm);  // the content decides
    CHECK(sniff(make_gif(3, 2)) == Format::gif);
    CHECK(sniff(bytes("\x93NUMPY\x01\x00"sv)) == Format::npy);
    for (const std::string ext : {".exr", ".hdr", ".pfm", ".pam", ".ras", ".jp2"}) {
        CAPTURE(ext);
        std::vector<uchar> b;
        cv::Mat m = gradient({64, 64});
        if (ext == ".exr" || ext == ".hdr" || ext == ".pfm") m.convertTo(m, CV_32F, 1.0 / 255);
        REQUIRE(cv::imencode(ext, m, b));
        CHECK(sniff(b) == Format::other);
    }
    for (const char* text :
         {"1,2\n3,4\n", "# a comment\n1 2\n-inf nan 1e-3\n", "  3.5E+2\t-1\r\n", "NaN", "-Infinity,1"}) {
        CAPTURE(text);
        CHECK(sniff(bytes(text)) == Format::csv);
    }
    for (const char* text : {"", "hello world", "1,2,x", "e", "# only a comment\n", "1;2", "\x89PN"}) {
        CAPTURE(text);
        CHECK(sniff(bytes(text)) == Format::unknown);
    }
    CHECK(sniff(Bytes{'1', ',', 0, '2'}) == Format::unknown);  // a NUL is not text
}

TEST_CASE("image io: what each format holds agrees with OpenCV's own round trip") {
    // The claims of cannot_hold, checked against cv::imencode/imdecode alone: a
    // combination is accepted exactly when OpenCV gives back identical data.
    const std::pair<Format, const char*> lossless[] = {{Format::png, ".png"},
                                                       {Format::tiff, ".tif"},
                                                       {Format::bmp, ".bmp"},
                                                       {Format::pnm, ".pnm"},
                                                       {Format::webp, ".webp"}};
    for (const auto& entry : lossless)
        for (int depth : all_depths)
            for (int channels = 1; channels <= 5; ++channels) {
                const Format format = entry.first;
                const std::string ext = entry.second;
                CAPTURE(ext);
                CAPTURE(depth);
                CAPTURE(channels);
                CHECK(opencv_round_trips(ext, pattern(depth, channels)) == !cannot_hold(format, depth, channels));
            }
    // JPEG is lossy: it holds what comes back with the same type.
    for (int depth : all_depths)
        for (int channels = 1; channels <= 5; ++channels) {
            CAPTURE(depth);
            CAPTURE(channels);
            const cv::Mat m = pattern(depth, channels);
            std::vector<uchar> buf;
            bool same_type = false;
            try {
                same_type = cv::imencode(".jpg", m, buf) && cv::imdecode(buf, cv::IMREAD_UNCHANGED).type() == m.type();
            } catch (const cv::Exception&) {
            }
            CHECK(same_type == !cannot_hold(Format::jpeg, depth, channels));
        }
}

TEST_CASE("image io: encode then decode is exact for every lossless combination, and probe agrees") {
    const Format formats[] = {Format::png, Format::tiff, Format::bmp, Format::pgm, Format::ppm, Format::webp};
    int accepted = 0;
    for (Format format : formats)
        for (int depth : all_depths)
            for (int channels = 1; channels <= 5; ++channels) {
                CAPTURE(extension(format));
                CAPTURE(depth);
                CAPTURE(channels);
                const cv::Mat m = pattern(depth, channels);
                const auto why = cannot_hold(format, m);
                if (why) {
                    CHECK(error_of([&] { encode(m, format); }) == *why);
                    continue;
                }
                ++accepted;
                const Bytes b = encode(m, format);
                CHECK(sniff(b) == format);
                CHECK(test::same(decode(b), m));
                check_probe_matches_decode(b, format);
            }
    CHECK(accepted == 3 * 2 + (3 * 2 + 2 + 4) + 2 + 2 + 2 + 2);  // png, tiff, bmp, pgm, ppm, webp
}

TEST_CASE("image io: JPEG round trip keeps type and size, and quality matters") {
    for (int channels : {1, 3}) {
        cv::Mat m = gradient();
        if (channels == 1) cv::cvtColor(m, m, cv::COLOR_RGB2GRAY);
        const Bytes b = encode(m, Format::jpeg);
        const cv::Mat back = decode(b);
        REQUIRE(back.type() == m.type());
        REQUIRE(back.size() == m.size());
        CHECK(cv::norm(back, m, cv::NORM_INF) <= 24);  // lossy, but nowhere near a channel swap
        CHECK(cv::norm(back, m, cv::NORM_L1) <= 3.0 * double(m.total() * std::size_t(m.channels())));
        check_probe_matches_decode(b, Format::jpeg);
    }
    const cv::Mat noisy = pattern(CV_8U, 3, {32, 32});
    CHECK(encode(noisy, Format::jpeg, {10}).size() < encode(noisy, Format::jpeg, {95}).size());
    CHECK(error_of([&] { encode(noisy, Format::jpeg, {0}); }) == "quality must be 1..100");
    CHECK(error_of([&] { encode(noisy, Format::webp, {101}); }) == "quality must be 1..100");
    // WebP is lossless unless a quality is given.
    CHECK(test::same(decode(encode(noisy, Format::webp)), noisy));
    CHECK_FALSE(test::same(decode(encode(noisy, Format::webp, {50})), noisy));
}

TEST_CASE("image io: channel order is RGB(A) on both sides of OpenCV") {
    test::TempDir dir;
    cv::Mat rgb(2, 3, CV_8UC3, cv::Scalar(10, 20, 30));  // R=10, G=20, B=30
    rgb.at<cv::Vec3b>(1, 2) = {200, 100, 50};
    const std::string path = dir / "rgb.png";
    write_file_atomic(path, encode(rgb, Format::png), false);
    // OpenCV reads the same file as BGR: the channels must come out reversed.
    const cv::Mat seen_by_opencv = cv::imread(path, cv::IMREAD_UNCHANGED);
    CHECK(seen_by_opencv.at<cv::Vec3b>(0, 0) == cv::Vec3b(30, 20, 10));
    CHECK(seen_by_opencv.at<cv::Vec3b>(1, 2) == cv::Vec3b(50, 100, 200));
    CHECK(test::same(decode(read_file(path)), rgb));

    cv::Mat rgba(1, 1, CV_16UC4, cv::Scalar(1000, 2000, 3000, 4000));
    const cv::Mat back = cv::imdecode(encode(rgba, Format::png), cv::IMREAD_UNCHANGED);
    CHECK(back.at<cv::Vec4w>(0, 0) == cv::Vec4w(3000, 2000, 1000, 4000));
    CHECK(test::same(decode(encode(rgba, Format::tiff)), rgba));
}

TEST_CASE("image io: sample images decode to the same pixels as cv::imread") {
    for (const char* name : {"cat.png", "rocket.jpg"}) {
        CAPTURE(name);
        const std::string path = test::sample(name);
        const cv::Mat expected_bgr = cv::imread(path, cv::IMREAD_UNCHANGED);
        REQUIRE_FALSE(expected_bgr.empty());
        cv::Mat expected;
        cv::cvtColor(expected_bgr, expected, cv::COLOR_BGR2RGB);
        const Bytes b = read_file(path);
        CHECK(test::same(decode(b), expected));
        const Info info = probe(b);
        CHECK(info.width == expected.cols);
        CHECK(info.height == expected.rows);
        CHECK(info.channels == 3);
        CHECK(info.depth == CV_8U);
        CHECK(info.orientation == 1);
    }
}

TEST_CASE("image io: npy and csv go to their own codecs") {
    for (int depth : all_depths)
        for (int channels : {1, 3, 5}) {
            CAPTURE(depth);
            CAPTURE(channels);
            const cv::Mat m = pattern(depth, channels);
            CHECK_FALSE(cannot_hold(Format::npy, m).has_value());
            const Bytes b = encode(m, Format::npy);
            CHECK(sniff(b) == Format::npy);
            CHECK(test::same(decode(b), m));
            check_probe_matches_decode(b, Format::npy);
        }
    const cv::Mat column = test::mat({{0.1, -2.5e-300}, {1e300, NAN}, {-0.0, 3}});
    const Bytes text = encode(column, Format::csv);
    CHECK(sniff(text) == Format::csv);
    CHECK(test::same(decode(text), column));
    check_probe_matches_decode(text, Format::csv);
    const Info info = probe(bytes("# x\n1 2 3\n4 5 6\n"sv));
    CHECK(info.format == Format::csv);
    CHECK(info.width == 3);
    CHECK(info.height == 2);
    CHECK(info.channels == 1);
    CHECK(info.depth == CV_64F);
}

TEST_CASE("image io: cannot_hold names the problem and a format that holds the data") {
    CHECK(cannot_hold(Format::png, CV_32F, 1) ==
          "PNG holds 8- or 16-bit unsigned data; this result is 32-bit float: write .npy or .tif"s);
    CHECK(cannot_hold(Format::png, CV_8U, 2) ==
          "PNG holds 1, 3 or 4 channels; this result has 2 channels: write .npy"s);
    CHECK(cannot_hold(Format::jpeg, CV_16U, 3) ==
          "JPEG holds 8-bit unsigned data; this result is 16-bit unsigned: write .npy, .png or .tif"s);
    CHECK(cannot_hold(Format::jpeg, CV_8U, 4) ==
          "JPEG holds 1 or 3 channels; this result has 4 channels: write .npy, .png or .tif"s);
    CHECK(cannot_hold(Format::webp, CV_8U, 1) ==
          "WebP holds 3 or 4 channels; this result has 1 channel: write .npy, .png or .tif"s);
    CHECK(cannot_hold(Format::bmp, CV_8U, 4) ==
          "BMP holds 1 or 3 channels; this result has 4 channels: write .npy, .png or .tif"s);
    CHECK(cannot_hold(Format::pnm, CV_8S, 1) ==
          "PNM holds 8- or 16-bit unsigned data; this result is 8-bit signed: write .npy or .tif"s);
    // PGM and PPM: what PNM holds, the channels their names promise (OpenCV would write a
    // P6 into a .pgm).
    for (int depth : all_depths)
        for (int channels = 1; channels <= 5; ++channels) {
            const bool pnm = !cannot_hold(Format::pnm, depth, channels);
            CHECK(!cannot_hold(Format::pgm, depth, channels) == (pnm && channels == 1));
            CHECK(!cannot_hold(Format::ppm, depth, channels) == (pnm && channels == 3));
        }
    CHECK(cannot_hold(Format::pgm, CV_8U, 3) ==
          "PGM holds 1 channel; this result has 3 channels: write .npy, .png, .tif or .ppm"s);
    CHECK(cannot_hold(Format::ppm, CV_16U, 1) ==
          "PPM holds 3 channels; this result has 1 channel: write .npy, .png, .tif or .pgm"s);
    CHECK(cannot_hold(Format::tiff, CV_32F, 3) ==
          "TIFF holds 32-bit float data with 1 or 4 channels; this result has 3 channels: write .npy"s);
    CHECK(cannot_hold(Format::tiff, CV_64F, 4) ==
          "TIFF holds 64-bit float data with 1 channel; this result has 4 channels: write .npy"s);
    CHECK(cannot_hold(Format::csv, CV_8U, 3) ==
          "CSV holds 1 channel; this result has 3 channels: write .npy, .png or .tif"s);
    CHECK(cannot_hold(Format::gif, CV_8U, 3) == "OpenCV 4.6 cannot write GIF: write .npy, .png or .tif"s);
    CHECK(cannot_hold(Format::unknown, CV_8U, 3).value_or("").find(".npy") != std::string::npos);
    // npy holds everything; csv any depth in one channel; formats whose exactness is not
    // checked (JPEG 2000, EXR, HDR...) are refused as outputs.
    CHECK_FALSE(cannot_hold(Format::npy, CV_64F, 7).has_value());
    CHECK_FALSE(cannot_hold(Format::csv, CV_32S, 1).has_value());
    CHECK(cannot_hold(Format::other, CV_64F, 2).value_or("").find("write .npy") != std::string::npos);
    // Every refusal suggests .npy.
    for (Format f :
         {Format::png, Format::jpeg, Format::tiff, Format::bmp, Format::webp, Format::pnm, Format::pgm, Format::ppm,
          Format::csv, Format::gif})
        for (int depth : all_depths)
            for (int channels = 1; channels <= 5; ++channels)
                if (auto why = cannot_hold(f, depth, channels)) CHECK(why->find("write .npy") != std::string::npos);
}

TEST_CASE("image io: encode errors and other formats") {
    CHECK(error_of([] { encode(cv::Mat(), Format::png); }) == "nothing to write (empty result)");
    CHECK(error_of([] { encode(pattern(CV_32F, 1), Format::png); }) ==
          "PNG holds 8- or 16-bit unsigned data; this result is 32-bit float: write .npy or .tif");
    CHECK(error_of([] { encode(pattern(CV_8U, 3), Format::gif); }).find("cannot write GIF") != std::string::npos);
    // Format::other is read through OpenCV (EXR keeps 32-bit floats exactly, NaN and inf too),
    // but not written: its exactness is not checked per depth.
    const cv::Mat hdr = pattern(CV_32F, 3);
    cv::Mat bgr;
    cv::cvtColor(hdr, bgr, cv::COLOR_RGB2BGR);
    Bytes b;
    REQUIRE(cv::imencode(".exr", bgr, b));
    CHECK(sniff(b) == Format::other);
    CHECK(test::same(decode(b), hdr));
    check_probe_matches_decode(b, Format::other);
    CHECK(error_of([&] { encode(hdr, Format::other); }).find("write .npy") != std::string::npos);
}

TEST_CASE("image io: probe agrees with decode for every PNG colour type and bit depth") {
    const auto check = [](const Bytes& png, int channels, int depth) {
        check_probe_matches_decode(png, Format::png);
        const Info info = probe(png);
        CHECK(info.width == 5);
        CHECK(info.height == 3);
        CHECK(info.channels == channels);
        CHECK(info.depth == depth);
    };
    const Bytes trns1 = png_chunk("tRNS", {0, 1});
    for (int bits : {1, 2, 4, 8, 16}) {
        CAPTURE(bits);
        const int depth = bits == 16 ? CV_16U : CV_8U;
        check(make_png(5, 3, bits, 0), 1, depth);
        check(make_png(5, 3, bits, 0, trns1), 1, depth);  // OpenCV ignores gray transparency
        if (bits >= 8) {
            check(make_png(5, 3, bits, 4), 4, depth);  // gray+alpha comes back as 4 channels
            check(make_png(5, 3, bits, 2), 3, depth);
            check(make_png(5, 3, bits, 2, png_chunk("tRNS", {0, 1, 0, 2, 0, 3})), 4, depth);
            check(make_png(5, 3, bits, 2, png_chunk("tRNS", {0, 1, 0, 2})), 3, depth);  // wrong size: ignored
            check(make_png(5, 3, bits, 6), 4, depth);
        }
        if (bits <= 8) {
            const Bytes plte = palette_chunk(1 << bits, false);
            check(make_png(5, 3, bits, 3, plte), 3, CV_8U);
            check(make_png(5, 3, bits, 3, palette_chunk(1 << bits, true)), 3, CV_8U);  // gray palette: still 3
            Bytes with_alpha = plte;
            append(with_alpha, png_chunk("tRNS", {0x80}));
            check(make_png(5, 3, bits, 3, with_alpha), 4, CV_8U);
            check(make_png(5, 3, bits, 3, plte, png_chunk("tRNS", {0x80})), 3, CV_8U);  // after IDAT: ignored
        }
    }
}

TEST_CASE("image io: probe agrees with decode for BMP, PNM, WebP, JPEG and TIFF variants") {
    std::vector<std::array<int, 3>> gray256, color256, gray2{{0, 0, 0}, {255, 255, 255}};
    for (int i = 0; i < 256; ++i) gray256.push_back({i, i, i}), color256.push_back({i, 255 - i, 3});
    SUBCASE("BMP") {
        const std::pair<Bytes, int> cases[] = {
            {make_bmp(5, 3, 8, 0, gray256), 1},
            {make_bmp(5, 3, 8, 0, gray2, 2), 1},  // two colours used, the rest count as black
            {make_bmp(5, 3, 8, 0, color256), 3},
            {make_bmp(5, 3, 1, 0, gray2), 1},
            {make_bmp(5, 3, 4, 0, {{0, 0, 0}, {1, 2, 3}}, 2), 3},
            {make_bmp(5, 3, 24, 0), 3},
            {make_bmp(5, -3, 24, 0), 3},  // top-down
            {make_bmp(5, 3, 24, 0, {}, 0, 124), 3},
            {make_bmp(5, 3, 32, 0), 3},  // 32-bit BI_RGB: OpenCV drops the fourth byte
            {make_bmp(5, 3, 32, 3), 4},  // BI_BITFIELDS: alpha kept
            {make_bmp(5, 3, 32, 3, {}, 0, 108), 4},
            {make_bmp(5, 3, 16, 0), 3},
            {make_bmp16_bitfields(5, 3, 0xf800, 0x7e0, 0x1f), 3},  // 5-6-5
            {make_bmp16_bitfields(5, 3, 0x7c00, 0x3e0, 0x1f), 3},  // 5-5-5
            {make_rle_bmp(5, 3, 8, gray256), 1},
            {make_rle_bmp(5, 3, 8, color256), 3},
            {make_rle_bmp(5, 3, 4, gray256), 1},
            {make_rle_bmp(5, 3, 4, color256), 3},
            {make_os2_bmp(5, 3), 1},  // OpenCV 4.6 reads OS/2 bitmaps as gray
            {make_os2_bmp(5, 3, 8, color256), 1},
            {make_os2_bmp(5, 3, 1, gray2), 1},
        };
        for (std::size_t i = 0; i < std::size(cases); ++i) {
            CAPTURE(i);
            const Bytes& bmp = cases[i].first;
            check_probe_matches_decode(bmp, Format::bmp);
            CHECK(probe(bmp).channels == cases[i].second);
            CHECK(probe(bmp).height == 3);
        }
        // Sizes come from the header, never from decoding: OpenCV allocates the image before it
        // reads the pixels, and these claim 324M and 400M pixels (under OpenCV's own limit of
        // 2^30) in a few hundred bytes (cut before the pixels, which decoding would fail on).
        Bytes rle = make_rle_bmp(5, 3, 8, gray256), os2 = make_os2_bmp(5, 3);
        rle.resize(rle[10] + 256u * rle[11]);
        le_at(rle, 18, 18000, 4), le_at(rle, 22, 18000, 4);
        le_at(os2, 18, 20000, 2), le_at(os2, 20, 20000, 2);
        CHECK(probe(rle).width == 18000);
        CHECK(probe(rle).height == 18000);
        CHECK(probe(os2).width == 20000);
        CHECK(probe(os2).height == 20000);
        CHECK_THROWS_AS(probe(make_bmp16_bitfields(5, 3, 0xff0000, 0xff00, 0xff)), IoError);  // masks OpenCV refuses
        CHECK(error_of([&] { probe(make_bmp(5, 3, 8, 0, gray256, 300)); }) == "corrupt BMP header");
        CHECK(error_of([&] { probe(prefix(make_bmp(5, 3, 8, 0, gray256), 100)); }) == "truncated BMP header");
    }
    SUBCASE("PNM") {
        const std::pair<std::string, std::pair<int, int>> cases[] = {
            {"P1\n# comment\n3 2\n0 1 0\n1 0 1\n", {1, CV_8U}},
            {"P2 3 2 255 0 1 2 3 4 5\n", {1, CV_8U}},
            {"P2 3 2 256 0 1 2 3 4 5\n", {1, CV_16U}},
            {"P3 3 2 255 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n", {3, CV_8U}},
            {"P4\n3 2\n\x40\x80", {1, CV_8U}},
            {"P5\n#c1\n#c2\n3 2\n65535\n" + std::string(12, '\x01'), {1, CV_16U}},
            {"P6 3 2 255\n" + std::string(18, '\x02'), {3, CV_8U}},
            {"P6 3 2 1000\n" + std::string(36, '\x02'), {3, CV_16U}},
        };
        for (const auto& c : cases) {
            const std::string text = c.first;
            CAPTURE(text);
            const Bytes b = bytes(text);
            const char kind = text[1];
            check_probe_matches_decode(b, kind == '1' || kind == '4' ? Format::pnm
                                          : c.second.first == 1 ? Format::pgm
                                                                : Format::ppm);
            CHECK(probe(b).channels == c.second.first);
            CHECK(probe(b).depth == c.second.second);
        }
        CHECK(error_of([] { probe(bytes("P5\n3 2\n70000\n"sv)); }) == "corrupt PGM header");
        CHECK(error_of([] { probe(bytes("P6\n3 x\n255\n"sv)); }) == "corrupt PPM header");
        CHECK(error_of([] { probe(bytes("P4\n3 \n"sv)); }) == "truncated PNM header");
    }
    SUBCASE("WebP") {
        const cv::Mat rgb = pattern(CV_8U, 3, {9, 6}), rgba = pattern(CV_8U, 4, {9, 6});
        const Bytes lossless3 = encode(rgb, Format::webp), lossless4 = encode(rgba, Format::webp);
        const Bytes lossy3 = encode(rgb, Format::webp, {80}), lossy4 = encode(rgba, Format::webp, {80});
        CHECK(std::string(lossless3.begin() + 12, lossless3.begin() + 16) == "VP8L");
        CHECK(std::string(lossy3.begin() + 12, lossy3.begin() + 16) == "VP8 ");
        CHECK(std::string(lossy4.begin() + 12, lossy4.begin() + 16) == "VP8X");
        for (const Bytes& b : {lossless3, lossless4, lossy3, lossy4}) check_probe_matches_decode(b, Format::webp);
        CHECK(probe(lossless3).channels == 3);
        CHECK(probe(lossless4).channels == 4);
        CHECK(probe(lossy3).channels == 3);
        CHECK(probe(lossy4).channels == 4);
        // In the extended format OpenCV goes by the VP8X alpha flag alone.
        const Bytes flagged = webp_extended(lossless4, 9, 6, true), unflagged = webp_extended(lossless4, 9, 6, false);
        check_probe_matches_decode(flagged, Format::webp);
        check_probe_matches_decode(unflagged, Format::webp);
        CHECK(probe(flagged).channels == 4);
        CHECK(probe(unflagged).channels == 3);
        CHECK(probe(flagged).width == 9);
        CHECK(probe(flagged).height == 6);
        // Animated (described by decoding it): over the caller's limit, its canvas size alone.
        Bytes animated = webp_extended(lossless4, 20000, 20000, true);
        animated.at(20) |= 0x02;  // the VP8X animation flag
        const Info sized = probe(animated, Format::unknown, 128'000'000);
        CHECK(sized.width == 20000);
        CHECK(sized.height == 20000);
        CHECK(sized.channels == 0);
    }
    SUBCASE("JPEG") {
        cv::Mat gray;
        cv::cvtColor(gradient(), gray, cv::COLOR_RGB2GRAY);
        check_probe_matches_decode(encode(gray, Format::jpeg), Format::jpeg);
        check_probe_matches_decode(encode(gradient(), Format::jpeg), Format::jpeg);
        std::vector<uchar> progressive;
        REQUIRE(cv::imencode(".jpg", gradient({33, 17}), progressive, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
        check_probe_matches_decode(progressive, Format::jpeg);
    }
    SUBCASE("TIFF") {
        for (const Bytes& b : {make_tiff(pattern(CV_8U, 1), 1, true), make_tiff(pattern(CV_16U, 1), 1, false)})
            check_probe_matches_decode(b, Format::tiff);
        // Compressed, as OpenCV writes it.
        std::vector<uchar> lzw;
        REQUIRE(cv::imencode(".tif", pattern(CV_8U, 3), lzw, {cv::IMWRITE_TIFF_COMPRESSION, 5}));
        check_probe_matches_decode(lzw, Format::tiff);
        // A variant described by decoding (photometric LogLuv), claiming 20000x20000 pixels
        // (under OpenCV's own limit of 2^30) in 150 bytes: over the caller's limit, its size
        // alone, nothing decoded (decoding the cut file would fail).
        Bytes bomb = make_tiff(pattern(CV_8U, 1), 1, true);
        le_at(bomb, 10 + 8, 20000, 4);           // ImageWidth, the first entry
        le_at(bomb, 10 + 12 + 8, 20000, 4);      // ImageLength
        le_at(bomb, 10 + 4 * 12 + 8, 32844, 2);  // PhotometricInterpretation
        bomb.resize(150);
        const Info sized = probe(bomb, Format::unknown, 128'000'000);
        CHECK(sized.width == 20000);
        CHECK(sized.height == 20000);
        CHECK(sized.channels == 0);
    }
}

TEST_CASE("exif: JPEG orientation 1..8 in both byte orders") {
    const Bytes jpeg = encode(gradient({8, 5}), Format::jpeg);
    const cv::Mat stored = decode(jpeg);  // no EXIF: the pixels as stored
    for (bool little : {true, false})
        for (int o = 1; o <= 8; ++o) {
            CAPTURE(little);
            CAPTURE(o);
            const Bytes b = jpeg_with_exif(jpeg, exif_block(o, little));
            const cv::Mat shown = decode(b);
            CHECK(test::same(shown, oriented(stored, o)));
            const Info info = probe(b);
            CHECK(info.orientation == o);
            CHECK(info.width == (o >= 5 ? 5 : 8));
            CHECK(info.height == (o >= 5 ? 8 : 5));
            CHECK(info.width == shown.cols);
            CHECK(info.height == shown.rows);
        }
    // The expected images really differ, so the check above can fail.
    CHECK_FALSE(test::same(oriented(stored, 2), stored));
    CHECK_FALSE(test::same(oriented(stored, 6), oriented(stored, 8)));
}

TEST_CASE("exif: PNG eXIf and WebP EXIF orientation") {
    const cv::Mat rgb = pattern(CV_8U, 3, {6, 4}), rgba = pattern(CV_8U, 4, {6, 4});
    const Bytes png = encode(rgb, Format::png), webp = encode(rgba, Format::webp);
    for (bool little : {true, false})
        for (int o = 1; o <= 8; ++o) {
            CAPTURE(little);
            CAPTURE(o);
            const Bytes p = with_png_chunk(png, "eXIf", exif_block(o, little));
            CHECK(test::same(decode(p), oriented(rgb, o)));
            CHECK(probe(p).orientation == o);
            CHECK(probe(p).width == (o >= 5 ? 4 : 6));

            const Bytes w = webp_extended(webp, 6, 4, true, exif_block(o, little));
            CHECK(test::same(decode(w), oriented(rgba, o)));
            CHECK(probe(w).orientation == o);
            CHECK(probe(w).height == (o >= 5 ? 6 : 4));
            // Some writers keep the JPEG "Exif\0\0" prefix inside the WebP chunk.
            Bytes prefixed = bytes("Exif\0\0"sv);
            append(prefixed, exif_block(o, little));
            CHECK(test::same(decode(webp_extended(webp, 6, 4, true, prefixed)), oriented(rgba, o)));
        }
}

TEST_CASE("exif: TIFF orientation is applied once (by OpenCV) and reported by probe") {
    const cv::Mat gray8 = pattern(CV_8U, 1, {5, 3}), gray16 = pattern(CV_16U, 1, {5, 3});
    for (bool little : {true, false})
        for (int o = 1; o <= 8; ++o) {
            CAPTURE(little);
            CAPTURE(o);
            for (const cv::Mat& m : {gray8, gray16}) {
                const Bytes b = make_tiff(m, o, little);
                CHECK(test::same(decode(b), oriented(m, o)));
                const Info info = probe(b);
                CHECK(info.orientation == o);
                CHECK(info.width == (o >= 5 ? 3 : 5));
                check_probe_matches_decode(b, Format::tiff);
            }
        }
}

TEST_CASE("exif: hostile EXIF blocks are ignored without crashing") {
    const Bytes jpeg = encode(gradient({8, 5}), Format::jpeg), png = encode(pattern(CV_8U, 3, {6, 4}), Format::png);
    const cv::Mat stored = decode(jpeg), png_pixels = decode(png);
    const auto block = [](std::initializer_list<unsigned char> b) { return Bytes(b); };
    std::vector<std::pair<const char*, Bytes>> hostile = {
        {"IFD0 offset past the end", block({'I', 'I', '*', 0, 0xF0, 0xFF, 0xFF, 0xFF})},
        {"IFD0 offset near 2^32 (overflow)", block({'M', 'M', 0, '*', 0xFF, 0xFF, 0xFF, 0xFE, 0, 1})},
        {"entry count past the end", block({'I', 'I', '*', 0, 8, 0, 0, 0, 0xFF, 0xFF, 0x12, 0x01})},
        {"values at an offset past the end",
         block({'I', 'I', '*', 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 3, 0, 0, 0, 0xF0, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0})},
        {"count overflowing 32 bits",
         block({'I', 'I', '*', 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 4, 0, 1, 0, 0, 0x40, 8, 0, 0, 0, 0, 0, 0, 0})},
        {"orientation 0", exif_block(0, true)},
        {"orientation 9", exif_block(9, false)},
        {"orientation of an unknown type",
         block({'I', 'I', '*', 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 7, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0})},
        {"bad byte order mark", block({'I', 'M', '*', 0, 8, 0, 0, 0, 0, 0})},
        {"cut inside the entry", prefix(exif_block(6, true), 15)},
        {"empty", {}},
    };
    for (const auto& entry : hostile) {
        const std::string what = entry.first;
        const Bytes& tiff = entry.second;
        CAPTURE(what);
        const Bytes j = jpeg_with_exif(jpeg, tiff);
        CHECK(test::same(decode(j), stored));
        CHECK(probe(j).orientation == 1);
        const Bytes p = with_png_chunk(png, "eXIf", tiff);
        CHECK(test::same(decode(p), png_pixels));
        CHECK(probe(p).orientation == 1);
    }
    // IFD0 pointing back at itself as its next IFD: only IFD0 is read, so no loop.
    Bytes looped = exif_block(6, true);
    looped[looped.size() - 4] = 8;
    CHECK(probe(jpeg_with_exif(jpeg, looped)).orientation == 6);
    // An APP1 that is not EXIF is skipped.
    CHECK(probe(with_jpeg_app1(jpeg, bytes("http://ns.adobe.com/xap/1.0/\0<x/>"sv))).orientation == 1);
}

TEST_CASE("image io: empty, text, GIF, truncated and corrupt input give the expected reason") {
    CHECK(error_of([] { decode({}); }) == "empty file");
    CHECK(error_of([] { probe({}); }) == "empty file");
    CHECK(error_of([] { decode(bytes("hello world"sv)); }) == "not an image or array file (unrecognised content)");
    CHECK(error_of([] { probe(bytes("\x01\x02\x03"sv)); }) == "not an image or array file (unrecognised content)");

    const Bytes gif = make_gif(10, 7);
    CHECK(error_of([&] { decode(gif); }) == "GIF is not supported by OpenCV 4.6; convert it to PNG first");
    CHECK(error_of([&] { probe(gif); }) == "GIF is not supported by OpenCV 4.6; convert it to PNG first");

    const Bytes png = encode(pattern(CV_8U, 3), Format::png);
    for (std::size_t n : {8, 12, 16, 20, 29, 33, 36}) {
        CAPTURE(n);
        CHECK(error_of([&] { probe(prefix(png, n)); }) == "truncated PNG header");
    }
    CHECK(error_of([&] { decode(prefix(png, png.size() - 20)); }) == "corrupt or unsupported PNG data");
    Bytes bad_depth = png;
    bad_depth[24] = 3;  // bit depth 3
    CHECK(error_of([&] { probe(bad_depth); }) == "corrupt PNG header");
    Bytes not_ihdr = png;
    not_ihdr[12] = 'X';
    CHECK(error_of([&] { probe(not_ihdr); }) == "corrupt PNG header");

    const Bytes jpeg = encode(gradient(), Format::jpeg);
    std::size_t sof = 2;
    while (!(jpeg[sof] == 0xFF && jpeg[sof + 1] == 0xC0)) ++sof;
    const std::size_t cuts[] = {3, 4, 6, 20, sof, sof + 5};
    for (std::size_t n : cuts) {
        CAPTURE(n);
        CHECK(error_of([&] { probe(prefix(jpeg, n)); }) == "truncated JPEG header");
    }
    CHECK(error_of([&] { decode(prefix(jpeg, 40)); }) == "truncated JPEG data");
    Bytes twelve_bit = jpeg;
    twelve_bit[sof + 4] = 12;
    CHECK(error_of([&] { probe(twelve_bit); }) == "12-bit JPEG is not supported");
    Bytes no_frame = jpeg;
    no_frame[sof + 1] = 0xDA;  // a scan where the frame header should be
    CHECK(error_of([&] { probe(no_frame); }) == "corrupt JPEG header");
    CHECK(error_of([&] { probe(with_jpeg_app1(prefix(jpeg, 2), Bytes(10, 'x'))); }) == "truncated JPEG header");

    const Bytes webp = encode(pattern(CV_8U, 3), Format::webp);
    CHECK(error_of([&] { probe(prefix(webp, 22)); }) == "truncated WebP header");
    const Bytes tiff = encode(pattern(CV_8U, 3), Format::tiff);
    CHECK(error_of([&] { probe(prefix(tiff, 10)); }) == "truncated TIFF header");
}

TEST_CASE("image io: every prefix and random corruption of a header gives a result or an IoError") {
    // Probe reads headers itself, so this is where bounds checks matter. Anything but an
    // IoError escaping (or a crash under sanitizers) fails the test.
    const Bytes jpeg = encode(gradient({8, 5}), Format::jpeg);
    const Bytes webp = encode(pattern(CV_8U, 4, {6, 4}), Format::webp);
    std::vector<Bytes> files = {
        with_png_chunk(encode(pattern(CV_8U, 3, {6, 4}), Format::png), "eXIf", exif_block(6, false)),
        jpeg_with_exif(jpeg, exif_block(8, true)),
        webp_extended(webp, 6, 4, true, exif_block(5, true)),
        make_tiff(pattern(CV_16U, 1, {5, 3}), 7, false),
        make_bmp(5, 3, 8, 0, {{1, 1, 1}, {2, 2, 2}}, 2),
        bytes("P5\n# c\n3 2\n65535\n" + std::string(12, '\x07')),
        make_gif(3, 2),
    };
    std::mt19937 rng(7);
    for (const Bytes& file : files) {
        for (std::size_t n = 0; n <= std::min<std::size_t>(file.size(), 120); ++n) {
            CAPTURE(n);
            const Bytes cut = prefix(file, n);
            try {
                probe(cut);
            } catch (const IoError&) {
            }
        }
        for (int round = 0; round < 400; ++round) {
            Bytes m = file;
            for (int k = 0; k < 1 + round % 4; ++k)
                m[rng() % std::min<std::size_t>(m.size(), 64)] = static_cast<unsigned char>(rng());
            try {
                probe(m);
            } catch (const IoError&) {
            }
        }
    }
    CHECK(true);  // reaching here without a crash or a foreign exception is the test
}

TEST_CASE("image io: read_file reports missing files, directories and bad parents") {
    test::TempDir dir;
    CHECK(error_of([&] { read_file(dir / "missing.png"); }) == "no such file");
    CHECK(error_of([&] { read_file(dir.path.string()); }) == "is a directory");
    test::write_text(dir / "file.txt", "12");
    CHECK(error_of([&] { read_file(dir / "file.txt/x.png"); }) == "no such file");
    CHECK(read_file(dir / "file.txt") == bytes("12"sv));
    test::write_text(dir / "empty", "");
    CHECK(read_file(dir / "empty").empty());
    if (::geteuid() != 0) {  // root reads everything
        test::write_text(dir / "secret", "x");
        ::chmod((dir / "secret").c_str(), 0);
        CHECK(error_of([&] { read_file(dir / "secret"); }) == "permission denied");
    }
}

TEST_CASE("image io: write_file_atomic writes whole files and leaves no temporary file") {
    test::TempDir dir;
    const auto leftovers = [&] {
        int n = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir.path)) n += e.path().filename().string()[0] == '.';
        return n;
    };
    const std::string out = dir / "out.png";
    const Bytes first = bytes("first"sv), second = bytes("second, longer"sv);

    const mode_t old_mask = ::umask(022);
    write_file_atomic(out, first, false);
    ::umask(old_mask);
    CHECK(test::read_bytes(out) == first);
    struct stat st {};
    REQUIRE(::stat(out.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);  // a normal new file, not mkstemp's 0600

    CHECK(error_of([&] { write_file_atomic(out, second, false); }) == "exists (use --overwrite to replace it)");
    CHECK(test::read_bytes(out) == first);
    write_file_atomic(out, second, true);
    CHECK(test::read_bytes(out) == second);
    write_file_atomic(out, {}, true);
    CHECK(test::read_bytes(out).empty());

    CHECK(error_of([&] { write_file_atomic(dir / "no/such/dir/x.png", first, false); }) == "no such directory");
    test::write_text(dir / "file.txt", "x");
    CHECK(error_of([&] { write_file_atomic(dir / "file.txt/x.png", first, true); }) == "no such directory");
    std::filesystem::create_directory(dir / "sub");
    CHECK(error_of([&] { write_file_atomic(dir / "sub", first, true); }) == "is a directory");
    CHECK(error_of([&] { write_file_atomic(dir / "sub/", first, true); }) == "is a directory");
    // A dangling symlink is something already there.
    std::filesystem::create_symlink(dir / "nowhere", dir / "link.png");
    CHECK(error_of([&] { write_file_atomic(dir / "link.png", first, false); }) ==
          "exists (use --overwrite to replace it)");
    CHECK(leftovers() == 0);
    if (::geteuid() != 0) {  // root writes everywhere
        std::filesystem::create_directory(dir / "locked");
        ::chmod((dir / "locked").c_str(), 0555);
        CHECK(error_of([&] { write_file_atomic(dir / "locked/x.png", first, false); }) == "permission denied");
    }
}
