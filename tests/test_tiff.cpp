// The native TIFF codec (lib/src/tiff_codec.cpp) against OpenCV's: files written here with
// libtiff itself, in the variants people have (depths, channels, strips and tiles,
// compressions, predictors, byte orders, odd sizes), decode to the same pixels as
// cv::imdecode(IMREAD_UNCHANGED), natively where the variant is read natively and through
// the plugin otherwise; encoding gives cv::imencode's bytes; damaged files are an IoError
// and silence.
#include <doctest/doctest.h>
#include <tiffio.h>

#include <cstring>
#include <imgpool/error.hpp>
#include <imgpool/image_io.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "exif.hpp"
#include "support.hpp"
#include "tiff_codec.hpp"

using namespace imgpool::io;
using imgpool::IoError;
using test::StderrCapture;
using test::opencv_decode;
using test::swapped;

namespace {

bool identical(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && test::same(a, b);
}

// Values over the type's whole range (floats: a wide finite range), with a smooth top half
// so that predictors and compression have something to work on.
cv::Mat values(int type, cv::Size size, std::uint64_t seed) {
    cv::Mat m(size, type);
    const int depth = CV_MAT_DEPTH(type);
    double lo = 0, hi = 256;
    switch (depth) {
        case CV_8S: lo = -128, hi = 128; break;
        case CV_16U: hi = 65536; break;
        case CV_16S: lo = -32768, hi = 32768; break;
        case CV_32S: lo = -2e9, hi = 2e9; break;
        case CV_32F:
        case CV_64F: lo = -1e6, hi = 1e6; break;
        default: break;
    }
    cv::RNG(seed).fill(m, cv::RNG::UNIFORM, lo, hi);
    cv::Mat top = m.rowRange(0, m.rows / 2).reshape(1);
    for (int y = 0; y < top.rows; ++y)
        for (int x = 0; x < top.cols; ++x) {
            const double v = (x * 3 + y * 7) % 200;
            switch (depth) {
                case CV_8U: top.ptr<uchar>(y)[x] = uchar(v); break;
                case CV_8S: top.ptr<schar>(y)[x] = schar(v - 100); break;
                case CV_16U: top.ptr<ushort>(y)[x] = ushort(v * 300); break;
                case CV_16S: top.ptr<short>(y)[x] = short(v * 100 - 10000); break;
                case CV_32S: top.ptr<int>(y)[x] = int(v * 1000); break;
                case CV_32F: top.ptr<float>(y)[x] = float(v / 8); break;
                default: top.ptr<double>(y)[x] = v / 8; break;
            }
        }
    return m;
}

struct Spec {
    const char* name;
    int type;  // of the stored samples, RGB(A) order
    std::uint16_t photometric = PHOTOMETRIC_MINISBLACK;
    std::uint16_t compression = COMPRESSION_NONE;
    std::uint16_t predictor = PREDICTOR_NONE;
    int extra = -1;  // the ExtraSamples value of a fourth sample; -1: no tag
    bool tiled = false;
    bool big_endian = false;
    bool separate = false;  // planar configuration 2 (one plane per sample)
    std::uint32_t rows_per_strip = 5;
    cv::Size size{37, 23};
    std::uint16_t orientation = 0;  // 0: no tag
    bool native = true;  // read by decode_tiff rather than left to OpenCV
    bool opencv_fails = false;  // cv::imdecode returns nothing for this valid file
    int bits = 0;               // 1, 2 or 4: samples packed below a byte (values 0..2^bits-1)
    bool stored = true;         // decoded as written (not converted: palette, YCbCr, CMYK...)
};

std::uint16_t bits_of(int depth) { return std::uint16_t(CV_ELEM_SIZE1(depth) * 8); }

std::uint16_t format_of(int depth) {
    if (depth == CV_32F || depth == CV_64F) return SAMPLEFORMAT_IEEEFP;
    return depth == CV_8S || depth == CV_16S || depth == CV_32S ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT;
}

// Writes the pixels with libtiff into a file and returns its bytes.
Bytes write_tiff(const Spec& s, const cv::Mat& m) {
    test::TempDir dir;
    const std::string path = dir / "t.tif";
    TIFF* t = TIFFOpen(path.c_str(), s.big_endian ? "wb" : "wl");
    REQUIRE(t);
    const int channels = m.channels();
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, std::uint32_t(m.cols));
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, std::uint32_t(m.rows));
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s.bits ? std::uint16_t(s.bits) : bits_of(m.depth()));
    TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, format_of(m.depth()));
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, std::uint16_t(channels));
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s.photometric);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, s.separate ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, s.compression);
    if (s.predictor > PREDICTOR_NONE) TIFFSetField(t, TIFFTAG_PREDICTOR, s.predictor);
    if (s.compression == COMPRESSION_JPEG) TIFFSetField(t, TIFFTAG_JPEGQUALITY, 90);
    if (s.photometric == PHOTOMETRIC_YCBCR) TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);  // RGB in
    std::vector<std::uint16_t> map[3];
    if (s.photometric == PHOTOMETRIC_PALETTE) {
        // libtiff reads 2^BitsPerSample entries per channel.
        const int entries = 1 << (s.bits ? s.bits : bits_of(m.depth()));
        for (int i = 0; i < entries; ++i) {
            map[0].push_back(std::uint16_t((i * 37 % 256) * 257));
            map[1].push_back(std::uint16_t((255 - i) * 257));
            map[2].push_back(std::uint16_t((i * 101 % 256) * 257 + 40));  // not a multiple of 257
        }
        TIFFSetField(t, TIFFTAG_COLORMAP, map[0].data(), map[1].data(), map[2].data());
    }
    if (s.extra >= 0) {
        const std::uint16_t extra[] = {std::uint16_t(s.extra)};
        TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, extra);
    }
    if (s.orientation) TIFFSetField(t, TIFFTAG_ORIENTATION, s.orientation);
    const std::size_t pixel = m.elemSize();
    if (s.tiled) {
        const std::uint32_t tw = 16, th = 16;
        TIFFSetField(t, TIFFTAG_TILEWIDTH, tw);
        TIFFSetField(t, TIFFTAG_TILELENGTH, th);
        std::vector<unsigned char> tile(tw * th * pixel);
        for (int y = 0; y < m.rows; y += int(th))
            for (int x = 0; x < m.cols; x += int(tw)) {
                std::fill(tile.begin(), tile.end(), 0);
                for (int r = 0; r < int(th) && y + r < m.rows; ++r)
                    std::memcpy(tile.data() + std::size_t(r) * tw * pixel, m.ptr(y + r) + std::size_t(x) * pixel,
                                std::size_t(std::min(int(tw), m.cols - x)) * pixel);
                REQUIRE(TIFFWriteTile(t, tile.data(), std::uint32_t(x), std::uint32_t(y), 0, 0) > 0);
            }
    } else {
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, s.rows_per_strip);
        std::vector<unsigned char> row(std::size_t(m.cols) * pixel);
        if (s.separate) {
            std::vector<cv::Mat> planes;
            cv::split(m, planes);
            for (int c = 0; c < channels; ++c)
                for (int y = 0; y < m.rows; ++y) {
                    std::memcpy(row.data(), planes[std::size_t(c)].ptr(y), std::size_t(m.cols) * m.elemSize1());
                    REQUIRE(TIFFWriteScanline(t, row.data(), std::uint32_t(y), std::uint16_t(c)) == 1);
                }
        } else if (s.bits) {  // packed, first sample in the high bits
            for (int y = 0; y < m.rows; ++y) {
                std::fill(row.begin(), row.end(), 0);
                const uchar* v = m.ptr(y);
                for (int i = 0; i < m.cols * channels; ++i)
                    row[std::size_t(i * s.bits / 8)] |= uchar(v[i] << (8 - s.bits - i * s.bits % 8));
                REQUIRE(TIFFWriteScanline(t, row.data(), std::uint32_t(y), 0) == 1);
            }
        } else {
            for (int y = 0; y < m.rows; ++y) {
                std::memcpy(row.data(), m.ptr(y), row.size());
                REQUIRE(TIFFWriteScanline(t, row.data(), std::uint32_t(y), 0) == 1);
            }
        }
    }
    TIFFClose(t);
    return test::read_bytes(path);
}

