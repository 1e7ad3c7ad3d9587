// Large PNGs deflated in pieces on every core (lib/src/png_parallel.cpp): the same pixels,
// libpng's filtered bytes (so the same compression), valid chunks, and bytes that do not
// depend on the number of threads; below the threshold, still cv::imencode's bytes.
#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <imgpool/image_io.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "png_codec.hpp"
#include "png_parallel.hpp"
#include "support.hpp"

using namespace imgpool::io;

namespace {

struct Chunk {
    std::string type;
    Bytes data;
};

std::uint32_t be32(const unsigned char* p) {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

// The chunks of a PNG file; a wrong CRC, a bad length or a missing signature fail the test.
std::vector<Chunk> chunks_of(const Bytes& f) {
    std::vector<Chunk> out;
    REQUIRE(f.size() >= 8);
    REQUIRE(std::memcmp(f.data(), "\x89PNG\r\n\x1a\n", 8) == 0);
    std::size_t i = 8;
    while (i < f.size()) {
        REQUIRE(f.size() - i >= 12);
        const std::size_t n = be32(&f[i]);
        REQUIRE(f.size() - i - 12 >= n);
        const unsigned char* type = &f[i + 4];
        CHECK(crc32(0, type, uInt(n + 4)) == be32(type + 4 + n));
        out.push_back({std::string(type, type + 4), Bytes(type + 4, type + 4 + n)});
        i += 12 + n;
    }
    REQUIRE_FALSE(out.empty());
    CHECK(out.back().type == "IEND");
    return out;
}

Bytes idat_of(const std::vector<Chunk>& chunks) {
    Bytes z;
    for (const Chunk& c : chunks)
        if (c.type == "IDAT") z.insert(z.end(), c.data.begin(), c.data.end());
    return z;
}

int idat_count(const std::vector<Chunk>& chunks) {
    int n = 0;
    for (const Chunk& c : chunks) n += c.type == "IDAT";
    return n;
}

// The whole zlib stream inflated; its Adler-32 checked by zlib.
Bytes inflated(const Bytes& z, std::size_t expected) {
    Bytes out(expected + 1);
    uLongf n = uLongf(out.size());
    REQUIRE(uncompress(out.data(), &n, z.data(), uLong(z.size())) == Z_OK);
    out.resize(n);
    return out;
}

// cv::imencode's file (libpng in one stream) for RGB(A) `m`.
Bytes opencv_png(const cv::Mat& m, int level) {
    cv::Mat bgr = m.channels() == 1 ? m : cv::Mat();  // cvtColor into m's own buffer would change m
    if (m.channels() == 3) cv::cvtColor(m, bgr, cv::COLOR_RGB2BGR);
    if (m.channels() == 4) cv::cvtColor(m, bgr, cv::COLOR_RGBA2BGRA);
    const std::vector<int> params =
        level < 0 ? std::vector<int>{} : std::vector<int>{cv::IMWRITE_PNG_COMPRESSION, level};
    Bytes b;
    REQUIRE(cv::imencode(".png", bgr, b, params));
    return b;
}

cv::Mat opencv_decode_rgb(const Bytes& b) {
    cv::Mat m = cv::imdecode(b, cv::IMREAD_UNCHANGED);
    if (m.channels() == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
    if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2RGBA);
    return m;
}

bool identical(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && test::same(a, b);
}

// Something like a photo: smooth gradients, a flat block (filter ties), mild noise, and a
// band of full-range noise.
cv::Mat photo(int depth, int channels, int w, int h, std::uint64_t seed = 3) {
    cv::Mat m(h, w, CV_MAKETYPE(depth, channels));
    cv::RNG rng(seed);
    const double top = depth == CV_8U ? 255 : 65535;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w * channels; ++x) {
            double v = top * (0.5 + 0.4 * std::sin(x * 0.013 + y * 0.021 + (x % channels)));
            if (x < w * channels / 4 && y < h / 3)
                v = top / 3;  // flat
            else if (y % 17 > 13)
                v = rng.uniform(0.0, top);  // noise band
            else
                v += rng.gaussian(top / 200);
            v = std::min(std::max(v, 0.0), top);
            if (depth == CV_8U)
                m.ptr<uchar>(y)[x] = uchar(v);
            else
                m.ptr<ushort>(y)[x] = ushort(v);
        }
    return m;
}

// Sets OpenCV's thread count for a scope.
struct Threads {
    int saved = cv::getNumThreads();
    explicit Threads(int n) { cv::setNumThreads(n); }
    ~Threads() { cv::setNumThreads(saved); }
};

Bytes encode_with(int threads, const cv::Mat& m, int level, std::size_t piece) {
    Threads t(threads);
    return detail::encode_png(m, level, piece);
}

// Everything promised of a file written in pieces, against libpng's single stream `ref`.
void check_pieces(const cv::Mat& m, const Bytes& ours, const Bytes& ref, std::size_t expected_pieces) {
    const std::vector<Chunk> a = chunks_of(ours), b = chunks_of(ref);
    CHECK(idat_count(a) == int(expected_pieces));
    // the same chunks around the image data (IHDR first, IEND last)
    std::vector<std::string> ta, tb;
    for (const Chunk& c : a)
        if (c.type != "IDAT") ta.push_back(c.type + std::string(c.data.begin(), c.data.end()));
    for (const Chunk& c : b)
        if (c.type != "IDAT") tb.push_back(c.type + std::string(c.data.begin(), c.data.end()));
    CHECK(ta == tb);
    // the same filtered rows, so the same filters were chosen on every row
    const std::size_t filtered = std::size_t(m.rows) * (m.cols * m.elemSize() + 1);
    const Bytes za = idat_of(a), zb = idat_of(b);
    const Bytes fa = inflated(za, filtered);
    CHECK(fa.size() == filtered);
    CHECK(fa == inflated(zb, filtered));
    // the same pixels through both decoders
    CHECK(identical(decode(ours), m));
    CHECK(identical(opencv_decode_rgb(ours), m));
}

}  // namespace

