#include "imgpool/csv.hpp"

#include "imgpool/error.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <system_error>
#include <vector>

namespace imgpool::csv {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string where(std::size_t line, std::size_t column) {
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": ";
}

// One field as a double: what Python's float() accepts ("+1", "nan", "-inf", "1e-3"),
// read with from_chars so the locale never matters.
double parse_number(std::string_view tok, std::size_t line, std::size_t column) {
    std::string_view body = tok;
    if (!body.empty() && body[0] == '+') body.remove_prefix(1);
    double v = 0;
    const char* end = body.data() + body.size();
    auto [ptr, ec] = std::from_chars(body.data(), end, v);
    bool signed_twice = tok.size() != body.size() && !body.empty() && (body[0] == '-' || body[0] == '+');
    if (ec == std::errc::result_out_of_range && ptr == end)
        throw IoError(where(line, column) + "'" + std::string(tok) + "' is out of range for float64");
    if (ec != std::errc() || ptr != end || body.empty() || signed_twice)
        throw IoError(where(line, column) + "'" + std::string(tok) + "' is not a number");
    return v;
}

// Splits one line (comment already removed) at commas and/or whitespace and appends
// its numbers to `out`. Returns how many it found (0 for a blank line).
std::size_t parse_line(std::string_view s, std::size_t line, std::vector<double>& out) {
    std::size_t pos = 0, column = 0;
    auto skip_space = [&] {
        while (pos < s.size() && is_space(s[pos])) ++pos;
    };
    skip_space();
    if (pos == s.size()) return 0;
    while (true) {
        ++column;
        if (pos == s.size() || s[pos] == ',') throw IoError(where(line, column) + "empty field");
        std::size_t start = pos;
        while (pos < s.size() && !is_space(s[pos]) && s[pos] != ',') ++pos;
        out.push_back(parse_number(s.substr(start, pos - start), line, column));
        skip_space();
        if (pos == s.size()) return column;
        if (s[pos] == ',') {  // a comma (with any spaces around it) separates two fields
            ++pos;
            skip_space();
        }
    }
}

void append_value(std::string& out, double v, bool as_float) {
    if (std::isnan(v)) {
        out += "nan";
        return;
    }
    if (std::isinf(v)) {
        out += v < 0 ? "-inf" : "inf";
        return;
    }
    char buf[64];
    if (as_float) {
        auto res = std::to_chars(buf, buf + sizeof buf, static_cast<float>(v));
        // decode() reads float64, and float(double(text)) can round the wrong way: the
        // shortest float32 text of 7.03853069e-26f does. Then write the float64 form.
        double back = 0;
        std::from_chars(buf, res.ptr, back);
        if (static_cast<float>(back) == static_cast<float>(v)) {
            out.append(buf, res.ptr);
            return;
        }
    }
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
}

void append_int(std::string& out, std::int64_t v) {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
}

}  // namespace

cv::Mat decode(const std::string& text) {
    std::string_view all = text;
    if (all.substr(0, 3) == "\xEF\xBB\xBF") all.remove_prefix(3);  // UTF-8 byte order mark
    std::vector<double> values;
    std::size_t rows = 0, cols = 0, line = 0;
    while (!all.empty()) {
        std::size_t nl = all.find('\n');
        std::string_view s = all.substr(0, nl);
        all.remove_prefix(nl == std::string_view::npos ? all.size() : nl + 1);
        ++line;
        s = s.substr(0, s.find('#'));
        std::size_t n = parse_line(s, line, values);
        if (n == 0) continue;
        if (rows > 0 && n != cols)
            throw IoError("line " + std::to_string(line) + ": row " + std::to_string(rows + 1) +
                          " has " + std::to_string(n) + " values, expected " + std::to_string(cols));
        cols = n;
        ++rows;
    }
    if (rows == 0) throw IoError("empty: no numbers");
    cv::Mat m(static_cast<int>(rows), static_cast<int>(cols), CV_64FC1);
    std::copy(values.begin(), values.end(), m.ptr<double>());
    return m;
}

std::string encode(const cv::Mat& m) {
    if (m.channels() != 1) throw IoError("CSV holds one channel; use .npy");
    if (m.empty()) throw IoError("cannot write an empty matrix");
    cv::Mat src = m;
    if (m.depth() == CV_16F) m.convertTo(src, CV_32F);  // exact, and prints shorter
    cv::Mat_<double> values;
    src.convertTo(values, CV_64F);  // exact for every depth
    const bool is_int = src.depth() <= CV_32S;
    const bool is_float = src.depth() == CV_32F;
    std::string out;
    for (int y = 0; y < values.rows; ++y) {
        for (int x = 0; x < values.cols; ++x) {
            if (x) out += ',';
            double v = values(y, x);
            if (is_int)
                append_int(out, static_cast<std::int64_t>(v));
            else
                append_value(out, v, is_float);
        }
        out += '\n';
    }
    return out;
}

}  // namespace imgpool::csv
