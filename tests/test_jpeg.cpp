// Strict JPEG decoding (lib/src/jpeg_decode.cpp, through io::decode): the same pixels
// as cv::imdecode for valid files, and an IoError, never made-up pixels or a line on
// stderr, for truncated or damaged ones.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <imgpool/error.hpp>
#include <imgpool/image_io.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include <jpeglib.h>  // after <cstdio>: writes test files OpenCV 4.6 cannot (4:4:4, CMYK, ...)

#include "support.hpp"

using namespace imgpool::io;
using imgpool::IoError;

namespace {

// ---- Helpers ----

using test::StderrCapture;
using test::error_of;

Bytes prefix(const Bytes& b, std::size_t n) {
    return Bytes(b.begin(), b.begin() + std::ptrdiff_t(n));
}

// What cv::imdecode(IMREAD_UNCHANGED) gives, in imgpool's RGB order, with libjpeg's
// warnings on stderr kept out of the test output.
cv::Mat opencv_rgb(const Bytes& jpeg) {
    StderrCapture quiet;
    cv::Mat m = cv::imdecode(jpeg, cv::IMREAD_UNCHANGED);
    if (m.channels() == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
    return m;
}

bool identical(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && (a.empty() || cv::norm(a, b, cv::NORM_INF) == 0);
}

// Gradients plus noise: smooth parts and detail, different in every channel.
cv::Mat picture(cv::Size size, int channels, std::uint64_t seed = 1) {
    cv::Mat noise(size, CV_8UC(channels));
    cv::RNG(seed).fill(noise, cv::RNG::UNIFORM, 0, 60);
    cv::Mat m(size, CV_8UC(channels));
    for (int y = 0; y < m.rows; ++y)
        for (int x = 0; x < m.cols; ++x)
            for (int c = 0; c < channels; ++c)
                m.ptr(y)[x * channels + c] = cv::saturate_cast<uchar>(
                    (c % 2 ? x * 7 : y * 9) + c * 40 + noise.ptr(y)[x * channels + c]);
    return m;
}

Bytes opencv_jpeg(const cv::Mat& m, const std::vector<int>& params = {}) {
    Bytes b;
    REQUIRE(cv::imencode(".jpg", m, b, params));
    return b;
}

// libjpeg compression settings for files cv::imencode cannot write.
struct Settings {
    int quality = 90;
    int h = 2, v = 2;                    // sampling factors of the first component
    J_COLOR_SPACE space = JCS_UNKNOWN;   // the JPEG's colour space; unknown = libjpeg's choice
    bool progressive = false, arithmetic = false;
};

// Compresses gray (1 channel), RGB (3) or CMYK (4) pixels. libjpeg's default error
// handler exits the process, which is fine for a test.
Bytes libjpeg_encode(const cv::Mat& m, const Settings& s) {
    jpeg_compress_struct c{};
    jpeg_error_mgr err{};
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char* buf = nullptr;
    unsigned long size = 0;
    jpeg_mem_dest(&c, &buf, &size);
    c.image_width = unsigned(m.cols);
    c.image_height = unsigned(m.rows);
    c.input_components = m.channels();
    c.in_color_space = m.channels() == 1 ? JCS_GRAYSCALE : m.channels() == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&c);
    if (s.space != JCS_UNKNOWN) jpeg_set_colorspace(&c, s.space);
    jpeg_set_quality(&c, s.quality, TRUE);
    for (int i = 0; i < c.num_components; ++i) {  // the others 1x1 (libjpeg's YCCK default has K 2x2)
        c.comp_info[i].h_samp_factor = i == 0 ? s.h : 1;
        c.comp_info[i].v_samp_factor = i == 0 ? s.v : 1;
    }
    c.arith_code = s.arithmetic;
    if (s.progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = const_cast<uchar*>(m.ptr(int(c.next_scanline)));
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    Bytes out(buf, buf + size);
    std::free(buf);
    jpeg_destroy_compress(&c);
    return out;
}

// Offset of the first byte of entropy-coded data (just after the first SOS header).
std::size_t scan_start(const Bytes& jpeg) {
    for (std::size_t i = 2; i + 3 < jpeg.size(); ++i)
        if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) return i + 2 + (std::size_t(jpeg[i + 2]) << 8 | jpeg[i + 3]);
    FAIL("no SOS marker");
    return 0;
}

// Offset of the first marker `code` (0xC0 for SOF0).
std::size_t marker_at(const Bytes& jpeg, unsigned char code) {
    for (std::size_t i = 2; i + 1 < jpeg.size(); ++i)
        if (jpeg[i] == 0xFF && jpeg[i + 1] == code) return i;
    FAIL("marker not found");
    return 0;
}

// The file without its DHT segments, as Motion-JPEG frames are stored (they rely on the
// standard Huffman tables, which is what libjpeg writes unless optimising).
Bytes without_huffman_tables(const Bytes& jpeg) {
    Bytes out(jpeg.begin(), jpeg.begin() + 2);
    std::size_t i = 2;
    while (!(jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA)) {
        const std::size_t end = i + 2 + (std::size_t(jpeg[i + 2]) << 8 | jpeg[i + 3]);
        if (jpeg[i + 1] != 0xC4) out.insert(out.end(), jpeg.begin() + std::ptrdiff_t(i), jpeg.begin() + std::ptrdiff_t(end));
        i = end;
    }
    out.insert(out.end(), jpeg.begin() + std::ptrdiff_t(i), jpeg.end());
    return out;
}

// Decodes with imgpool and with OpenCV and checks the pixels are the same, and that
// nothing was printed.
void check_same_as_opencv(const Bytes& jpeg) {
    const cv::Mat expected = opencv_rgb(jpeg);
    REQUIRE_FALSE(expected.empty());
    StderrCapture err;
    const cv::Mat got = decode(jpeg);
    CHECK(err.text().empty());
    CHECK(identical(got, expected));
}

}  // namespace

