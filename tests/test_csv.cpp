// csv::decode / csv::encode: np.loadtxt-like reading, exact shortest writing.
#include "support.hpp"

#include "imgpool/csv.hpp"
#include "imgpool/error.hpp"

#include <doctest/doctest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>

using imgpool::IoError;
using imgpool::csv::decode;
using imgpool::csv::encode;

namespace {

std::string decode_error(const std::string& text) {
    try {
        decode(text);
    } catch (const IoError& e) {
        return e.what();
    }
    return "(no error)";
}

// A csv/<name>.values.txt fixture ("H W C 64F", then the values) as a CV_64F Mat.
cv::Mat read_values(const std::string& path) {
    std::istringstream in(test::read_text(path));
    int h = 0, w = 0, c = 0;
    std::string depth, tok;
    in >> h >> w >> c >> depth;
    REQUIRE(c == 1);
    REQUIRE(depth == "64F");
    cv::Mat m(h, w, CV_64F);
    for (int i = 0; i < h * w; ++i) {
        REQUIRE(static_cast<bool>(in >> tok));
        auto r = std::from_chars(tok.data(), tok.data() + tok.size(), m.ptr<double>()[i]);
        REQUIRE(r.ec == std::errc());
    }
    return m;
}

// Bitwise equality, so -0.0 differs from 0.0 and every NaN matches itself.
bool identical(const cv::Mat& a, const cv::Mat& b) {
    if (a.size() != b.size() || a.type() != b.type()) return false;
    for (int y = 0; y < a.rows; ++y)
        if (std::memcmp(a.ptr(y), b.ptr(y), a.cols * a.elemSize()) != 0) return false;
    return true;
}

// NaN payloads do not survive "nan"; replace them (bitwise comparison follows).
template <typename T>
void no_nan(cv::Mat& m) {
    for (auto it = m.begin<T>(); it != m.end<T>(); ++it)
        if (std::isnan(*it)) *it = T(0.1);
}

}  // namespace

TEST_CASE("csv decode: commas and/or whitespace, comments, blank lines, CRLF") {
    const cv::Mat two_by_three = test::mat({{1, 2, 3}, {4, 5, 6}});
    for (const char* text : {"1,2,3\n4,5,6\n", "1 2 3\n4 5 6", "1, 2,3\n4 ,5 , 6\n", "1\t2\t3\r\n4\t5\t6\r\n",
                             "# a header\n\n1,2,3  # trailing note\n   \n4,5,6\n# end", "  1   2 3\n4,5,6\n\n\n"}) {
        CAPTURE(text);
        cv::Mat m = decode(text);
        CHECK(m.type() == CV_64FC1);
        CHECK(test::same(m, two_by_three));
    }
    CHECK(test::same(decode("1,2,3,4\n"), test::mat({{1, 2, 3, 4}})));
    CHECK(test::same(decode("1\n2\n3\n"), test::mat({{1}, {2}, {3}})));
    CHECK(test::same(decode("7"), test::mat({{7}})));
}

TEST_CASE("csv decode: number forms Python's float() reads") {
    cv::Mat m = decode("nan, inf, -inf, +2.5, 1e3, -1.5E-3, 1., .5, NaN, +inf, Infinity, -0");
    REQUIRE(m.cols == 12);
    CHECK(std::isnan(m.at<double>(0)));
    CHECK(m.at<double>(1) == INFINITY);
    CHECK(m.at<double>(2) == -INFINITY);
    CHECK(m.at<double>(3) == 2.5);
    CHECK(m.at<double>(4) == 1000);
    CHECK(m.at<double>(5) == -0.0015);
    CHECK(m.at<double>(6) == 1);
    CHECK(m.at<double>(7) == 0.5);
    CHECK(std::isnan(m.at<double>(8)));
    CHECK(m.at<double>(9) == INFINITY);
    CHECK(m.at<double>(10) == INFINITY);
    CHECK(std::signbit(m.at<double>(11)));
    CHECK(decode("0.1").at<double>(0) == 0.1);
    CHECK(decode("4.9406564584124654e-324").at<double>(0) == std::numeric_limits<double>::denorm_min());
    CHECK(decode("1.7976931348623157e308").at<double>(0) == std::numeric_limits<double>::max());
}

