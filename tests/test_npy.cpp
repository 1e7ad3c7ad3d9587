// .npy decode/encode against files written by NumPy 1.24 (tests/fixtures/numpy, made by
// make_numpy_fixtures.py) and against hand-made malformed headers.
#include "support.hpp"

#include "imgpool/error.hpp"
#include "imgpool/npy.hpp"

#include <doctest/doctest.h>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using imgpool::IoError;

namespace {

int depth_of(const std::string& name) {
    static const std::map<std::string, int> depths = {{"8U", CV_8U},   {"8S", CV_8S},   {"16U", CV_16U},
                                                      {"16S", CV_16S}, {"32S", CV_32S}, {"32F", CV_32F},
                                                      {"64F", CV_64F}};
    return depths.at(name);
}

// A <name>.values.txt fixture: "H W C depth", then every value in C order.
cv::Mat read_values(const std::string& path) {
    std::istringstream in(test::read_text(path));
    int h = 0, w = 0, c = 0;
    std::string depth;
    in >> h >> w >> c >> depth;
    cv::Mat m(h, w, CV_64FC(c));
    auto* p = m.ptr<double>();
    std::string tok;
    for (std::size_t i = 0; i < m.total() * static_cast<std::size_t>(c); ++i) {
        REQUIRE(static_cast<bool>(in >> tok));
        auto r = std::from_chars(tok.data(), tok.data() + tok.size(), p[i]);
        REQUIRE(r.ec == std::errc());
    }
    cv::Mat out;
    m.convertTo(out, depth_of(depth));
    return out;
}

// Fixture files in tests/fixtures/numpy/<dir> ending in `suffix`, sorted, without it.
std::vector<std::string> fixtures(const std::string& dir, const std::string& suffix) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(test::fixture("numpy/" + dir))) {
        std::string f = e.path().filename().string();
        if (f.size() > suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0)
            names.push_back(test::fixture("numpy/" + dir + "/" + f.substr(0, f.size() - suffix.size())));
    }
    std::sort(names.begin(), names.end());
    return names;
}

// A version 1.0 file around `dict`, padded like np.save, followed by `data`.
std::vector<unsigned char> npy_file(const std::string& dict, const std::vector<unsigned char>& data = {},
                                    int major = 1) {
    std::string header = dict;
    std::size_t prefix = major == 1 ? 10 : 12;
    while ((prefix + header.size() + 1) % 64) header += ' ';
    header += '\n';
    std::vector<unsigned char> b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<unsigned char>(major), 0};
    for (std::size_t i = 0; i < prefix - 8; ++i) b.push_back(static_cast<unsigned char>((header.size() >> (8 * i)) & 0xff));
    b.insert(b.end(), header.begin(), header.end());
    b.insert(b.end(), data.begin(), data.end());
    return b;
}

