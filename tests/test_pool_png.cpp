// A PNG file pooled into PNG bytes with decoding overlapped (lib/src/pool_png.cpp): the same
// pooled pixels and the same bytes as decoding, pooling and encoding in turn, with 1, 2 or
// more threads; a broken input fails as decode_file does, with no thread left behind.
#include <doctest/doctest.h>
#include <png.h>

#include <csetjmp>
#include <random>
#include <string>

#include "imgpool/image_io.hpp"
#include "imgpool/pool.hpp"
#include "imgpool/pool_png.hpp"
#include "support.hpp"

using namespace imgpool;
using namespace imgpool::io;

namespace {

// Noise over gradients: compresses like a photo, a little.
cv::Mat photo_like(std::mt19937& rng, cv::Size size, int depth, int cn) {
    cv::Mat m(size, CV_MAKETYPE(depth, cn));
    cv::Mat noise(size, m.type());
    cv::theRNG().state = rng();
    cv::randu(noise, 0, depth == CV_16U ? 2000 : 24);
    const double top = depth == CV_16U ? 60000 : 230;
    for (int y = 0; y < m.rows; ++y) m.row(y).setTo(cv::Scalar::all(top * y / m.rows));
    cv::add(m, noise, m);
    return m;
}

// What the CLI did before: decode, pool, encode in turn.
Bytes in_turn(const std::string& path, const PoolParams& p, const EncodeOptions& opt) {
    return encode(pool(decode(test::read_bytes(path)), p), Format::png, opt);
}

PooledPng pooled_file(const std::string& path, const PoolParams& p, const EncodeOptions& opt) {
    Bytes data = test::read_bytes(path);
    const Info info = probe(data, Format::png);
    return pool_png_file(std::move(data), path, info, p, opt);
}

struct Threads {
    explicit Threads(int n) : saved(cv::getNumThreads()) { cv::setNumThreads(n); }
    ~Threads() { cv::setNumThreads(saved); }
    Threads(const Threads&) = delete;
    Threads& operator=(const Threads&) = delete;
    int saved;
};

void png_append(png_structp png, png_bytep data, std::size_t n) {
    auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
    out->insert(out->end(), data, data + n);
}
void png_no_flush(png_structp) {}

// An Adam7-interlaced 8-bit RGB file of `m`; holds no C++ object with a destructor across setjmp.
bool write_interlaced(const cv::Mat& m, unsigned char** rows, Bytes& out) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_set_write_fn(png, &out, png_append, png_no_flush);
    png_set_IHDR(png, info, png_uint_32(m.cols), png_uint_32(m.rows), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return true;
}

}  // namespace

TEST_CASE("pool_png_file: the bytes of decode, pool and encode in turn, with 1 and 2 threads") {
    std::mt19937 rng(51);
    test::TempDir dir;
    struct Case {
        cv::Size size;
        int depth, cn;
        PoolParams p;
        int level;
    };
    auto params = [](PoolType t, int k, int s, Padding pad, Border b, bool ceil, bool count_pad) {
        PoolParams p;
        p.type = t, p.window = {k, k}, p.stride = {s, s}, p.padding = pad, p.border = b;
        p.ceil_mode = ceil, p.count_pad = count_pad;
        return p;
    };
    PoolParams dilated = params(PoolType::max, 3, 2, Padding::explicit_(1, 2, 0, 1), Border::ignore, true, false);
    dilated.dilation = {2, 1};
    const Case cases[] = {
        {{1201, 803}, CV_8U, 3, params(PoolType::max, 2, 2, {}, Border::ignore, false, false), 6},
        {{1201, 803}, CV_8U, 3, params(PoolType::max, 2, 2, {}, Border::ignore, false, false), -1},
        {{900, 1003}, CV_8U, 4, params(PoolType::avg, 3, 2, Padding::tf_same(), Border::ignore, false, true), 1},
        {{1000, 999},
         CV_8U,
         1,
         params(PoolType::median, 3, 1, Padding::symmetric(1), Border::reflect, false, false),
         9},
        {{777, 1025},
         CV_16U,
         3,
         params(PoolType::lp, 4, 3, Padding::explicit_(0, 3, 2, 1), Border::replicate, true, false),
         6},
        {{1111, 1333},
         CV_16U,
         1,
         params(PoolType::mode, 2, 2, Padding::per_axis(1, 1), Border::zero, false, false),
         -1},
        {{811, 1499}, CV_8U, 3, dilated, 3},
    };
    int n = 0;
    for (const Case& c : cases) {
        const std::string path = dir / ("in" + std::to_string(n++) + ".png");
        test::write_bytes(path, encode(photo_like(rng, c.size, c.depth, c.cn), Format::png, {}));
        EncodeOptions opt;
        opt.png_compression = c.level;
        const Bytes expected = in_turn(path, c.p, opt);
        const cv::Mat expected_pixels = pool(decode(test::read_bytes(path)), c.p);
        for (int threads : {1, 2}) {
            INFO("case " << n << ", " << threads << " threads");
            const Threads t(threads);
            const PooledPng r = pooled_file(path, c.p, opt);
            CHECK(test::same(r.pooled, expected_pixels));
            CHECK(r.png == expected);
        }
    }
}