const std::uint16_t RGB = PHOTOMETRIC_RGB;
const std::uint16_t NONE = COMPRESSION_NONE, LZW = COMPRESSION_LZW, DEFLATE = COMPRESSION_ADOBE_DEFLATE,
                    PACKBITS = COMPRESSION_PACKBITS, JPEG = COMPRESSION_JPEG;
const std::uint16_t HORIZONTAL = PREDICTOR_HORIZONTAL, FLOAT = PREDICTOR_FLOATINGPOINT;

// name, type, photometric, compression, predictor, extra, tiled, big endian, separate,
// rows per strip, size, orientation, native, OpenCV fails
const Spec kSpecs[] = {
    {"u8 gray", CV_8UC1},
    {"u8 gray LZW", CV_8UC1, 1, LZW},
    {"u8 gray LZW predictor", CV_8UC1, 1, LZW, HORIZONTAL},
    {"u8 gray Deflate predictor big-endian", CV_8UC1, 1, DEFLATE, HORIZONTAL, -1, false, true},
    {"u8 gray PackBits", CV_8UC1, 1, PACKBITS},
    {"u8 gray JPEG", CV_8UC1, 1, JPEG, 0, -1, false, false, false, 16},
    {"u8 gray tiles", CV_8UC1, 1, LZW, HORIZONTAL, -1, true},
    {"u8 gray 1x1", CV_8UC1, 1, NONE, 0, -1, false, false, false, 1, {1, 1}},
    {"u8 gray one strip", CV_8UC1, 1, DEFLATE, 0, -1, false, false, false, 1000, {101, 3}},
    {"u8 RGB", CV_8UC3, RGB},
    {"u8 RGB LZW predictor", CV_8UC3, RGB, LZW, HORIZONTAL},
    {"u8 RGB Deflate big-endian", CV_8UC3, RGB, DEFLATE, 0, -1, false, true},
    {"u8 RGB PackBits", CV_8UC3, RGB, PACKBITS},
    {"u8 RGB JPEG", CV_8UC3, RGB, JPEG, 0, -1, false, false, false, 16},
    {"u8 RGB tiles", CV_8UC3, RGB, DEFLATE, HORIZONTAL, -1, true},
    // OpenCV 4.6 fails on this one (a last column of tiles one pixel wide); libtiff reads it.
    {"u8 RGB tiles odd size", CV_8UC3, RGB, NONE, 0, -1, true, false, false, 5, {33, 17}, 0, true, true},
    {"u8 RGBA no ExtraSamples", CV_8UC4, RGB, LZW, HORIZONTAL},
    {"u8 RGBA associated alpha", CV_8UC4, RGB, NONE, 0, EXTRASAMPLE_ASSOCALPHA},
    {"u8 RGBA associated alpha tiles", CV_8UC4, RGB, LZW, 0, EXTRASAMPLE_ASSOCALPHA, true},
    {"u16 gray", CV_16UC1},
    {"u16 gray LZW predictor big-endian", CV_16UC1, 1, LZW, HORIZONTAL, -1, false, true},
    {"u16 gray Deflate predictor tiles", CV_16UC1, 1, DEFLATE, HORIZONTAL, -1, true},
    {"u16 gray PackBits big-endian", CV_16UC1, 1, PACKBITS, 0, -1, false, true},
    {"u16 RGB LZW predictor", CV_16UC3, RGB, LZW, HORIZONTAL},
    {"u16 RGB big-endian tiles", CV_16UC3, RGB, NONE, 0, -1, true, true},
    {"u16 RGBA Deflate", CV_16UC4, RGB, DEFLATE, HORIZONTAL, EXTRASAMPLE_UNASSALPHA},
    {"u16 RGBA no ExtraSamples big-endian", CV_16UC4, RGB, LZW, 0, -1, false, true},
    {"s16 gray LZW predictor", CV_16SC1, 1, LZW, HORIZONTAL},
    {"s16 gray big-endian", CV_16SC1, 1, NONE, 0, -1, false, true},
    {"f32 gray", CV_32FC1},
    {"f32 gray big-endian", CV_32FC1, 1, NONE, 0, -1, false, true},
    {"f32 gray Deflate float predictor", CV_32FC1, 1, DEFLATE, FLOAT},
    {"f32 gray LZW float predictor big-endian tiles", CV_32FC1, 1, LZW, FLOAT, -1, true, true},
    {"f32 RGB", CV_32FC3, RGB},
    {"f32 RGB Deflate float predictor", CV_32FC3, RGB, DEFLATE, FLOAT},
    {"f32 RGBA", CV_32FC4, RGB, NONE, 0, EXTRASAMPLE_UNASSALPHA},
    {"f32 RGBA LZW tiles big-endian", CV_32FC4, RGB, LZW, 0, -1, true, true},
    {"s32 gray", CV_32SC1},
    {"s32 gray Deflate predictor big-endian", CV_32SC1, 1, DEFLATE, HORIZONTAL, -1, false, true},
    {"f64 gray", CV_64FC1},
    {"f64 gray Deflate float predictor big-endian", CV_64FC1, 1, DEFLATE, FLOAT, -1, false, true},
    {"f64 gray tiles", CV_64FC1, 1, LZW, 0, -1, true},
    {"s8 gray", CV_8SC1},
    {"s8 RGB LZW", CV_8SC3, RGB, LZW, HORIZONTAL},
    // Oriented (every orientation and variant: the test case below).
    {"u8 RGB bottom-right", CV_8UC3, RGB, NONE, 0, -1, false, false, false, 5, {37, 23}, ORIENTATION_BOTRIGHT},
    {"u16 gray left-top", CV_16UC1, 1, LZW, 0, -1, false, false, false, 5, {37, 23}, ORIENTATION_LEFTTOP},
    {"u8 gray top-left tag", CV_8UC1, 1, NONE, 0, -1, false, false, false, 5, {37, 23}, ORIENTATION_TOPLEFT},
    // Read with libtiff's RGBA reader, as OpenCV reads them, and typed as OpenCV types them.
    {"u8 RGBA unassociated alpha (premultiplied)", CV_8UC4, RGB, NONE, 0, EXTRASAMPLE_UNASSALPHA, false, false, false,
     5, {37, 23}, 0, true, false, 0, false},
    {"u8 gray min-is-white", CV_8UC1, PHOTOMETRIC_MINISWHITE, LZW, 0, -1, false, false, false, 5, {37, 23}, 0, true,
     false, 0, false},
    {"u8 RGB separate planes", CV_8UC3, RGB, LZW, 0, -1, false, false, true, 5, {37, 23}, 0, true, false, 0, true},
    {"u8 gray+alpha", CV_8UC2, 1, NONE, 0, EXTRASAMPLE_UNASSALPHA, false, false, false, 5, {37, 23}, 0, true, false, 0,
     false},
    {"u8 palette", CV_8UC1, PHOTOMETRIC_PALETTE, LZW, 0, -1, false, false, false, 5, {37, 23}, 0, true, false, 0, false},
    {"u8 palette tiles (OpenCV 4.6 fails)", CV_8UC1, PHOTOMETRIC_PALETTE, NONE, 0, -1, true, false, false, 5, {37, 23},
     0, true, true, 0, false},
    {"1-bit min-is-black", CV_8UC1, 1, NONE, 0, -1, false, false, false, 5, {37, 23}, 0, true, false, 1, false},
    {"1-bit min-is-white PackBits", CV_8UC1, PHOTOMETRIC_MINISWHITE, PACKBITS, 0, -1, false, false, false, 5, {37, 23},
     0, true, false, 1, false},
    {"1-bit min-is-white Group 4", CV_8UC1, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, 0, -1, false, false, false,
     1000, {37, 23}, 0, true, false, 1, false},
    {"YCbCr JPEG", CV_8UC3, PHOTOMETRIC_YCBCR, JPEG, 0, -1, false, false, false, 16, {37, 23}, 0, true, false, 0,
     false},
    {"CMYK", CV_8UC4, PHOTOMETRIC_SEPARATED, LZW, 0, -1, false, false, false, 5, {37, 23}, 0, true, false, 0, false},
    {"CMYK tiles", CV_8UC4, PHOTOMETRIC_SEPARATED, NONE, 0, -1, true, false, false, 5, {37, 23}, 0, true, false, 0,
     false},
    // Left to OpenCV, which converts or places these in its own ways.
    {"u16 gray min-is-white (not inverted by OpenCV)", CV_16UC1, PHOTOMETRIC_MINISWHITE, NONE, 0, -1, false, false,
     false, 5, {37, 23}, 0, false},
    {"u8 palette oriented", CV_8UC1, PHOTOMETRIC_PALETTE, NONE, 0, -1, false, false, false, 5, {37, 23},
     ORIENTATION_BOTRIGHT, false},
    // OpenCV 4.6 fails on these, and so does imgpool, as before.
    {"u8 RGB tiles bottom-right", CV_8UC3, RGB, NONE, 0, -1, true, false, false, 5, {37, 23}, ORIENTATION_BOTRIGHT, false,
     true},
    {"u16 palette", CV_16UC1, PHOTOMETRIC_PALETTE, NONE, 0, -1, false, false, false, 5, {37, 23}, 0, false, true},
    {"4-bit palette", CV_8UC1, PHOTOMETRIC_PALETTE, NONE, 0, -1, false, false, false, 5, {37, 23}, 0, false, true, 4},
    {"2-bit palette", CV_8UC1, PHOTOMETRIC_PALETTE, NONE, 0, -1, false, false, false, 5, {37, 23}, 0, false, true, 2},
    {"2-bit gray", CV_8UC1, 1, NONE, 0, -1, false, false, false, 5, {37, 23}, 0, false, true, 2},
    {"4-bit gray", CV_8UC1, 1, NONE, 0, -1, false, false, false, 5, {37, 23}, 0, false, true, 4},
};

