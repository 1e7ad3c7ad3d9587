// The native PNG, JPEG and WebP codecs (lib/src/png_codec.cpp, jpeg_encode.cpp,
// webp_codec.cpp) against OpenCV's own: the same pixels as cv::imdecode(IMREAD_UNCHANGED)
// for every kind of valid file, the same bytes as cv::imencode, exact round trips for
// everything the formats are said to hold, an IoError (and silence) for damaged files.
#include <doctest/doctest.h>
#include <png.h>
#include <webp/encode.h>
#include <zlib.h>

#include <sys/stat.h>

#include <csetjmp>
#include <cstdio>
#include <imgpool/error.hpp>
#include <imgpool/image_io.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "support.hpp"

using namespace imgpool::io;
using imgpool::IoError;
using test::StderrCapture;
using test::opencv_decode;
using test::swapped;

namespace {

Bytes opencv_encode(const std::string& ext, const cv::Mat& rgb, const std::vector<int>& params = {}) {
    Bytes b;
    REQUIRE(cv::imencode(ext, swapped(rgb), b, params));
    return b;
}

bool identical(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && test::same(a, b);
}

// Random values over the whole range of 8- or 16-bit data, plus smooth parts (so lossy
// and filtered compression have something to work on).
cv::Mat picture(int depth, int channels, cv::Size size = {37, 23}, std::uint64_t seed = 1) {
    cv::Mat m(size, CV_MAKETYPE(depth, channels));
    cv::RNG(seed).fill(m, cv::RNG::UNIFORM, 0, depth == CV_8U ? 256 : 65536);
    for (int y = 0; y < m.rows / 2; ++y)  // the top half smooth
        for (int x = 0; x < m.cols * channels; ++x) {
            const int v = (x * 5 + y * 11) % 256;
            if (depth == CV_8U)
                m.ptr<uchar>(y)[x] = uchar(v);
            else
                m.ptr<ushort>(y)[x] = ushort(v * 257 + x);
        }
    return m;
}

// ---- PNG files written with libpng, for the variants cv::imencode cannot write ----

struct PngSpec {
    int bits = 8;
    int colour = PNG_COLOR_TYPE_RGB;
    bool interlaced = false;
    int trns = 0;        // palette: entries with alpha; gray and RGB: 1 = a transparent colour
    bool gamma = false;  // a gAMA chunk
    std::uint64_t seed = 1;
};

int samples_per_pixel(int colour) {
    switch (colour) {
        case PNG_COLOR_TYPE_RGB: return 3;
        case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
        case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
        default: return 1;
    }
}

struct PngOut {
    Bytes bytes;
};

void png_append(png_structp png, png_bytep data, std::size_t n) {
    auto* out = static_cast<PngOut*>(png_get_io_ptr(png));
    out->bytes.insert(out->bytes.end(), data, data + n);
}
void png_no_flush(png_structp) {}

// Writes the rows with libpng; holds no C++ object with a destructor across setjmp.
bool write_png_rows(const PngSpec& s, int w, int h, unsigned char** rows, PngOut& out) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_set_write_fn(png, &out, png_append, png_no_flush);
    png_set_IHDR(png, info, png_uint_32(w), png_uint_32(h), s.bits, s.colour,
                 s.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_color palette[256];
    png_byte alpha[256];
    png_color_16 colour{};
    const int max = (1 << s.bits) - 1;
    if (s.colour == PNG_COLOR_TYPE_PALETTE) {
        const int entries = 1 << s.bits;
        for (int i = 0; i < entries; ++i) {
            palette[i] = {png_byte(i * 37), png_byte(255 - i * 11), png_byte(i * 101)};
            alpha[i] = png_byte(i * 53);
        }
        png_set_PLTE(png, info, palette, entries);
        if (s.trns) png_set_tRNS(png, info, alpha, s.trns, nullptr);
    } else if (s.trns) {
        colour.gray = png_uint_16(max / 3);
        colour.red = png_uint_16(max / 3), colour.green = png_uint_16(max / 2), colour.blue = png_uint_16(max / 5);
        png_set_tRNS(png, info, nullptr, 0, &colour);
    }
    if (s.gamma) png_set_gAMA(png, info, 1 / 2.2);
    png_write_info(png, info);
    if (s.bits == 16) png_set_swap(png);
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return true;
}

// A w x h PNG of random samples, some of them the tRNS colour.
Bytes libpng_file(const PngSpec& s, int w = 13, int h = 7) {
    const int spp = samples_per_pixel(s.colour);
    const std::size_t row_bytes = (std::size_t(w) * spp * s.bits + 7) / 8;
    cv::Mat data(h, int(row_bytes), CV_8U);
    cv::RNG(s.seed).fill(data, cv::RNG::UNIFORM, 0, 256);
    const int max = (1 << s.bits) - 1;
    if (s.trns && s.colour == PNG_COLOR_TYPE_GRAY && s.bits == 8) data.at<uchar>(0, 0) = uchar(max / 3);
    if (s.trns && s.colour == PNG_COLOR_TYPE_RGB && s.bits == 8)
        data.at<uchar>(0, 0) = uchar(max / 3), data.at<uchar>(0, 1) = uchar(max / 2),
                          data.at<uchar>(0, 2) = uchar(max / 5);
    std::vector<unsigned char*> rows;
    for (int y = 0; y < h; ++y) rows.push_back(data.ptr(y));
    PngOut out;
    REQUIRE(write_png_rows(s, w, h, rows.data(), out));
    return out.bytes;
}

std::string describe(const PngSpec& s) {
    return "colour type " + std::to_string(s.colour) + ", " + std::to_string(s.bits) + " bits" +
           (s.interlaced ? ", interlaced" : "") + (s.trns ? ", tRNS " + std::to_string(s.trns) : "") +
           (s.gamma ? ", gAMA" : "");
}

std::vector<PngSpec> png_variants() {
    std::vector<PngSpec> v;
    for (bool interlaced : {false, true}) {
        for (int bits : {1, 2, 4, 8, 16})
            for (int trns : {0, 1}) v.push_back({bits, PNG_COLOR_TYPE_GRAY, interlaced, trns});
        for (int bits : {1, 2, 4, 8})
            for (int trns : {0, 1, 2}) v.push_back({bits, PNG_COLOR_TYPE_PALETTE, interlaced, trns});
        for (int bits : {8, 16}) {
            for (int trns : {0, 1}) v.push_back({bits, PNG_COLOR_TYPE_RGB, interlaced, trns});
            v.push_back({bits, PNG_COLOR_TYPE_GRAY_ALPHA, interlaced});
            v.push_back({bits, PNG_COLOR_TYPE_RGB_ALPHA, interlaced});
        }
    }
    v.push_back({8, PNG_COLOR_TYPE_RGB, false, 0, true});
    v.push_back({16, PNG_COLOR_TYPE_GRAY, false, 0, true});
    v.push_back({4, PNG_COLOR_TYPE_PALETTE, true, 5, true});
    return v;
}

// The chunk starting at `pos` with its CRC spoiled.
Bytes with_bad_crc(Bytes b, std::size_t pos) {
    const std::size_t length =
        std::size_t(b[pos]) << 24 | std::size_t(b[pos + 1]) << 16 | std::size_t(b[pos + 2]) << 8 | b[pos + 3];
    b[pos + 8 + length] ^= 0xFF;
    return b;
}

// A tEXt chunk inserted after IHDR (8 + 25 bytes into the file).
Bytes with_text_chunk(const Bytes& png) {
    const std::string body = std::string("Comment") + '\0' + "made for imgpool's tests";
    Bytes chunk{0, 0, 0, static_cast<unsigned char>(body.size()), 't', 'E', 'X', 't'};
    chunk.insert(chunk.end(), body.begin(), body.end());
    const unsigned long crc = crc32(crc32(0, nullptr, 0), chunk.data() + 4, unsigned(chunk.size() - 4));
    for (int i = 3; i >= 0; --i) chunk.push_back(static_cast<unsigned char>(crc >> (8 * i)));
    Bytes out = png;
    out.insert(out.begin() + 33, chunk.begin(), chunk.end());
    return out;
}

Bytes prefix(const Bytes& b, std::size_t n) {
    return Bytes(b.begin(), b.begin() + std::ptrdiff_t(n));
}

}  // namespace