TEST_CASE(
    "png pieces: every level, depth and channel count, around the threshold: libpng's filters, exact pixels, "
    "the same bytes on 1 and 2 threads (issue #5)") {
    // Small pieces, so that many pieces and dictionaries spanning several pieces are cheap.
    constexpr std::size_t piece = 3000;
    for (int depth : {CV_8U, CV_16U})
        for (int channels : {1, 3, 4})
            for (int width : {1, 37}) {
                const std::size_t row_bytes = std::size_t(width) * channels * (depth == CV_8U ? 1 : 2);
                const int per = int(detail::png_rows_per_piece(row_bytes, piece));
                REQUIRE(per == int(piece / (row_bytes + 1)));
                for (int rows : {per - 1, per, per + 1, 5 * per + 3}) {
                    const cv::Mat m = photo(depth, channels, width, rows, std::uint64_t(rows * 7 + width));
                    CHECK(detail::png_in_pieces(m, piece) == (rows > per));
                    for (int level = -1; level <= 9; ++level) {
                        CAPTURE(depth);
                        CAPTURE(channels);
                        CAPTURE(width);
                        CAPTURE(rows);
                        CAPTURE(level);
                        const Bytes one = encode_with(1, m, level, piece);
                        const Bytes ref = opencv_png(m, level);
                        if (rows <= per) {  // one piece: libpng's own file
                            CHECK(one == ref);
                            continue;
                        }
                        CHECK(one == encode_with(2, m, level, piece));
                        check_pieces(m, one, ref, std::size_t((rows + per - 1) / per));
                    }
                }
            }
}

TEST_CASE("png pieces: at the real threshold, OpenCV's bytes below it, within 1% of its size above (issue #5)") {
    for (int depth : {CV_8U, CV_16U})
        for (int channels : {1, 3, 4}) {
            const int width = depth == CV_8U ? 301 : 151;  // odd widths
            const std::size_t row_bytes = std::size_t(width) * channels * (depth == CV_8U ? 1 : 2);
            const int per = int(detail::png_rows_per_piece(row_bytes));
            REQUIRE(per == int(detail::png_piece_bytes / (row_bytes + 1)));
            for (int rows : {per - 1, per, per + 1, 4 * per}) {
                const cv::Mat m = photo(depth, channels, width, rows, std::uint64_t(rows + channels));
                for (int level : {-1, 0, 1, 6, 9}) {
                    CAPTURE(depth);
                    CAPTURE(channels);
                    CAPTURE(rows);
                    CAPTURE(level);
                    EncodeOptions opt;
                    opt.png_compression = level;
                    Bytes two;
                    {
                        Threads t(2);
                        two = encode(m, Format::png, opt);
                    }
                    const Bytes ref = opencv_png(m, level);
                    if (rows <= per) {
                        CHECK(two == ref);
                        continue;
                    }
                    Bytes one;
                    {
                        Threads t(1);
                        one = encode(m, Format::png, opt);
                    }
                    CHECK(one == two);
                    check_pieces(m, two, ref, std::size_t((rows + per - 1) / per));
                    // the zlib header names the same level; a few bytes per piece at most
                    CHECK(idat_of(chunks_of(two))[1] == idat_of(chunks_of(ref))[1]);
                    CHECK(double(two.size()) <= 1.01 * double(ref.size()));
                    CHECK(double(two.size()) >= 0.99 * double(ref.size()));
                }
            }
        }
}

TEST_CASE("png pieces: a view into a larger image (rows not contiguous), 8- and 16-bit") {
    for (int depth : {CV_8U, CV_16U}) {
        CAPTURE(depth);
        const cv::Mat big = photo(depth, 3, 340, 700);
        const cv::Mat view = big(cv::Rect(3, 5, 301, 650));
        REQUIRE(detail::png_in_pieces(view));
        const cv::Mat copy = view.clone();
        check_pieces(copy, encode(view, Format::png, {-1, 6}), opencv_png(copy, 6),
                     (650 + detail::png_rows_per_piece(copy.cols * copy.elemSize()) - 1) /
                         detail::png_rows_per_piece(copy.cols * copy.elemSize()));
    }
}

TEST_CASE("png pieces: the CLI writes the same large PNG with --threads 1 and 2 (issue #5)") {
    test::TempDir dir;
    const cv::Mat m = photo(CV_8U, 3, 640, 480);  // four pieces at 921 KB
    test::write_bytes(dir / "in.png", encode(m, Format::png));
    for (const std::string level : {"", " --png-compression 6"}) {
        CAPTURE(level);
        for (const char* n : {"1", "2"}) {
            const test::Run r =
                test::cli("in.png -t max -k 1 -o t" + std::string(n) + ".png --overwrite --threads " + n + level,
                          dir.path.string());
            REQUIRE(r.code == 0);
        }
        const Bytes t1 = test::read_bytes(dir / "t1.png");
        CHECK(t1 == test::read_bytes(dir / "t2.png"));
        CHECK(idat_count(chunks_of(t1)) == 4);
        CHECK(identical(decode(t1), m));
    }
}