std::string decode_error(const std::vector<unsigned char>& bytes) {
    try {
        imgpool::npy::decode(bytes);
    } catch (const IoError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("npy decode: big-endian, Fortran order, bool, int64, uint32, float16, v2/v3 headers") {
    auto names = fixtures("decode", ".values.txt");
    CHECK(names.size() == 22);
    for (const auto& name : names) {
        CAPTURE(name);
        cv::Mat expected = read_values(name + ".values.txt");
        cv::Mat got = imgpool::npy::decode(test::read_bytes(name + ".npy"));
        CHECK(got.type() == expected.type());
        CHECK(test::same(got, expected));
    }
}

TEST_CASE("npy decode: a Fortran-order 3-D array is transposed into HxWxC") {
    // 2x3x4 uint8 holding 0..23 in C order; the file stores it column-major.
    cv::Mat m = imgpool::npy::decode(test::read_bytes(test::fixture("numpy/decode/fortran_u1_hwc4.npy")));
    REQUIRE(m.type() == CV_8UC4);
    REQUIRE(m.rows == 2);
    REQUIRE(m.cols == 3);
    CHECK(m.at<cv::Vec4b>(0, 0) == cv::Vec4b(0, 1, 2, 3));
    CHECK(m.at<cv::Vec4b>(0, 2) == cv::Vec4b(8, 9, 10, 11));
    CHECK(m.at<cv::Vec4b>(1, 1) == cv::Vec4b(16, 17, 18, 19));
}

TEST_CASE("npy decode: 64-bit integers beyond 2^53 are refused, naming the value") {
    auto err = [](const std::string& f) { return decode_error(test::read_bytes(test::fixture("numpy/decode/" + f))); };
    CHECK(err("int64_out_of_range.npy") == "int64 value 9007199254740993 is beyond 2^53, not exact in float64");
    CHECK(err("int64_negative_out_of_range.npy") ==
          "int64 value -9007199254740994 is beyond 2^53, not exact in float64");
    CHECK(err("uint64_out_of_range.npy") ==
          "uint64 value 18446744073709551615 is beyond 2^53, not exact in float64");
}

TEST_CASE("npy decode: files np.save writes but imgpool cannot hold are refused with the reason") {
    const std::map<std::string, std::string> reasons = {
        {"object", "unsupported dtype '|O' (object)"},
        {"complex64", "unsupported dtype '<c8' (complex)"},
        {"complex128", "unsupported dtype '<c16' (complex)"},
        {"unicode", "unsupported dtype '<U2' (unicode string)"},
        {"bytes", "unsupported dtype '|S2' (byte string)"},
        {"longdouble", "unsupported dtype '<f16' (long double)"},
        {"datetime", "unsupported dtype '<M8[D]' (datetime)"},
        {"structured", "unsupported dtype (structured)"},
        {"void", "unsupported dtype '|V4' (void)"},
        {"shape_1d", "expected a 2-D (H, W) or 3-D (H, W, C) array, got 1-D shape (5,)"},
        {"shape_0d", "expected a 2-D (H, W) or 3-D (H, W, C) array, got 0-D shape ()"},
        {"shape_4d", "expected a 2-D (H, W) or 3-D (H, W, C) array, got 4-D shape (2, 3, 4, 5)"},
        {"zero_rows", "shape (0, 3) has a zero-size dimension"},
        {"too_many_channels", "shape (1, 1, 513) has 513 channels, at most 512 are supported"},
        {"truncated_data", "shape (3, 4) does not match 40 bytes of data (expected 96 for '<f8')"},
    };
    auto names = fixtures("bad", ".npy");
    CHECK(names.size() == reasons.size());
    for (const auto& path : names) {
        std::string name = fs::path(path).filename().string();
        CAPTURE(name);
        REQUIRE(reasons.count(name) == 1);
        CHECK(decode_error(test::read_bytes(path + ".npy")) == reasons.at(name));
    }
}

TEST_CASE("npy decode: malformed files") {
    const std::string ok = "{'descr': '<u2', 'fortran_order': False, 'shape': (1, 2), }";
    const std::vector<unsigned char> four = {1, 0, 2, 0};
    REQUIRE(test::same(imgpool::npy::decode(npy_file(ok, four)), test::mat({{1, 2}}, CV_16U)));

    CHECK(decode_error({}) == "not a .npy file (bad magic)");
    CHECK(decode_error({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}) == "not a .npy file (bad magic)");
    auto v4 = npy_file(ok, four);
    v4[6] = 4;
    CHECK(decode_error(v4) == "unsupported .npy format version 4.0");

    auto truncated = npy_file(ok, four);
    truncated.resize(40);
    CHECK(decode_error(truncated) == "truncated header (118 bytes announced, 30 present)");
    truncated.resize(9);
    CHECK(decode_error(truncated) == "truncated header");

    auto header = [&](const std::string& dict) { return decode_error(npy_file(dict, four)); };
    CHECK(header("hello") == "npy header does not parse: expected '{'");
    CHECK(header("{'descr': '<u2', 'fortran_order': False}") == "npy header does not parse: no 'shape'");
    CHECK(header("{'descr': '<u2', 'shape': (1, 2)}") == "npy header does not parse: no 'fortran_order'");
    CHECK(header("{'descr': '<u2', 'fortran_order': False, 'shape': (1, 2), 'x': 1}") ==
          "npy header does not parse: unexpected key 'x'");
    CHECK(header("{'descr': '<u2', 'descr': '<u2', 'fortran_order': False, 'shape': (1, 2)}") ==
          "npy header does not parse: key 'descr' repeated");
    CHECK(header("{'descr': '<u2', 'fortran_order': 0, 'shape': (1, 2)}") ==
          "npy header does not parse: 'fortran_order' is not True or False");
    CHECK(header("{'descr': '<u2 , 'fortran_order': False, 'shape': (1, 2)}") ==
          "npy header does not parse: expected ',' or '}'");
    CHECK(header("{'descr' '<u2', 'fortran_order': False, 'shape': (1, 2)}") ==
          "npy header does not parse: expected ':'");
    CHECK(header("{'descr': '<u2', 'fortran_order': False, 'shape': (1, 2)") ==
          "npy header does not parse: expected ',' or '}'");
    CHECK(header("{'descr': '<u2") == "npy header does not parse: unterminated string");
    CHECK(header("{'descr': '<u2', 'fortran_order': False, 'shape': (1, 2) 'x'}") ==
          "npy header does not parse: expected ',' or '}'");
    CHECK(header("{'descr': '<u2', 'fortran_order': False, 'shape': (1; 2)}") ==
          "npy header does not parse: expected ',' or ')' in shape");
    CHECK(header("{'descr': '<u2', 'fortran_order': False, 'shape': (1.5, 2)}") ==
          "npy header does not parse: expected ',' or ')' in shape");
    CHECK(header("{'descr': '<u2', 'fortran_order': False, 'shape': (1, 2)} extra") ==
          "npy header does not parse: text after '}'");
    CHECK(header("{'descr': '<u2', 'fortran_order': False, 'shape': (1, -2)}") == "negative dimension in shape");
    CHECK(header("{'descr': '<u2', 'fortran_order': False, 'shape': (1, 99999999999999999999999)}") ==
          "shape dimension is too large");
    CHECK(header("{'descr': '<q2', 'fortran_order': False, 'shape': (1, 2)}") == "unsupported dtype '<q2' (unknown)");
    CHECK(header("{'descr': '<f1', 'fortran_order': False, 'shape': (1, 2)}") == "unsupported dtype '<f1' (unknown)");
    CHECK(header("{'descr': [('a', '<u2')], 'fortran_order': False, 'shape': (1, 2)}") ==
          "unsupported dtype (structured)");

    // Absurd shapes fail on the header alone, before anything is allocated.
    CHECK(header("{'descr': '<u2', 'fortran_order': False, 'shape': (1099511627776, 1099511627776)}") ==
          "shape (1099511627776, 1099511627776) is too large");
    CHECK(header("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647, 512)}") ==
          "shape (2147483647, 2147483647, 512) is too large");
    CHECK(header("{'descr': '<f8', 'fortran_order': False, 'shape': (65536, 65536, 512)}") ==
          "shape (65536, 65536, 512) does not match 4 bytes of data (expected 17592186044416 for '<f8')");

    auto longer = four;
    longer.push_back(0);
    CHECK(decode_error(npy_file(ok, longer)) == "shape (1, 2) does not match 5 bytes of data (expected 4 for '<u2')");
}

TEST_CASE("npy decode: the header may come in any key order, spacing, quoting and byte order") {
    const std::vector<unsigned char> be = {0x01, 0x00, 0x00, 0x02, 0xff, 0x03};  // big-endian int16
    const cv::Mat expect = test::mat({{256, 2, -253}}, CV_16S);
    for (const std::string& dict : {
             std::string("{'shape':(1,3),'fortran_order':False,'descr':'>i2'}"),
             std::string("{\"descr\" : \">i2\" ,\n \"fortran_order\" : False , \"shape\" : ( 1 , 3 , ) , }"),
             std::string("{'fortran_order': True, 'descr': '>i2', 'shape': (1L, 3L), }"),
         }) {
        CAPTURE(dict);
        cv::Mat m = imgpool::npy::decode(npy_file(dict, be));
        CHECK(test::same(m, expect));
    }
    // '|' and '=' mean the machine's own order; version 2.0 uses a 4-byte header length.
    const std::vector<unsigned char> bytes = {7, 250};
    CHECK(test::same(imgpool::npy::decode(npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1)}", bytes)),
                     test::mat({{7}, {250}}, CV_8U)));
    cv::Mat native(1, 1, CV_32F, cv::Scalar(1.75f));
    std::vector<unsigned char> raw(native.datastart, native.dataend);
    CHECK(test::same(imgpool::npy::decode(npy_file("{'descr': '=f4', 'fortran_order': False, 'shape': (1, 1)}", raw, 2)),
                     native));
}

TEST_CASE("npy probe: shape and mapped depth from the header alone") {
    auto header_only = [](const std::string& rel) {
        auto b = test::read_bytes(test::fixture("numpy/" + rel));
        b.resize(128);  // np.save headers of these shapes are 128 bytes
        return b;
    };
    struct Case {
        const char* file;
        int rows, cols, channels, depth;
    };
    for (const Case& c : {Case{"save/float64_hw.npy", 3, 4, 1, CV_64F}, Case{"save/int16_hwc3.npy", 2, 3, 3, CV_16S},
                          Case{"save/uint8_hwc4.npy", 2, 2, 4, CV_8U}, Case{"decode/int64_in_range.npy", 3, 2, 1, CV_64F},
                          Case{"decode/uint32.npy", 2, 2, 1, CV_64F}, Case{"decode/bool_hwc3.npy", 1, 2, 3, CV_8U},
                          Case{"decode/float16.npy", 3, 3, 1, CV_32F}, Case{"decode/hw1.npy", 2, 3, 1, CV_8U},
                          Case{"decode/int8.npy", 1, 3, 1, CV_8S}}) {
        CAPTURE(c.file);
        auto h = imgpool::npy::probe(header_only(c.file));
        CHECK(h.rows == c.rows);
        CHECK(h.cols == c.cols);
        CHECK(h.channels == c.channels);
        CHECK(h.depth == c.depth);
    }
    CHECK_THROWS_AS(imgpool::npy::decode(header_only("save/float64_hw.npy")), IoError);
    CHECK_THROWS_WITH_AS(imgpool::npy::probe(test::read_bytes(test::fixture("numpy/bad/complex64.npy"))),
                         "unsupported dtype '<c8' (complex)", IoError);
    CHECK_THROWS_WITH_AS(imgpool::npy::probe({'x'}), "not a .npy file (bad magic)", IoError);
}

TEST_CASE("npy encode: byte for byte what np.save writes, for every depth") {
    auto names = fixtures("save", ".values.txt");
    CHECK(names.size() == 23);
    for (const auto& name : names) {
        CAPTURE(name);
        const auto file = test::read_bytes(name + ".npy");
        const cv::Mat m = read_values(name + ".values.txt");
        CHECK(imgpool::npy::encode(m) == file);
        CHECK(test::same(imgpool::npy::decode(file), m));

        // The same values inside a larger Mat: rows are not contiguous.
        cv::Mat big(m.rows + 3, m.cols + 5, m.type(), cv::Scalar::all(77));
        cv::Mat roi = big(cv::Rect(2, 1, m.cols, m.rows));
        m.copyTo(roi);
        REQUIRE(roi.isContinuous() == (m.rows == 1));
        CHECK(imgpool::npy::encode(roi) == file);
    }
}

TEST_CASE("npy encode: refuses what .npy cannot hold for imgpool") {
    CHECK_THROWS_AS(imgpool::npy::encode(cv::Mat()), IoError);
    CHECK_THROWS_AS(imgpool::npy::encode(cv::Mat(2, 2, CV_16F, cv::Scalar(1))), IoError);
}