// ---- Decoding: the same pixels as OpenCV ----

TEST_CASE(
    "codecs: every PNG variant decodes to cv::imdecode's pixels (palette, tRNS, gray+alpha, low bits, "
    "16-bit, interlaced)") {
    for (const PngSpec& s : png_variants()) {
        INFO(describe(s));
        const Bytes file = libpng_file(s);
        const cv::Mat expected = opencv_decode(file);
        REQUIRE_FALSE(expected.empty());
        StderrCapture err;
        const cv::Mat ours = decode(file);
        CHECK(identical(ours, expected));
        CHECK(err.text() == "");
        // probe() promises the same shape without decoding
        const Info info = probe(file);
        CHECK(info.channels == expected.channels());
        CHECK(info.depth == expected.depth());
    }
}

TEST_CASE("codecs: OpenCV's quirks, spelled out (issue #5)") {
    // In case both decoders changed together: the channel rules written down in png_codec.hpp.
    CHECK(decode(libpng_file({8, PNG_COLOR_TYPE_PALETTE})).type() == CV_8UC3);
    CHECK(decode(libpng_file({8, PNG_COLOR_TYPE_PALETTE, false, 3})).type() == CV_8UC4);
    CHECK(decode(libpng_file({8, PNG_COLOR_TYPE_GRAY_ALPHA})).type() == CV_8UC4);
    CHECK(decode(libpng_file({8, PNG_COLOR_TYPE_GRAY, false, 1})).type() == CV_8UC1);
    CHECK(decode(libpng_file({2, PNG_COLOR_TYPE_GRAY})).type() == CV_8UC1);
    CHECK(decode(libpng_file({16, PNG_COLOR_TYPE_RGB, false, 1})).type() == CV_16UC4);
    // 1-bit gray widens to 0 and 255
    const cv::Mat bilevel = decode(libpng_file({1, PNG_COLOR_TYPE_GRAY}));
    double lo = 0, hi = 0;
    cv::minMaxLoc(bilevel, &lo, &hi);
    CHECK(lo == 0);
    CHECK(hi == 255);
    // gray+alpha: the gray value repeated in R, G and B
    const cv::Mat ga = decode(libpng_file({8, PNG_COLOR_TYPE_GRAY_ALPHA}));
    const cv::Vec4b p = ga.at<cv::Vec4b>(3, 4);
    CHECK((p[0] == p[1] && p[1] == p[2]));
}