// ---- Valid files: the same pixels as cv::imdecode ----

TEST_CASE("jpeg: pixels are identical to cv::imdecode for JPEGs written by OpenCV") {
    const cv::Size sizes[] = {{1, 1}, {2, 3}, {7, 5}, {8, 8}, {16, 16}, {17, 9}, {33, 17}, {64, 48}, {101, 67}};
    for (const cv::Size size : sizes)
        for (int channels : {1, 3})
            for (int quality : {1, 10, 50, 75, 95, 100})
                for (int progressive : {0, 1}) {
                    CAPTURE(size);
                    CAPTURE(channels);
                    CAPTURE(quality);
                    CAPTURE(progressive);
                    // imencode takes BGR; the order does not matter for the comparison.
                    check_same_as_opencv(opencv_jpeg(picture(size, channels, std::uint64_t(quality)),
                                                     {cv::IMWRITE_JPEG_QUALITY, quality,
                                                      cv::IMWRITE_JPEG_PROGRESSIVE, progressive}));
                }
    const cv::Mat rgb = picture({45, 29}, 3);
    check_same_as_opencv(opencv_jpeg(rgb, {cv::IMWRITE_JPEG_OPTIMIZE, 1}));
    check_same_as_opencv(opencv_jpeg(rgb, {cv::IMWRITE_JPEG_RST_INTERVAL, 2}));
    check_same_as_opencv(opencv_jpeg(rgb, {cv::IMWRITE_JPEG_LUMA_QUALITY, 30, cv::IMWRITE_JPEG_CHROMA_QUALITY, 90}));
}

TEST_CASE("jpeg: pixels are identical to cv::imdecode for rocket.jpg and a Motion-JPEG frame") {
    check_same_as_opencv(test::read_bytes(test::sample("rocket.jpg")));
    const Bytes jpeg = opencv_jpeg(picture({40, 24}, 3));
    const Bytes mjpeg = without_huffman_tables(jpeg);
    REQUIRE(mjpeg.size() < jpeg.size());
    check_same_as_opencv(mjpeg);
    CHECK(identical(decode(mjpeg), decode(jpeg)));
}