TEST_CASE("pool_png_file: interlaced, small and unencodable results go the serial way, the same") {
    std::mt19937 rng(52);
    test::TempDir dir;
    const Threads two(2);
    const cv::Mat m = photo_like(rng, {700, 801}, CV_8U, 3);
    std::vector<unsigned char*> rows;
    for (int y = 0; y < m.rows; ++y) rows.push_back(const_cast<unsigned char*>(m.ptr(y)));
    Bytes interlaced;
    REQUIRE(write_interlaced(m, rows.data(), interlaced));
    test::write_bytes(dir / "adam7.png", interlaced);
    PoolParams p;
    p.window = {1, 2};
    CHECK(pooled_file(dir / "adam7.png", p, {}).png == in_turn(dir / "adam7.png", p, {}));
    p.window = {8, 8};  // a result of one piece: libpng in one stream
    CHECK(pooled_file(dir / "adam7.png", p, {}).png == in_turn(dir / "adam7.png", p, {}));
    p.type = PoolType::sum;  // float64: PNG cannot hold it, and the input was fine
    CHECK_THROWS_AS(pooled_file(dir / "adam7.png", p, {}), EncodeError);
}

TEST_CASE("pool_png_file: a file cut in the image data fails as decode_file does, whatever the threads") {
    std::mt19937 rng(53);
    test::TempDir dir;
    const Bytes whole = encode(photo_like(rng, {1500, 1200}, CV_8U, 3), Format::png, {});
    for (double at : {0.2, 0.5, 0.97}) {
        const Bytes cut(whole.begin(), whole.begin() + std::ptrdiff_t(double(whole.size()) * at));
        const std::string path = dir / "cut.png";
        test::write_bytes(path, cut);
        const Info info = probe(cut, Format::png);
        const std::string serial = test::error_of([&] { decode_file(Bytes(cut), path, info); });
        REQUIRE(serial == "corrupt or unsupported PNG data");
        for (int threads : {1, 2}) {
            INFO("cut at " << at << ", " << threads << " threads");
            const Threads t(threads);
            CHECK(test::error_of([&] { pooled_file(path, PoolParams{}, {}); }) == serial);
        }
    }
}

// ---- Through the CLI, whose plain PNG-to-PNG runs take pool_png_file ----

TEST_CASE("cli: a PNG pooled into a PNG file has the same bytes with 1 and 2 threads and as in turn") {
    std::mt19937 rng(54);
    test::TempDir dir;
    test::write_bytes(dir / "in.png", encode(photo_like(rng, {1203, 901}, CV_8U, 3), Format::png, {}));
    struct Case {
        std::string flags;
        PoolParams p;
        int level;
    };
    PoolParams max2, avg3, med3;
    avg3.type = PoolType::avg, avg3.window = {3, 3}, avg3.stride = {2, 2}, avg3.padding = Padding::tf_same();
    med3.type = PoolType::median, med3.window = {3, 3}, med3.stride = {1, 1}, med3.padding = Padding::symmetric(1);
    med3.border = Border::reflect;
    const Case cases[] = {
        {"-t max -k 2 --png-compression 6", max2, 6},
        {"-t max -k 2", max2, -1},
        {"-t avg -k 3 -s 2 -p same --png-compression 1", avg3, 1},
        {"-t median -k 3 -s 1 -p 1 --border reflect", med3, -1},
    };
    for (const Case& c : cases) {
        EncodeOptions opt;
        opt.png_compression = c.level;
        const Bytes expected = in_turn(dir / "in.png", c.p, opt);
        for (const char* threads : {"1", "2"}) {
            INFO(c.flags << " --threads " << threads);
            const test::Run r =
                test::cli("in.png " + c.flags + " -o out.png --overwrite --threads " + threads, dir.path.string());
            REQUIRE(r.code == 0);
            CHECK(test::read_bytes(dir / "out.png") == expected);
        }
    }
    // An existing output is kept without --overwrite, the input always.
    for (const char* threads : {"1", "2"}) {
        const Bytes before = test::read_bytes(dir / "out.png");
        const test::Run again =
            test::cli(std::string("in.png -k 2 -o out.png --threads ") + threads, dir.path.string());
        CHECK(again.code == 1);
        CHECK(again.err == "imgpool: error: out.png: exists (use --overwrite to replace it)\n");
        CHECK(test::read_bytes(dir / "out.png") == before);
        const test::Run self =
            test::cli(std::string("in.png -k 2 -o in.png --overwrite --threads ") + threads, dir.path.string());
        CHECK(self.code != 0);
        CHECK(self.err.find("never overwrites its input") != std::string::npos);
    }
}

TEST_CASE("cli: a PNG cut in its image data fails in one line, writes nothing, with 1 and 2 threads") {
    std::mt19937 rng(55);
    test::TempDir dir;
    const Bytes whole = encode(photo_like(rng, {1500, 1100}, CV_8U, 3), Format::png, {});
    test::write_bytes(dir / "cut.png", Bytes(whole.begin(), whole.begin() + std::ptrdiff_t(whole.size() / 2)));
    for (const char* threads : {"1", "2"}) {
        INFO("--threads " << threads);
        const test::Run r = test::cli(std::string("cut.png -k 2 -o out.png --threads ") + threads, dir.path.string());
        CHECK(r.code == 1);
        CHECK(r.err == "imgpool: error: cut.png: corrupt or unsupported PNG data\n");
        int files = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir.path)) files += e.path().filename() != "cut.png";
        CHECK(files == 0);  // no output, no temporary file
    }
}