TEST_CASE("codecs: PNGs written by OpenCV, and metadata chunks, decode to cv::imdecode's pixels") {
    for (int depth : {CV_8U, CV_16U})
        for (int channels : {1, 3, 4}) {
            CAPTURE(depth);
            CAPTURE(channels);
            const Bytes file = opencv_encode(".png", picture(depth, channels));
            CHECK(identical(decode(file), opencv_decode(file)));
            // a tEXt chunk, then one whose CRC is wrong: libpng warns and skips it (silently here)
            const Bytes text = with_text_chunk(file);
            CHECK(identical(decode(text), opencv_decode(text)));
            const Bytes bad_crc = with_bad_crc(text, 33);
            REQUIRE_FALSE(opencv_decode(bad_crc).empty());
            StderrCapture err;
            CHECK(identical(decode(bad_crc), opencv_decode(text)));
            CHECK(err.text() == "");
        }
}

TEST_CASE("codecs: WebP lossy and lossless, with and without alpha, decode to cv::imdecode's pixels") {
    for (int channels : {3, 4})
        for (int quality : {-1, 1, 60, 100}) {
            CAPTURE(channels);
            CAPTURE(quality);
            const std::vector<int> params =
                quality < 0 ? std::vector<int>{} : std::vector<int>{cv::IMWRITE_WEBP_QUALITY, quality};
            const Bytes file = opencv_encode(".webp", picture(CV_8U, channels), params);
            const cv::Mat expected = opencv_decode(file);
            REQUIRE(expected.channels() == channels);
            CHECK(identical(decode(file), expected));
        }
}

TEST_CASE("codecs: JPEG gray and RGB decode to cv::imdecode's pixels") {
    for (int channels : {1, 3}) {
        const Bytes file = opencv_encode(".jpg", picture(CV_8U, channels));
        CHECK(identical(decode(file), opencv_decode(file)));
    }
}

// ---- Encoding: OpenCV's bytes, exact round trips ----