TEST_CASE("csv decode: errors name the line and column") {
    CHECK(decode_error("1,2,3\n4,5,6\n7,8\n") == "line 3: row 3 has 2 values, expected 3");
    CHECK(decode_error("# c\n1,2\n\n3,4,5\n") == "line 4: row 2 has 3 values, expected 2");
    CHECK(decode_error("1,,2\n") == "line 1, column 2: empty field");
    CHECK(decode_error("1,2,\n") == "line 1, column 3: empty field");
    CHECK(decode_error(",1,2\n") == "line 1, column 1: empty field");
    CHECK(decode_error("1,2,3\n4,5,abc\n") == "line 2, column 3: 'abc' is not a number");
    CHECK(decode_error("1 2 3\n4 5 6x\n") == "line 2, column 3: '6x' is not a number");
    CHECK(decode_error("1e\n") == "line 1, column 1: '1e' is not a number");
    CHECK(decode_error("+-1\n") == "line 1, column 1: '+-1' is not a number");
    CHECK(decode_error("0x10\n") == "line 1, column 1: '0x10' is not a number");
    CHECK(decode_error("1;2\n") == "line 1, column 1: '1;2' is not a number");
    CHECK(decode_error("1e999\n") == "line 1, column 1: '1e999' is out of range for float64");
    CHECK(decode_error("") == "empty: no numbers");
    CHECK(decode_error("\n  \n# only a comment\n") == "empty: no numbers");
}

TEST_CASE("csv decode: reads what np.savetxt writes") {
    for (const char* name : {"savetxt_default", "savetxt_comma"}) {
        CAPTURE(name);
        const std::string base = test::fixture(std::string("numpy/csv/") + name);
        CHECK(identical(decode(test::read_text(base + ".csv")), read_values(base + ".values.txt")));
    }
}

TEST_CASE("csv encode: comma separated, integers as integers, shortest floats") {
    CHECK(encode(test::mat({{1, 2}, {3, 255}}, CV_8U)) == "1,2\n3,255\n");
    CHECK(encode(test::mat({{-128, 127}}, CV_8S)) == "-128,127\n");
    CHECK(encode(test::mat({{-2147483648.0, 2147483647}}, CV_32S)) == "-2147483648,2147483647\n");
    CHECK(encode(test::mat({{0.1, 1.5}, {-2, 1e300}})) == "0.1,1.5\n-2,1e+300\n");
    CHECK(encode(test::mat({{0.1, 1.0 / 3}}, CV_32F)) == "0.1,0.33333334\n");
    CHECK(encode(test::mat({{NAN, INFINITY, -INFINITY, -0.0}})) == "nan,inf,-inf,-0\n");
    CHECK(encode(test::mat({{-NAN}}, CV_32F)) == "nan\n");
    cv::Mat big(3, 4, CV_16U, cv::Scalar(9));
    cv::Mat roi = big(cv::Rect(1, 1, 2, 2));
    roi.at<ushort>(1, 1) = 65535;
    CHECK(encode(roi) == "9,9\n9,65535\n");
    CHECK_THROWS_WITH_AS(encode(cv::Mat(2, 2, CV_8UC3)), "CSV holds one channel; use .npy", IoError);
}

TEST_CASE("csv encode then decode gives back every value exactly") {
    std::mt19937_64 rng(7);
    auto random_bits = [&](cv::Mat& m) {
        for (int y = 0; y < m.rows; ++y)
            for (std::size_t i = 0; i < m.cols * m.elemSize(); ++i) m.ptr(y)[i] = static_cast<uchar>(rng());
    };
    for (int depth : {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F}) {
        CAPTURE(depth);
        cv::Mat m(20, 30, depth);
        random_bits(m);  // any bit pattern: subnormals, huge values, infinities
        if (depth == CV_32F) no_nan<float>(m);
        if (depth == CV_64F) no_nan<double>(m);
        cv::Mat back;
        decode(encode(m)).convertTo(back, depth);
        CHECK(identical(back, m));
    }
    cv::Mat special = test::mat({{NAN, INFINITY, -INFINITY, -0.0, 5e-324}});
    CHECK(test::same(decode(encode(special)), special));

    // The one float32 (with its negative) whose shortest text "7.038531e-26" reads back
    // through float64 as the neighbouring float32.
    cv::Mat tricky(1, 2, CV_32F);
    std::uint32_t bits = 0x15ae43fd;
    std::memcpy(tricky.ptr(), &bits, 4);
    tricky.at<float>(1) = -tricky.at<float>(0);
    REQUIRE(static_cast<float>(7.038531e-26) != tricky.at<float>(0));
    cv::Mat back;
    decode(encode(tricky)).convertTo(back, CV_32F);
    CHECK(identical(back, tricky));
}
