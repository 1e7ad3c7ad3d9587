#include "imgpool/npy.hpp"

#include "imgpool/error.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace imgpool::npy {
namespace {

constexpr unsigned char kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t kMagicLen = 6;
constexpr std::size_t kAlign = 64;           // np.save aligns the data to 64 bytes
constexpr std::size_t kGrowthDigits = 21;    // np.save leaves room to grow shape[0]
constexpr std::uint64_t kMaxExactInt = 1ULL << 53;

bool host_is_little() {
    const std::uint16_t one = 1;
    unsigned char first = 0;
    std::memcpy(&first, &one, 1);
    return first == 1;
}

// ---------------------------------------------------------------------------------
// Header: a Python dict literal such as
//   {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }

struct RawHeader {
    std::string descr;
    bool fortran = false;
    std::vector<std::uint64_t> shape;
    std::size_t data_offset = 0;
};

std::string shape_str(const std::vector<std::uint64_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + (shape.size() == 1 ? ",)" : ")");
}

// A small recursive-descent reader for the three values np.save writes.
class DictParser {
public:
    explicit DictParser(std::string_view text) : s_(text) {}

    RawHeader parse() {
        RawHeader h;
        bool seen_descr = false, seen_fortran = false, seen_shape = false;
        expect('{');
        while (true) {
            skip_ws();
            if (peek() == '}') break;
            std::string key = string_literal();
            expect(':');
            skip_ws();
            if (key == "descr") {
                once(seen_descr, key);
                if (peek() == '[' || peek() == '{')
                    throw IoError("unsupported dtype (structured)");
                h.descr = string_literal();
            } else if (key == "fortran_order") {
                once(seen_fortran, key);
                h.fortran = boolean();
            } else if (key == "shape") {
                once(seen_shape, key);
                h.shape = tuple();
            } else {
                fail("unexpected key '" + key + "'");
            }
            skip_ws();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() != '}') fail("expected ',' or '}'");
        }
        ++pos_;  // '}'
        skip_ws();
        if (pos_ != s_.size()) fail("text after '}'");
        if (!seen_descr) fail("no 'descr'");
        if (!seen_fortran) fail("no 'fortran_order'");
        if (!seen_shape) fail("no 'shape'");
        return h;
    }

private:
    [[noreturn]] void fail(const std::string& why) const {
        throw IoError("npy header does not parse: " + why);
    }
    void once(bool& seen, const std::string& key) const {
        if (seen) fail("key '" + key + "' repeated");
        seen = true;
    }
    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
    void skip_ws() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                                    s_[pos_] == '\r'))
            ++pos_;
    }
    void expect(char c) {
        skip_ws();
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++pos_;
    }
    std::string string_literal() {
        skip_ws();
        char quote = peek();
        if (quote != '\'' && quote != '"') fail("expected a quoted string");
        std::size_t end = s_.find(quote, pos_ + 1);
        if (end == std::string_view::npos) fail("unterminated string");
        std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
        pos_ = end + 1;
        return out;
    }
    bool boolean() {
        if (s_.substr(pos_, 4) == "True") {
            pos_ += 4;
            return true;
        }
        if (s_.substr(pos_, 5) == "False") {
            pos_ += 5;
            return false;
        }
        fail("'fortran_order' is not True or False");
    }
    std::uint64_t integer() {
        skip_ws();
        if (peek() == '-') throw IoError("negative dimension in shape");
        if (peek() < '0' || peek() > '9') fail("shape holds a non-integer");
        std::uint64_t v = 0;
        bool too_big = false;
        while (peek() >= '0' && peek() <= '9') {
            auto d = static_cast<std::uint64_t>(peek() - '0');
            if (v > (UINT64_MAX - d) / 10) too_big = true;
            v = v * 10 + d;
            ++pos_;
        }
        if (peek() == 'L' || peek() == 'l') ++pos_;  // Python 2 long suffix
        if (too_big) throw IoError("shape dimension is too large");
        return v;
    }
    std::vector<std::uint64_t> tuple() {
        expect('(');
        std::vector<std::uint64_t> dims;
        skip_ws();
        while (peek() != ')') {
            dims.push_back(integer());
            skip_ws();
            if (peek() == ',') {
                ++pos_;
                skip_ws();
            } else if (peek() != ')') {
                fail("expected ',' or ')' in shape");
            }
        }
        ++pos_;
        return dims;
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

std::uint32_t read_le(const std::vector<unsigned char>& b, std::size_t at, int n) {
    std::uint32_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | b[at + static_cast<std::size_t>(i)];
    return v;
}

RawHeader read_header(const std::vector<unsigned char>& bytes) {
    if (bytes.size() < kMagicLen + 2 || std::memcmp(bytes.data(), kMagic, kMagicLen) != 0)
        throw IoError("not a .npy file (bad magic)");
    int major = bytes[6], minor = bytes[7];
    if (major < 1 || major > 3 || minor != 0)
        throw IoError("unsupported .npy format version " + std::to_string(major) + "." +
                      std::to_string(minor));
    int len_size = major == 1 ? 2 : 4;
    std::size_t start = kMagicLen + 2 + static_cast<std::size_t>(len_size);
    if (bytes.size() < start) throw IoError("truncated header");
    std::size_t len = read_le(bytes, kMagicLen + 2, len_size);
    if (bytes.size() - start < len)
        throw IoError("truncated header (" + std::to_string(len) + " bytes announced, " +
                      std::to_string(bytes.size() - start) + " present)");
    std::string_view text(reinterpret_cast<const char*>(bytes.data() + start), len);
    RawHeader h = DictParser(text).parse();
    h.data_offset = start + len;
    return h;
}

// ---------------------------------------------------------------------------------
// dtype

enum class Kind { Bool, UInt, Int, Float };

struct DType {
    Kind kind = Kind::UInt;
    int size = 1;          // bytes per element
    bool big = false;      // byte order of the file
    int depth = CV_8U;     // cv depth after the mapping
};

[[noreturn]] void unsupported(const std::string& descr, const std::string& why) {
    throw IoError("unsupported dtype '" + descr + "' (" + why + ")");
}

DType parse_dtype(const std::string& descr) {
    std::string_view d = descr;
    DType t;
    t.big = !host_is_little();  // '=' and '|' mean native
    if (!d.empty() && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=')) {
        if (d[0] == '<') t.big = false;
        if (d[0] == '>') t.big = true;
        d.remove_prefix(1);
    }
    if (d.empty()) unsupported(descr, "empty");
    char kind = d[0];
    std::string_view size_text = d.substr(1);
    switch (kind) {
        case 'c': unsupported(descr, "complex");
        case 'O': unsupported(descr, "object");
        case 'U': unsupported(descr, "unicode string");
        case 'S':
        case 'a': unsupported(descr, "byte string");
        case 'V': unsupported(descr, "void");
        case 'M': unsupported(descr, "datetime");
        case 'm': unsupported(descr, "timedelta");
        default: break;
    }
    if (size_text != "1" && size_text != "2" && size_text != "4" && size_text != "8") {
        if (kind == 'f' && (size_text == "12" || size_text == "16"))
            unsupported(descr, "long double");
        unsupported(descr, "unknown");
    }
    t.size = size_text[0] - '0';
    switch (kind) {
        case 'b':
            if (t.size != 1) unsupported(descr, "unknown");
            t.kind = Kind::Bool;
            t.depth = CV_8U;
            break;
        case 'u':
            t.kind = Kind::UInt;
            t.depth = t.size == 1 ? CV_8U : t.size == 2 ? CV_16U : CV_64F;
            break;
        case 'i':
            t.kind = Kind::Int;
            t.depth = t.size == 1 ? CV_8S : t.size == 2 ? CV_16S : t.size == 4 ? CV_32S : CV_64F;
            break;
        case 'f':
            if (t.size == 1) unsupported(descr, "unknown");
            t.kind = Kind::Float;
            t.depth = t.size == 8 ? CV_64F : CV_32F;
            break;
        default: unsupported(descr, "unknown");
    }
    return t;
}

// ---------------------------------------------------------------------------------
// Shape: validated and sized before anything is allocated.

struct Shape {
    int rows = 0, cols = 0, channels = 1;
    std::size_t bytes = 0;  // data size the shape needs
};

Shape check_shape(const std::vector<std::uint64_t>& dims, int item_size) {
    if (dims.size() != 2 && dims.size() != 3)
        throw IoError("expected a 2-D (H, W) or 3-D (H, W, C) array, got " +
                      std::to_string(dims.size()) + "-D shape " + shape_str(dims));
    for (std::uint64_t d : dims)
        if (d == 0) throw IoError("shape " + shape_str(dims) + " has a zero-size dimension");
    if (dims.size() == 3 && dims[2] > CV_CN_MAX)
        throw IoError("shape " + shape_str(dims) + " has " + std::to_string(dims[2]) +
                      " channels, at most " + std::to_string(CV_CN_MAX) + " are supported");
    std::uint64_t total = static_cast<std::uint64_t>(item_size);
    for (std::uint64_t d : dims) {
        if (d > static_cast<std::uint64_t>(INT_MAX) || total > SIZE_MAX / d)
            throw IoError("shape " + shape_str(dims) + " is too large");
        total *= d;
    }
    Shape s;
    s.rows = static_cast<int>(dims[0]);
    s.cols = static_cast<int>(dims[1]);
    s.channels = dims.size() == 3 ? static_cast<int>(dims[2]) : 1;
    s.bytes = static_cast<std::size_t>(total);
    return s;
}

// ---------------------------------------------------------------------------------
// Element conversion

std::uint64_t load_bits(const unsigned char* p, int size, bool big) {
    std::uint64_t v = 0;
    for (int i = 0; i < size; ++i) {
        int at = big ? i : size - 1 - i;
        v = (v << 8) | p[at];
    }
    return v;
}

float half_to_float(std::uint64_t h) {
    int sign = static_cast<int>((h >> 15) & 1);
    int exp = static_cast<int>((h >> 10) & 0x1f);
    int mant = static_cast<int>(h & 0x3ff);
    float v;
    if (exp == 0x1f)
        v = mant ? std::nanf("") : INFINITY;
    else if (exp == 0)
        v = std::ldexp(static_cast<float>(mant), -24);  // subnormal
    else
        v = std::ldexp(static_cast<float>(mant | 0x400), exp - 25);
    return sign ? -v : v;
}

template <typename To, typename From>
To bit_cast(From from) {
    To to;
    std::memcpy(&to, &from, sizeof(To));
    return to;
}

double exact_int64(std::uint64_t bits) {
    auto v = bit_cast<std::int64_t>(bits);
    if (v > static_cast<std::int64_t>(kMaxExactInt) || v < -static_cast<std::int64_t>(kMaxExactInt))
        throw IoError("int64 value " + std::to_string(v) + " is beyond 2^53, not exact in float64");
    return static_cast<double>(v);
}

double exact_uint64(std::uint64_t v) {
    if (v > kMaxExactInt)
        throw IoError("uint64 value " + std::to_string(v) + " is beyond 2^53, not exact in float64");
    return static_cast<double>(v);
}

// Copies every element into `m` (C order, channels last), reading the source in C or
// Fortran order and converting each element with `convert(bits)`.
template <typename Out, typename Convert>
void fill(cv::Mat& m, const unsigned char* src, const DType& t, bool fortran, Convert convert) {
    const std::size_t H = static_cast<std::size_t>(m.rows), W = static_cast<std::size_t>(m.cols),
                      C = static_cast<std::size_t>(m.channels());
    const std::size_t item = static_cast<std::size_t>(t.size);
    for (std::size_t y = 0; y < H; ++y) {
        Out* row = m.ptr<Out>(static_cast<int>(y));
        for (std::size_t x = 0; x < W; ++x)
            for (std::size_t c = 0; c < C; ++c) {
                std::size_t k = fortran ? y + H * (x + W * c) : (y * W + x) * C + c;
                row[x * C + c] = convert(load_bits(src + k * item, t.size, t.big));
            }
    }
}

void convert_all(cv::Mat& m, const unsigned char* src, const DType& t, bool fortran) {
    switch (t.kind) {
        case Kind::Bool:
            return fill<std::uint8_t>(m, src, t, fortran,
                                      [](std::uint64_t b) { return std::uint8_t(b != 0); });
        case Kind::UInt:
            if (t.size == 1)
                return fill<std::uint8_t>(m, src, t, fortran,
                                          [](std::uint64_t b) { return std::uint8_t(b); });
            if (t.size == 2)
                return fill<std::uint16_t>(m, src, t, fortran,
                                           [](std::uint64_t b) { return std::uint16_t(b); });
            if (t.size == 4)
                return fill<double>(m, src, t, fortran,
                                    [](std::uint64_t b) { return static_cast<double>(b); });
            return fill<double>(m, src, t, fortran, exact_uint64);
        case Kind::Int:
            if (t.size == 1)
                return fill<std::int8_t>(m, src, t, fortran, [](std::uint64_t b) {
                    return bit_cast<std::int8_t>(std::uint8_t(b));
                });
            if (t.size == 2)
                return fill<std::int16_t>(m, src, t, fortran, [](std::uint64_t b) {
                    return bit_cast<std::int16_t>(std::uint16_t(b));
                });
            if (t.size == 4)
                return fill<std::int32_t>(m, src, t, fortran, [](std::uint64_t b) {
                    return bit_cast<std::int32_t>(std::uint32_t(b));
                });
            return fill<double>(m, src, t, fortran, exact_int64);
        case Kind::Float:
            if (t.size == 2) return fill<float>(m, src, t, fortran, half_to_float);
            if (t.size == 4)
                return fill<float>(m, src, t, fortran, [](std::uint64_t b) {
                    return bit_cast<float>(std::uint32_t(b));
                });
            return fill<double>(m, src, t, fortran,
                                [](std::uint64_t b) { return bit_cast<double>(b); });
    }
}

// ---------------------------------------------------------------------------------
// Encoding

const char* descr_of(int depth) {
    switch (depth) {
        case CV_8U: return "|u1";
        case CV_8S: return "|i1";
        case CV_16U: return "<u2";
        case CV_16S: return "<i2";
        case CV_32S: return "<i4";
        case CV_32F: return "<f4";
        case CV_64F: return "<f8";
        default: throw IoError("cannot write OpenCV depth " + std::to_string(depth) + " to .npy");
    }
}

// Magic, version, length and the dict padded exactly as np.save pads it.
std::vector<unsigned char> header_bytes(const std::string& dict) {
    std::size_t hlen = dict.size() + 1;  // + '\n'
    int major = 1;
    std::size_t len_size = 2;
    std::size_t pad = kAlign - (kMagicLen + 2 + len_size + hlen) % kAlign;
    if (hlen + pad > 0xffff) {
        major = 2;
        len_size = 4;
        pad = kAlign - (kMagicLen + 2 + len_size + hlen) % kAlign;
    }
    std::vector<unsigned char> out(kMagic, kMagic + kMagicLen);
    out.push_back(static_cast<unsigned char>(major));
    out.push_back(0);
    std::size_t total = hlen + pad;
    for (std::size_t i = 0; i < len_size; ++i)
        out.push_back(static_cast<unsigned char>((total >> (8 * i)) & 0xff));
    out.insert(out.end(), dict.begin(), dict.end());
    out.insert(out.end(), pad, ' ');
    out.push_back('\n');
    return out;
}

}  // namespace