TEST_CASE("jpeg: pixels are identical to cv::imdecode for other subsamplings, colour spaces and codings") {
    const std::pair<int, int> samplings[] = {{1, 1}, {2, 1}, {1, 2}, {2, 2}, {4, 1}, {1, 4}, {3, 2}};
    for (const cv::Size size : {cv::Size{1, 1}, cv::Size{13, 7}, cv::Size{50, 35}}) {
        CAPTURE(size);
        const cv::Mat rgb = picture(size, 3), gray = picture(size, 1), cmyk = picture(size, 4);
        for (auto [h, v] : samplings)
            for (bool progressive : {false, true}) {
                CAPTURE(h);
                CAPTURE(v);
                CAPTURE(progressive);
                Settings s;
                s.h = h, s.v = v, s.progressive = progressive;
                check_same_as_opencv(libjpeg_encode(rgb, s));
                s.space = JCS_YCCK;
                check_same_as_opencv(libjpeg_encode(cmyk, s));
            }
        Settings s;
        s.h = s.v = 1;
        for (J_COLOR_SPACE space : {JCS_RGB, JCS_CMYK, JCS_YCCK}) {
            CAPTURE(space);
            s.space = space;
            const Bytes b = libjpeg_encode(space == JCS_RGB ? rgb : cmyk, s);
            check_same_as_opencv(b);
            CHECK(decode(b).type() == CV_8UC3);  // CMYK comes back as 3 channels, as from OpenCV
        }
        s = Settings{};
        s.arithmetic = true;
        check_same_as_opencv(libjpeg_encode(rgb, s));
        check_same_as_opencv(libjpeg_encode(gray, s));
        s.progressive = true;
        check_same_as_opencv(libjpeg_encode(rgb, s));
    }
}

TEST_CASE("jpeg: data after the EOI marker is ignored, as by OpenCV") {
    const Bytes jpeg = opencv_jpeg(picture({20, 12}, 3));
    const cv::Mat clean = decode(jpeg);
    for (const Bytes& tail : {Bytes(100, 0), Bytes(7, 0xFF), Bytes{0xFF, 0xD8, 0xFF, 0xE0, 1, 2}, jpeg}) {
        Bytes b = jpeg;
        b.insert(b.end(), tail.begin(), tail.end());
        check_same_as_opencv(b);
        CHECK(identical(decode(b), clean));
    }
}

TEST_CASE("jpeg: an unknown JFIF version is not an error") {
    Bytes jpeg = opencv_jpeg(picture({9, 9}, 3));
    REQUIRE(jpeg[3] == 0xE0);
    REQUIRE(jpeg[6] == 'J');
    jpeg[11] = 2;  // JFIF 2.x: libjpeg warns, but the pixels do not depend on it
    StderrCapture err;
    CHECK(identical(decode(jpeg), opencv_rgb(jpeg)));
    CHECK(err.text().empty());
}

// ---- Truncated and damaged files: an IoError, never made-up pixels ----

TEST_CASE("jpeg: every truncation is an IoError") {
    const Bytes files[] = {
        opencv_jpeg(picture({24, 16}, 3)),
        opencv_jpeg(picture({24, 16}, 1)),
        opencv_jpeg(picture({24, 16}, 3), {cv::IMWRITE_JPEG_PROGRESSIVE, 1}),
        opencv_jpeg(picture({24, 16}, 3), {cv::IMWRITE_JPEG_RST_INTERVAL, 1}),
    };
    // The reason for our own decoder: OpenCV makes up the missing rows of a baseline JPEG.
    CHECK_FALSE(opencv_rgb(prefix(files[0], (scan_start(files[0]) + files[0].size()) / 2)).empty());
    for (const Bytes& jpeg : files) {
        StderrCapture err;
        for (std::size_t n = 3; n < jpeg.size(); ++n) {  // from just after "FF D8 FF" to the EOI marker's last byte
            CAPTURE(n);
            CHECK(error_of([&] { decode(prefix(jpeg, n)); }) == "truncated JPEG data");
        }
        CHECK(err.text().empty());
    }
}