// Sets a one-value tag of IFD0 of a little-endian file to a LONG `value`.
void set_long(Bytes& file, std::uint16_t tag, std::uint32_t value) {
    auto u16 = [&](std::size_t at) { return std::uint32_t(file.at(at) | file.at(at + 1) << 8); };
    const std::size_t ifd = u16(4) | u16(6) << 16;
    bool found = false;
    for (std::size_t e = 0, n = u16(ifd); e < n; ++e) {
        const std::size_t at = ifd + 2 + 12 * e;
        if (u16(at) != tag) continue;
        REQUIRE(file.at(at + 4) == 1);  // one value, stored in the entry
        file.at(at + 2) = 4;            // LONG
        file.at(at + 3) = 0;
        for (std::size_t b = 0; b < 4; ++b) file.at(at + 8 + b) = static_cast<unsigned char>(value >> (8 * b));
        found = true;
    }
    REQUIRE(found);
}

}  // namespace

TEST_CASE("tiff: libtiff-written variants decode to cv::imdecode's pixels, natively where expected") {
    std::uint64_t seed = 1;
    for (const Spec& s : kSpecs) {
        const std::string name = s.name;
        CAPTURE(name);
        cv::Mat written = values(s.type, s.size, seed++);
        if (s.bits) written = written / (256 >> s.bits);  // 0..2^bits-1, rounded: never 2^bits
        if (s.bits) cv::min(written, (1 << s.bits) - 1, written);
        const Bytes file = write_tiff(s, written);
        const cv::Mat expected = opencv_decode(file);
        std::optional<cv::Mat> native;
        {
            StderrCapture err;
            native = detail::decode_tiff(file);
            CHECK(err.text() == "");
        }
        CHECK(native.has_value() == s.native);
        // Lossless: the pixels written. But libtiff 4.5 reads its own big-endian files with
        // the floating-point predictor byte-swapped (both here and in OpenCV: the same call).
        if (native && s.stored && s.compression != JPEG && !(s.big_endian && s.predictor == FLOAT))
            CHECK(identical(*native, detail::apply_orientation(written, s.orientation)));
        if (expected.empty()) {  // valid files OpenCV 4.6 fails on: read here if native
            CHECK(s.opencv_fails);
            if (!native) CHECK(test::error_of([&] { decode(file); }).rfind("corrupt or unsupported TIFF data", 0) == 0);
            continue;
        }
        CHECK_FALSE(s.opencv_fails);
        if (native) CHECK(identical(*native, expected));
        const cv::Mat ours = decode(file);
        CHECK(identical(ours, expected));
        // The header agrees with the pixels.
        const Info info = probe(file);
        CHECK(info.width == ours.cols);
        CHECK(info.height == ours.rows);
        CHECK(info.channels == ours.channels());
        CHECK(info.depth == ours.depth());
    }
}