Header probe(const std::vector<unsigned char>& bytes) {
    RawHeader raw = read_header(bytes);
    DType t = parse_dtype(raw.descr);
    Shape s = check_shape(raw.shape, t.size);
    Header h;
    h.rows = s.rows;
    h.cols = s.cols;
    h.channels = s.channels;
    h.depth = t.depth;
    return h;
}

cv::Mat decode(const std::vector<unsigned char>& bytes) {
    RawHeader raw = read_header(bytes);
    DType t = parse_dtype(raw.descr);
    Shape s = check_shape(raw.shape, t.size);
    std::size_t have = bytes.size() - raw.data_offset;
    if (have != s.bytes)
        throw IoError("shape " + shape_str(raw.shape) + " does not match " + std::to_string(have) +
                      " bytes of data (expected " + std::to_string(s.bytes) + " for '" +
                      raw.descr + "')");
    cv::Mat m(s.rows, s.cols, CV_MAKETYPE(t.depth, s.channels));
    convert_all(m, bytes.data() + raw.data_offset, t, raw.fortran);
    return m;
}

std::vector<unsigned char> encode(const cv::Mat& m) {
    if (m.empty()) throw IoError("cannot write an empty matrix");
    if (m.dims != 2) throw IoError("cannot write a " + std::to_string(m.dims) + "-D cv::Mat");
    std::string descr = descr_of(m.depth());
    std::string shape = "(" + std::to_string(m.rows) + ", " + std::to_string(m.cols);
    if (m.channels() > 1) shape += ", " + std::to_string(m.channels());
    shape += ")";
    std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    dict.append(kGrowthDigits - std::to_string(m.rows).size(), ' ');

    std::vector<unsigned char> out = header_bytes(dict);
    const std::size_t row_bytes = static_cast<std::size_t>(m.cols) * m.elemSize();
    const std::size_t item = m.elemSize1();
    const bool swap = item > 1 && !host_is_little();
    std::size_t at = out.size();
    out.resize(at + row_bytes * static_cast<std::size_t>(m.rows));
    for (int y = 0; y < m.rows; ++y, at += row_bytes) {
        const unsigned char* row = m.ptr<unsigned char>(y);
        std::memcpy(out.data() + at, row, row_bytes);
        if (swap)  // the file is little-endian
            for (std::size_t k = 0; k < row_bytes; k += item)
                std::reverse(out.begin() + static_cast<std::ptrdiff_t>(at + k),
                             out.begin() + static_cast<std::ptrdiff_t>(at + k + item));
    }
    return out;
}

}  // namespace imgpool::npy