TEST_CASE("codecs: PNG encoding gives cv::imencode's bytes at every level, and round-trips exactly") {
    for (int depth : {CV_8U, CV_16U})
        for (int channels : {1, 3, 4})
            for (int level : {-1, 0, 1, 6, 9}) {
                CAPTURE(depth);
                CAPTURE(channels);
                CAPTURE(level);
                REQUIRE_FALSE(cannot_hold(Format::png, depth, channels));
                const cv::Mat m = picture(depth, channels);
                EncodeOptions opt;
                opt.png_compression = level;
                const Bytes ours = encode(m, Format::png, opt);
                const std::vector<int> params =
                    level < 0 ? std::vector<int>{} : std::vector<int>{cv::IMWRITE_PNG_COMPRESSION, level};
                CHECK(ours == opencv_encode(".png", m, params));
                CHECK(identical(decode(ours), m));
                CHECK(identical(opencv_decode(ours), m));
            }
    // a view into a larger image (rows not contiguous)
    const cv::Mat big = picture(CV_8U, 3, {50, 40});
    const cv::Mat view = big(cv::Rect(3, 5, 20, 17));
    CHECK(identical(decode(encode(view, Format::png)), view.clone()));
    CHECK(test::error_of([&] { encode(view, Format::png, {-1, 10}); }) == "PNG compression must be 0..9");
}

TEST_CASE("codecs: JPEG encoding gives cv::imencode's bytes at every quality") {
    for (int channels : {1, 3})
        for (int quality : {-1, 1, 50, 95, 100}) {
            CAPTURE(channels);
            CAPTURE(quality);
            REQUIRE_FALSE(cannot_hold(Format::jpeg, CV_8U, channels));
            const cv::Mat m = picture(CV_8U, channels);
            const Bytes ours = encode(m, Format::jpeg, {quality});
            const std::vector<int> params =
                quality < 0 ? std::vector<int>{} : std::vector<int>{cv::IMWRITE_JPEG_QUALITY, quality};
            CHECK(ours == opencv_encode(".jpg", m, params));
            const cv::Mat back = decode(ours);
            CHECK(back.type() == m.type());
            CHECK(identical(back, opencv_decode(ours)));
        }
    // larger than the first guess at the output size: the destination grows
    cv::Mat noise(300, 301, CV_8UC3);
    cv::RNG(7).fill(noise, cv::RNG::UNIFORM, 0, 256);
    CHECK(encode(noise, Format::jpeg, {100}) == opencv_encode(".jpg", noise, {cv::IMWRITE_JPEG_QUALITY, 100}));
}

TEST_CASE("codecs: WebP encoding gives cv::imencode's bytes (but lossless RGBA); lossless round-trips exactly") {
    for (int channels : {3, 4})
        for (int quality : {-1, 1, 75, 100}) {
            CAPTURE(channels);
            CAPTURE(quality);
            REQUIRE_FALSE(cannot_hold(Format::webp, CV_8U, channels));
            cv::Mat m = picture(CV_8U, channels);
            if (channels == 4) m.at<cv::Vec4b>(0, 0) = {10, 20, 30, 0};  // a coloured, fully transparent pixel
            const Bytes ours = encode(m, Format::webp, {quality});
            const std::vector<int> params =
                quality < 0 ? std::vector<int>{} : std::vector<int>{cv::IMWRITE_WEBP_QUALITY, quality};
            // Lossless RGBA keeps the colour of fully transparent pixels, which OpenCV's does not.
            const bool exact_alpha = quality < 0 && channels == 4;
            CHECK((ours == opencv_encode(".webp", m, params)) != exact_alpha);
            const cv::Mat back = decode(ours);
            CHECK(identical(back, opencv_decode(ours)));
            if (quality < 0) CHECK(identical(back, m));
        }
    const cv::Mat wide(1, WEBP_MAX_DIMENSION + 1, CV_8UC3, cv::Scalar::all(0));
    CHECK(test::error_of([&] { encode(wide, Format::webp); }) == "WebP holds at most 16383 pixels a side");
}

// ---- Damaged files: an IoError, nothing on stderr ----