TEST_CASE("tiff: the Orientation tag is applied as OpenCV applies it, natively but for 8-bit tiles") {
    const Spec base[] = {
        {"u8 gray", CV_8UC1},
        {"u8 gray tiles", CV_8UC1, 1, LZW, HORIZONTAL, -1, true},
        {"u8 RGB LZW", CV_8UC3, RGB, LZW},
        {"u8 RGB tiles", CV_8UC3, RGB, DEFLATE, HORIZONTAL, -1, true},
        {"u8 RGB JPEG", CV_8UC3, RGB, JPEG, 0, -1, false, false, false, 16},
        {"u8 RGBA associated alpha tiles", CV_8UC4, RGB, LZW, 0, EXTRASAMPLE_ASSOCALPHA, true},
        {"u8 RGBA", CV_8UC4, RGB},
        {"s8 gray", CV_8SC1},
        {"u16 gray tiles", CV_16UC1, 1, NONE, 0, -1, true},
        {"u16 RGB LZW", CV_16UC3, RGB, LZW},
        {"u16 RGBA", CV_16UC4, RGB},
        {"s16 gray", CV_16SC1},
        {"f32 gray", CV_32FC1},
        {"f32 RGB", CV_32FC3, RGB},
        {"f32 RGBA tiles", CV_32FC4, RGB, NONE, 0, -1, true},
        {"s32 gray", CV_32SC1},
        {"f64 gray", CV_64FC1},
    };
    std::uint64_t seed = 500;
    for (Spec s : base)
        for (std::uint16_t o = 1; o <= 8; ++o)
            for (const cv::Size size : {cv::Size(37, 23), cv::Size(40, 40)}) {
                s.orientation = o;
                s.size = size;
                const std::string name = std::string(s.name) + ", orientation " + std::to_string(o) + ", " +
                                         std::to_string(size.width) + " wide";
                CAPTURE(name);
                const Bytes file = write_tiff(s, values(s.type, s.size, seed++));
                const cv::Mat expected = opencv_decode(file);
                REQUIRE_FALSE(expected.empty());
                const std::optional<cv::Mat> native = detail::decode_tiff(file);
                CHECK(native.has_value() == (o == 1 || !(CV_MAT_DEPTH(s.type) <= CV_8S && s.tiled)));
                if (native) CHECK(identical(*native, expected));
                CHECK(identical(decode(file), expected));
                const Info info = probe(file);
                CHECK(info.orientation == o);
                CHECK(cv::Size(info.width, info.height) == expected.size());
            }
}