TEST_CASE("jpeg: flipped bits in the compressed data give an IoError or an image, never a crash or stderr") {
    const Bytes files[] = {
        opencv_jpeg(picture({32, 24}, 3)),
        opencv_jpeg(picture({32, 24}, 1)),
        opencv_jpeg(picture({32, 24}, 3), {cv::IMWRITE_JPEG_PROGRESSIVE, 1}),
        opencv_jpeg(picture({32, 24}, 3), {cv::IMWRITE_JPEG_RST_INTERVAL, 1}),
        libjpeg_encode(picture({32, 24}, 3), [] {
            Settings s;
            s.arithmetic = true;
            return s;
        }()),
    };
    for (const Bytes& jpeg : files) {
        int errors = 0, images = 0;
        StderrCapture err;
        for (std::size_t at = scan_start(jpeg); at + 2 < jpeg.size(); ++at)
            for (int mask : {0x01, 0x10, 0x80, 0xFF}) {
                Bytes b = jpeg;
                b[at] = static_cast<unsigned char>(b[at] ^ mask);
                try {
                    const cv::Mat m = decode(b);
                    CHECK(m.size() == cv::Size(32, 24));
                    ++images;
                } catch (const IoError& e) {
                    const std::string what = e.what();
                    CAPTURE(what);
                    CHECK((what.rfind("corrupt JPEG data: ", 0) == 0 ||
                           what.rfind("corrupt or unsupported JPEG data: ", 0) == 0 || what == "truncated JPEG data"));
                    ++errors;
                }
            }
        CHECK(err.text().empty());
        // libjpeg notices much of the damage (about half of these flips); the rest only
        // changes coefficients and decodes to other pixels, which no decoder can tell.
        CHECK(errors > images / 4);
    }
}

TEST_CASE("jpeg: messages name the problem") {
    const Bytes jpeg = opencv_jpeg(picture({24, 16}, 3));
    const std::size_t sof = marker_at(jpeg, 0xC0);
    StderrCapture err;

    CHECK(error_of([&] { decode(prefix(jpeg, 40)); }) == "truncated JPEG data");

    // Junk between the compressed data and EOI. (Without restart markers libjpeg reads
    // a few bytes ahead and takes them for padding: it cannot notice, nor can OpenCV.)
    Bytes extra = opencv_jpeg(picture({24, 16}, 3), {cv::IMWRITE_JPEG_RST_INTERVAL, 1});
    extra.insert(extra.end() - 2, {0x12, 0x34, 0x56});
    CHECK(error_of([&] { decode(extra); }) == "corrupt JPEG data: 3 extraneous bytes before marker 0xd9");

    Bytes lossless = jpeg;
    lossless[sof + 1] = 0xC3;
    CHECK(error_of([&] { decode(lossless); }) ==
          "corrupt or unsupported JPEG data: unsupported JPEG process: SOF type 0xc3");

    Bytes twelve_bit = jpeg;
    twelve_bit[sof + 4] = 12;
    CHECK(error_of([&] { decode(twelve_bit); }) == "corrupt or unsupported JPEG data: unsupported JPEG data precision 12");

    CHECK(error_of([&] { decode(Bytes{0xFF, 0xD8, 0xFF, 0xD9}); }) ==
          "corrupt or unsupported JPEG data: JPEG datastream contains no image");

    Bytes huge = jpeg;  // 65500 x 65500: refused before anything is allocated, as by OpenCV
    for (std::size_t at : {sof + 5, sof + 7}) huge[at] = 0xFF, huge[at + 1] = 0xDC;
    CHECK(error_of([&] { decode(huge); }) == "JPEG image is too large: 65500x65500 pixels (at most 2^30)");

    CHECK(err.text().empty());
}