TEST_CASE("codecs: every truncation and many byte flips of a PNG or WebP give an IoError, silently") {
    const cv::Mat m = picture(CV_8U, 4, {24, 16});
    const std::vector<std::pair<std::string, Bytes>> files = {
        {"png", encode(m, Format::png)},
        {"interlaced png", libpng_file({8, PNG_COLOR_TYPE_RGB_ALPHA, true}, 24, 16)},
        {"lossless webp", encode(m, Format::webp)},
        {"lossy webp", encode(m, Format::webp, {80})},
    };
    for (const auto& [name, file] : files) {
        INFO(name);
        StderrCapture err;
        int refused = 0;
        for (std::size_t n = 1; n < file.size(); ++n) {
            const std::string why = test::error_of([&] { decode(prefix(file, n)); });
            refused += why != "(no IoError)";
        }
        CHECK(refused == int(file.size()) - 1);
        // A flip in a PNG is always noticed (CRCs); in WebP either noticed or other pixels.
        for (std::size_t i = 8; i < file.size(); i += 7) {
            Bytes flipped = file;
            flipped[i] ^= 0x5A;
            try {
                decode(flipped);
                CHECK(name.find("webp") != std::string::npos);
            } catch (const IoError&) {
            }
        }
        CHECK(err.text() == "");
    }
}

// ---- Formats by name, without OpenCV's codecs ----

TEST_CASE("codecs: format_from_path knows exactly the extensions OpenCV 4.6 writes") {
    for (const char* ext :
         {"bmp", "dib",  "jpeg", "jpg", "jpe", "jp2", "png", "pbm",  "pgm",  "ppm", "pnm", "pam", "pfm",
          "sr",  "ras",  "tiff", "tif", "exr", "hdr", "pic", "webp", "jpg2", "j2k", "jpc", "jpx", "pxm",
          "gif", "avif", "heic", "dcm", "raw", "vtk", "xbm", "tga",  "ico",  "psd", "PNG", "Jp2", "EXR"}) {
        CAPTURE(ext);
        const Format f = format_from_path(std::string("a.") + ext);
        const bool ours = f != Format::unknown && f != Format::npy && f != Format::csv && f != Format::gif;
        CHECK(ours == cv::haveImageWriter(std::string("a.") + ext));
    }
}

// ---- Reading a file again, in pieces ----

TEST_CASE("codecs: decode_file gives decode's pixels, reading a PNG again in pieces, and notices a changed PNG") {
    test::TempDir dir;
    std::vector<std::pair<std::string, Bytes>> files;
    for (const PngSpec& s : png_variants()) files.push_back({describe(s), libpng_file(s)});
    files.push_back({"jpeg", opencv_encode(".jpg", picture(CV_8U, 3))});
    files.push_back({"webp", encode(picture(CV_8U, 4), Format::webp)});
    files.push_back({"csv", Bytes{'1', ',', '2', '\n', '3', ',', '4', '\n'}});
    for (const auto& [name, bytes] : files) {
        INFO(name);
        test::write_bytes(dir / "f", bytes);
        const Info info = probe(bytes);
        CHECK(identical(decode_file(Bytes(bytes), dir / "f", info), decode(bytes)));
    }
    // a PNG with EXIF orientation 6 (rotate 90 clockwise) as a file
    const Bytes png = encode(picture(CV_8U, 3), Format::png);
    test::write_bytes(dir / "f.png", png);
    Info info = probe(png);
    info.orientation = 6;
    std::swap(info.width, info.height);
    cv::Mat rotated;
    cv::rotate(decode(png), rotated, cv::ROTATE_90_CLOCKWISE);
    CHECK(identical(decode_file(Bytes(png), dir / "f.png", info), rotated));
    // probed, then replaced by another picture, or cut short
    const Info first = probe(png);
    test::write_bytes(dir / "f.png", encode(picture(CV_8U, 3, {20, 20}), Format::png));
    CHECK(test::error_of([&] { decode_file(Bytes(png), dir / "f.png", first); }) == "changed while being read");
    test::write_bytes(dir / "f.png", prefix(png, png.size() / 2));
    CHECK(test::error_of([&] { decode_file(Bytes(png), dir / "f.png", first); }) == "corrupt or unsupported PNG data");
    // gone, or a pipe (nothing left to read again): decoded from the bytes already read
    CHECK(identical(decode_file(Bytes(png), dir / "missing.png", first), decode(png)));
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    CHECK(identical(decode_file(Bytes(png), dir / "fifo", first), decode(png)));
}