TEST_CASE("tiff: encoding gives cv::imencode's bytes, and both decoders read them back exactly") {
    const int depths[] = {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F};
    std::uint64_t seed = 100;
    int written = 0;
    for (int depth : depths)
        for (int channels : {1, 3, 4}) {
            if (cannot_hold(Format::tiff, depth, channels)) continue;
            for (const cv::Size size : {cv::Size(37, 23), cv::Size(1, 1), cv::Size(3000, 5)}) {
                CAPTURE(depth);
                CAPTURE(channels);
                CAPTURE(size);
                const cv::Mat m = values(CV_MAKETYPE(depth, channels), size, seed++);
                const Bytes ours = encode(m, Format::tiff);
                Bytes theirs;
                {
                    StderrCapture quiet;
                    REQUIRE(cv::imencode(".tif", swapped(m), theirs));
                }
                CHECK(ours == theirs);
                CHECK(identical(decode(ours), m));
                CHECK(identical(opencv_decode(ours), m));
                ++written;
            }
        }
    CHECK(written == 3 * (3 + 3 + 2 + 1 + 1 + 1 + 1));
}

TEST_CASE("tiff: truncated and corrupt files are an IoError naming the problem, never an image, and silent") {
    const Spec lzw{"", CV_8UC3, RGB, LZW, HORIZONTAL}, deflate{"", CV_16UC1, 1, DEFLATE, HORIZONTAL};
    StderrCapture err;
    for (const Spec& s : {lzw, deflate}) {
        CAPTURE(s.type);
        const Bytes file = write_tiff(s, values(s.type, {64, 40}, 7));
        // libtiff writes the directory after the pixels: every cut loses it.
        for (std::size_t n = 8; n < file.size(); n += 7) {
            CAPTURE(n);
            const Bytes cut(file.begin(), file.begin() + long(n));
            CHECK(test::error_of([&] { detail::decode_tiff(cut); }).rfind("corrupt or unsupported TIFF data", 0) == 0);
        }
        // Damaged compressed pixels: LZW's codes and zlib's checksum notice.
        Bytes damaged = file;
        for (std::size_t i = 200; i < 260; ++i) damaged[i] = static_cast<unsigned char>(i * 37);
        CHECK(test::error_of([&] { decode(damaged); }).rfind("corrupt or unsupported TIFF data: ", 0) == 0);
    }
    // One uncompressed strip that runs past the end of the file: refused, not padded.
    const Spec one_strip{"", CV_8UC1, 1, NONE, 0, -1, false, false, false, 1000};
    Bytes file = write_tiff(one_strip, values(CV_8UC1, {37, 23}, 9));
    CHECK(test::error_of([&] { decode(file); }) == "(no IoError)");
    set_long(file, TIFFTAG_STRIPOFFSETS, std::uint32_t(file.size() - 100));
    CHECK(test::error_of([&] { decode(file); }).rfind("corrupt or unsupported TIFF data: ", 0) == 0);
    CHECK(err.text() == "");
}

TEST_CASE("tiff: images over 2^30 pixels are refused before any allocation") {
    Bytes file = write_tiff(Spec{"", CV_8UC1, 1, DEFLATE}, values(CV_8UC1, {8, 8}, 3));
    set_long(file, TIFFTAG_IMAGEWIDTH, 40000);
    set_long(file, TIFFTAG_IMAGELENGTH, 40000);
    StderrCapture err;
    CHECK(test::error_of([&] { detail::decode_tiff(file); }) ==
          "TIFF image is too large: 40000x40000 pixels (at most 2^30)");
    CHECK(err.text() == "");
}
