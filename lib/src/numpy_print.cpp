// NumPy 1.24's print() of an array, reproduced rule for rule.
//
// Float digits come from a port of NumPy's Dragon4 (numpy/core/src/multiarray/dragon4.c):
// its "unique" mode with a cutoff (at most 8 fractional digits) and a minimum digit count
// (scientific columns padded with the value's true further digits) is not what a plain
// shortest round-trip printer gives, so we run the same big-integer digit loop NumPy runs.
// The layout rules follow numpy/core/arrayprint.py (FloatingFormat, IntegerFormat,
// _formatArray) with threshold and linewidth at sys.maxsize, so nothing is summarised or
// wrapped.
#include "imgpool/numpy_print.hpp"

#include "imgpool/error.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace imgpool {
namespace {

// ---------------------------------------------------------------------------------
// An unsigned big integer just large enough for Dragon4 on float64 (about 1100 bits).

class BigInt {
public:
    explicit BigInt(std::uint64_t v = 0) {
        while (v) {
            block_[size_++] = static_cast<std::uint32_t>(v);
            v >>= 32;
        }
    }
    static BigInt pow2(int e) {
        BigInt r(1);
        r.shift_left(e);
        return r;
    }
    void shift_left(int bits) {
        if (size_ == 0 || bits == 0) return;
        const int blocks = bits / 32, rest = bits % 32;
        grow_to(size_ + blocks + 1);
        for (int i = size_ + blocks; i >= 0; --i) {  // high to low, so in place is safe
            const int src = i - blocks;
            std::uint64_t hi = src >= 0 && src < size_ ? block_[src] : 0;
            std::uint64_t lo = rest && src >= 1 && src - 1 < size_ ? block_[src - 1] : 0;
            block_[i] = static_cast<std::uint32_t>((hi << rest) | (lo >> (32 - rest)));
        }
        size_ += blocks + 1;
        trim();
    }
    void mul(std::uint32_t k) {
        std::uint64_t carry = 0;
        for (int i = 0; i < size_; ++i) {
            std::uint64_t p = std::uint64_t(block_[i]) * k + carry;
            block_[i] = static_cast<std::uint32_t>(p);
            carry = p >> 32;
        }
        if (carry) {
            grow_to(size_ + 1);
            block_[size_++] = static_cast<std::uint32_t>(carry);
        }
    }
    void mul_pow10(int n) {
        static const std::uint32_t pow10[] = {1,      10,      100,      1000,      10000,
                                              100000, 1000000, 10000000, 100000000, 1000000000};
        for (; n >= 9; n -= 9) mul(pow10[9]);
        mul(pow10[n]);
    }
    BigInt operator+(const BigInt& o) const {
        BigInt r;
        r.grow_to(std::max(size_, o.size_) + 1);
        std::uint64_t carry = 0;
        for (int i = 0; i < std::max(size_, o.size_); ++i) {
            std::uint64_t s = carry + (i < size_ ? block_[i] : 0) + (i < o.size_ ? o.block_[i] : 0);
            r.block_[i] = static_cast<std::uint32_t>(s);
            carry = s >> 32;
        }
        r.size_ = std::max(size_, o.size_);
        if (carry) r.block_[r.size_++] = 1;
        return r;
    }
    // *this -= o; requires *this >= o.
    void subtract(const BigInt& o) {
        std::int64_t borrow = 0;
        for (int i = 0; i < size_; ++i) {
            std::int64_t d = std::int64_t(block_[i]) - (i < o.size_ ? o.block_[i] : 0) - borrow;
            borrow = d < 0;
            block_[i] = static_cast<std::uint32_t>(d + (borrow << 32));
        }
        trim();
    }
    // Replaces *this by *this mod d and returns the quotient, known to be below 10.
    int divide_small(const BigInt& d) {
        int q = 0;
        while (compare(*this, d) >= 0) {
            subtract(d);
            ++q;
        }
        return q;
    }
    friend int compare(const BigInt& a, const BigInt& b) {
        if (a.size_ != b.size_) return a.size_ < b.size_ ? -1 : 1;
        for (int i = a.size_ - 1; i >= 0; --i)
            if (a.block_[i] != b.block_[i]) return a.block_[i] < b.block_[i] ? -1 : 1;
        return 0;
    }

private:
    static constexpr int kBlocks = 40;
    void grow_to(int n) {
        if (n > kBlocks) throw std::logic_error("numpy_print: BigInt overflow");
        std::fill(block_.begin() + size_, block_.begin() + n, 0u);
    }
    void trim() {
        while (size_ > 0 && block_[size_ - 1] == 0) --size_;
    }
    std::array<std::uint32_t, kBlocks> block_{};
    int size_ = 0;
};

// ---------------------------------------------------------------------------------
// Dragon4 in "unique" digit mode, as NumPy runs it.

// A finite float as mantissa * 2^exponent, with what Dragon4 needs to know about it.
struct Parts {
    std::uint64_t mantissa = 0;
    int exponent = 0;
    int mantissa_bit = 0;          // index of the highest set bit of mantissa
    bool unequal_margins = false;  // next float below is twice as close as the one above
    bool negative = false;
};

template <typename T>
Parts parts_of(T x) {
    using Bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
    constexpr int kFrac = std::numeric_limits<T>::digits - 1;  // 52 or 23
    constexpr int kBias = std::numeric_limits<T>::max_exponent - 1;
    Bits bits;
    std::memcpy(&bits, &x, sizeof bits);
    const std::uint64_t frac = bits & ((Bits(1) << kFrac) - 1);
    const int exp = static_cast<int>((bits >> kFrac) & ((Bits(1) << (sizeof(T) * 8 - 1 - kFrac)) - 1));
    Parts p;
    p.negative = (bits >> (sizeof(T) * 8 - 1)) != 0;
    if (exp != 0) {
        p.mantissa = frac | (std::uint64_t(1) << kFrac);
        p.exponent = exp - kBias - kFrac;
        p.mantissa_bit = kFrac;
        p.unequal_margins = exp != 1 && frac == 0;
    } else {  // subnormal
        p.mantissa = frac;
        p.exponent = 1 - kBias - kFrac;
        while (p.mantissa_bit < 63 && (frac >> (p.mantissa_bit + 1)) != 0) ++p.mantissa_bit;
    }
    return p;
}

enum class Cutoff { TotalLength, FractionLength };

struct Digits {
    std::string digits;
    int exponent = 0;  // power of ten of the first digit
};

// Shortest digits that identify the value among its neighbours, but no digit past
// `cutoff_max` (then rounded half-even on the exact value) and none short of `cutoff_min`
// (counted as total digits or fractional digits per `mode`; -1 means no limit).
Digits dragon4(const Parts& f, Cutoff mode, int cutoff_max, int cutoff_min) {
    if (f.mantissa == 0) return {"0", 0};
    const bool is_even = f.mantissa % 2 == 0;
    // value = scaled_value / scale; the margins are half the gaps to the neighbours.
    BigInt scaled_value(f.mantissa), scale, margin_low, margin_high;
    const int extra = f.unequal_margins ? 2 : 1;
    if (f.exponent > 0) {
        scaled_value.shift_left(f.exponent + extra);
        scale = BigInt(std::uint64_t(1) << extra);
        margin_low = BigInt::pow2(f.exponent);
    } else {
        scaled_value.shift_left(extra);
        scale = BigInt::pow2(-f.exponent + extra);
        margin_low = BigInt(1);
    }
    auto update_high = [&] {
        margin_high = margin_low;
        if (f.unequal_margins) margin_high.mul(2);
    };
    update_high();

    // Estimate of floor(log10(value)) + 1, correct or one too low.
    const double log10_2 = 0.30102999566398119521373889472449;
    int digit_exp = static_cast<int>(std::ceil(double(f.mantissa_bit + f.exponent) * log10_2 - 0.69));
    if (cutoff_max >= 0 && mode == Cutoff::FractionLength && digit_exp <= -cutoff_max)
        digit_exp = -cutoff_max + 1;
    if (digit_exp > 0) {
        scale.mul_pow10(digit_exp);
    } else if (digit_exp < 0) {
        scaled_value.mul_pow10(-digit_exp);
        margin_low.mul_pow10(-digit_exp);
        update_high();
    }
    if (compare(scaled_value, scale) >= 0) {
        ++digit_exp;
    } else {
        scaled_value.mul(10);
        margin_low.mul(10);
        update_high();
    }

    const int kBufferSize = 16384;  // NumPy's output buffer, the default cutoff
    int cutoff_max_exp = digit_exp - kBufferSize;
    if (cutoff_max >= 0)
        cutoff_max_exp = std::max(cutoff_max_exp, mode == Cutoff::TotalLength ? digit_exp - cutoff_max
                                                                             : -cutoff_max);
    int cutoff_min_exp = digit_exp;
    if (cutoff_min >= 0)
        cutoff_min_exp = std::min(cutoff_min_exp, mode == Cutoff::TotalLength ? digit_exp - cutoff_min
                                                                             : -cutoff_min);
    Digits out;
    out.exponent = digit_exp - 1;

    bool low = false, high = false;
    int digit = 0;
    while (true) {
        --digit_exp;
        digit = scaled_value.divide_small(scale);
        int c = compare(scaled_value, margin_low);
        low = is_even ? c <= 0 : c < 0;
        c = compare(scaled_value + margin_high, scale);
        high = is_even ? c >= 0 : c > 0;
        if (((low || high) && digit_exp <= cutoff_min_exp) || digit_exp == cutoff_max_exp) break;
        out.digits += static_cast<char>('0' + digit);
        scaled_value.mul(10);
        margin_low.mul(10);
        update_high();
    }

    // Round the last digit: towards the nearer neighbour that is allowed, else half-even.
    bool round_down = low;
    if (low == high) {
        scaled_value.mul(2);
        int c = compare(scaled_value, scale);
        round_down = c < 0 || (c == 0 && digit % 2 == 0);
    }
    if (round_down || digit < 9) {
        out.digits += static_cast<char>('0' + digit + (round_down ? 0 : 1));
        return out;
    }
    while (!out.digits.empty() && out.digits.back() == '9') out.digits.pop_back();  // carry
    if (out.digits.empty()) {
        out.digits = "1";
        ++out.exponent;
    } else {
        ++out.digits.back();
    }
    return out;
}

// ---------------------------------------------------------------------------------
// FormatPositional / FormatScientific of dragon4.c.

enum class Trim {
    None,          // 'k': keep trailing zeros
    Zeros,         // '.': drop trailing zeros, keep the point
    LeaveOneZero,  // '0': drop trailing zeros but one
    DptZeros,      // '-': drop trailing zeros and the point
};

// Pads on the left until `width` characters precede the point (no padding if -1).
std::string pad_left(std::string s, int width, int have) {
    return width > have ? std::string(static_cast<std::size_t>(width - have), ' ') + s : s;
}

void trim_zeros(std::string& s, int& frac, Trim trim) {
    if (trim == Trim::None || frac == 0) return;
    while (s.back() == '0') {
        s.pop_back();
        --frac;
    }
    if (s.back() != '.') return;
    if (trim == Trim::LeaveOneZero) {
        s += '0';
        ++frac;
    } else if (trim == Trim::DptZeros) {
        s.pop_back();
    }
}

std::string positional(const Parts& p, Cutoff mode, int precision, int min_digits, Trim trim,
                       int digits_left = -1, int digits_right = -1) {
    const Digits d = dragon4(p, mode, precision, min_digits);
    const int n = static_cast<int>(d.digits.size());
    std::string s = p.negative ? "-" : "";
    int whole = 1, frac = 0;
    if (d.exponent >= 0) {
        whole = d.exponent + 1;
        if (n <= whole) {
            s += d.digits + std::string(static_cast<std::size_t>(whole - n), '0');
        } else {
            frac = n - whole;
            s += d.digits.substr(0, static_cast<std::size_t>(whole)) + '.' +
                 d.digits.substr(static_cast<std::size_t>(whole));
        }
    } else {
        const int zeros = -(d.exponent + 1);
        s += "0." + std::string(static_cast<std::size_t>(zeros), '0') + d.digits;
        frac = zeros + n;
    }
    if (trim != Trim::DptZeros && frac == 0) s += '.';

    int wanted = std::max(min_digits, 0);
    if (mode == Cutoff::TotalLength) wanted = min_digits - whole;
    if (trim == Trim::LeaveOneZero && frac == 0) {
        s += '0';
        ++frac;
    } else if (trim == Trim::None && wanted > frac) {
        s.append(static_cast<std::size_t>(wanted - frac), '0');
        frac = wanted;
    }
    trim_zeros(s, frac, trim);

    if (digits_right >= frac) {
        if (trim == Trim::DptZeros && frac == 0) s += ' ';  // in place of the point
        s.append(static_cast<std::size_t>(digits_right - frac), ' ');
    }
    return pad_left(s, digits_left, whole + (p.negative ? 1 : 0));
}

std::string scientific(const Parts& p, int precision, int min_digits, Trim trim,
                       int digits_left = -1, int exp_digits = -1) {
    const Digits d = dragon4(p, Cutoff::TotalLength, precision < 0 ? -1 : precision + 1,
                             min_digits < 0 ? -1 : min_digits + 1);
    std::string s = p.negative ? "-" : "";
    s += d.digits[0];
    int frac = static_cast<int>(d.digits.size()) - 1;
    if (frac > 0) s += '.' + d.digits.substr(1);
    if (trim != Trim::DptZeros && frac == 0) s += '.';
    if (trim == Trim::LeaveOneZero && frac == 0) {
        s += '0';
        ++frac;
    } else if (trim == Trim::None && std::max(min_digits, 0) > frac) {
        s.append(static_cast<std::size_t>(min_digits - frac), '0');
        frac = min_digits;
    }
    if (trim != Trim::None && frac > 0) {  // unlike positional, '-' keeps a bare point here
        while (s.back() == '0') s.pop_back();
        if (trim == Trim::LeaveOneZero && s.back() == '.') s += '0';
    }

    exp_digits = exp_digits < 0 ? 2 : std::min(exp_digits, 5);
    std::string e = std::to_string(std::abs(d.exponent));
    if (static_cast<int>(e.size()) < exp_digits) e.insert(0, static_cast<std::size_t>(exp_digits) - e.size(), '0');
    s += (d.exponent < 0 ? "e-" : "e+") + e;
    return pad_left(s, digits_left, 1 + (p.negative ? 1 : 0));
}

// ---------------------------------------------------------------------------------
// Element formatters of arrayprint.py, built from all the values of the array.

// FloatingFormat with floatmode 'maxprec', precision 8, sign '-', suppress_small off.
template <typename T>
class FloatFormat {
public:
    explicit FloatFormat(const std::vector<T>& data) {
        std::vector<T> finite;
        for (T x : data)
            if (std::isfinite(x)) finite.push_back(x);
        choose_notation(finite);
        if (finite.empty()) {
            min_digits_ = -1;
        } else if (exp_format_) {
            size_scientific(finite);
        } else {
            size_positional(finite);
        }
        if (finite.size() != data.size()) {  // room for nan / inf / -inf
            bool neg_inf = std::any_of(data.begin(), data.end(), [](T x) { return std::isinf(x) && x < 0; });
            int offset = pad_right_ + 1;
            pad_left_ = std::max({pad_left_, 3 - offset, 3 + int(neg_inf) - offset});
        }
    }

    std::string operator()(T x) const {
        if (!std::isfinite(x)) {
            std::string r = std::isnan(x) ? "nan" : x < 0 ? "-inf" : "inf";
            int pad = pad_left_ + pad_right_ + 1 - static_cast<int>(r.size());
            return std::string(static_cast<std::size_t>(std::max(pad, 0)), ' ') + r;
        }
        if (exp_format_) return scientific(parts_of(x), precision_, min_digits_, trim_, pad_left_, exp_size_);
        return positional(parts_of(x), Cutoff::FractionLength, precision_, min_digits_, trim_, pad_left_,
                          pad_right_);
    }

private:
    // Scientific when the nonzero magnitudes are huge, tiny, or far apart. The ratio is
    // computed in T, as NumPy divides two T scalars.
    void choose_notation(const std::vector<T>& finite) {
        bool any = false;
        T max_val = 0, min_val = 0;
        for (T x : finite) {
            if (x == 0) continue;
            T a = std::abs(x);
            max_val = any ? std::max(max_val, a) : a;
            min_val = any ? std::min(min_val, a) : a;
            any = true;
        }
        if (!any) return;
        const T ratio = max_val / min_val;
        exp_format_ = double(max_val) >= 1e8 || double(min_val) < 1e-4 || double(ratio) > 1000.;
    }

    // Column widths from a first pass: unique digits, at most 8 after the point.
    void size_scientific(const std::vector<T>& finite) {
        int exp_len = 0, frac_len = 0;
        for (T x : finite) {
            std::string s = scientific(parts_of(x), precision_, -1, Trim::Zeros);  // "-1.25e+08"
            std::size_t e = s.find('e'), dot = s.find('.');
            pad_left_ = std::max(pad_left_, static_cast<int>(dot));
            frac_len = std::max(frac_len, static_cast<int>(e - dot - 1));
            exp_len = std::max(exp_len, static_cast<int>(s.size() - e - 1));
        }
        exp_size_ = exp_len - 1;  // digits after the exponent's sign
        precision_ = min_digits_ = frac_len;
        trim_ = Trim::None;
        pad_right_ = exp_size_ + 2 + precision_;
    }

    void size_positional(const std::vector<T>& finite) {
        for (T x : finite) {
            std::string s = positional(parts_of(x), Cutoff::FractionLength, precision_, -1, Trim::Zeros);
            std::size_t dot = s.find('.');
            pad_left_ = std::max(pad_left_, static_cast<int>(dot));
            pad_right_ = std::max(pad_right_, static_cast<int>(s.size() - dot - 1));
        }
        min_digits_ = 0;
    }

    bool exp_format_ = false;
    int precision_ = 8;
    int min_digits_ = -1;
    Trim trim_ = Trim::Zeros;
    int pad_left_ = 0, pad_right_ = 0, exp_size_ = -1;
};

// IntegerFormat: right-aligned to the wider of str(max) and str(min).
template <typename T>
class IntFormat {
public:
    explicit IntFormat(const std::vector<T>& data) {
        if (data.empty()) return;
        auto [lo, hi] = std::minmax_element(data.begin(), data.end());
        width_ = std::max(std::to_string(*lo).size(), std::to_string(*hi).size());
    }
    std::string operator()(T x) const {
        std::string s = std::to_string(x);
        return std::string(width_ > s.size() ? width_ - s.size() : 0, ' ') + s;
    }

private:
    std::size_t width_ = 0;
};

// str() of a NumPy float scalar: positional unless tiny or >= 1e16, shortest digits.
template <typename T>
std::string float_scalar_str(T x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x < 0 ? "-inf" : "inf";
    const double a = std::abs(double(x));
    if (a == 0 || (1e-4 <= a && a < 1e16))
        return positional(parts_of(x), Cutoff::TotalLength, -1, -1, Trim::LeaveOneZero);
    return scientific(parts_of(x), -1, -1, Trim::DptZeros);
}

// ---------------------------------------------------------------------------------
// Whole arrays

// All elements in C order (row, column, channel), whatever the Mat's step.
template <typename T>
std::vector<T> elements(const cv::Mat& m) {
    std::vector<T> v;
    v.reserve(m.total() * static_cast<std::size_t>(m.channels()));
    const int n = m.cols * m.channels();
    for (int y = 0; y < m.rows; ++y) {
        const T* row = m.ptr<T>(y);
        v.insert(v.end(), row, row + n);
    }
    return v;
}

template <typename T, typename Format>
std::vector<std::string> format_with(const cv::Mat& m) {
    std::vector<T> v = elements<T>(m);
    Format format(v);
    std::vector<std::string> words;
    words.reserve(v.size());
    for (T x : v) words.push_back(format(x));
    return words;
}

std::vector<std::string> format_elements(const cv::Mat& m) {
    switch (m.depth()) {
        case CV_8U: return format_with<std::uint8_t, IntFormat<std::uint8_t>>(m);
        case CV_8S: return format_with<std::int8_t, IntFormat<std::int8_t>>(m);
        case CV_16U: return format_with<std::uint16_t, IntFormat<std::uint16_t>>(m);
        case CV_16S: return format_with<std::int16_t, IntFormat<std::int16_t>>(m);
        case CV_32S: return format_with<std::int32_t, IntFormat<std::int32_t>>(m);
        case CV_32F: return format_with<float, FloatFormat<float>>(m);
        case CV_64F: return format_with<double, FloatFormat<double>>(m);
        default: throw IoError("cannot print OpenCV depth " + std::to_string(m.depth()) + " as a NumPy array");
    }
}

// _formatArray: '[' + children + ']', children of the last axis separated by a space,
// others by one newline per remaining axis plus the indent of this level.
std::string nest(const std::vector<std::string>& words, const std::vector<int>& shape, std::size_t axis,
                 std::size_t& next, const std::string& indent) {
    std::string s = "[";
    const bool last = axis + 1 == shape.size();
    const std::string sep = last ? " " : std::string(shape.size() - axis - 1, '\n') + indent;
    for (int i = 0; i < shape[axis]; ++i) {
        if (i) s += sep;
        s += last ? words[next++] : nest(words, shape, axis + 1, next, indent + ' ');
    }
    return s + ']';
}

std::string array_str(const std::vector<std::string>& words, const std::vector<int>& shape) {
    std::size_t next = 0;
    return nest(words, shape, 0, next, " ");
}

}  // namespace

std::string numpy_str(const cv::Mat& m) {
    if (m.empty()) return "[]";
    if (m.dims != 2) throw IoError("cannot print a " + std::to_string(m.dims) + "-D cv::Mat");
    std::vector<int> shape = {m.rows, m.cols};
    if (m.channels() > 1) shape.push_back(m.channels());
    return array_str(format_elements(m), shape);
}

std::string numpy_str_global(const cv::Mat& m) {
    if (m.rows != 1 || m.cols != 1 || m.dims != 2)
        throw std::invalid_argument("numpy_str_global needs a 1x1 matrix");
    if (m.channels() > 1) return array_str(format_elements(m), {m.channels()});
    switch (m.depth()) {
        case CV_8U: return std::to_string(m.at<std::uint8_t>(0, 0));
        case CV_8S: return std::to_string(m.at<std::int8_t>(0, 0));
        case CV_16U: return std::to_string(m.at<std::uint16_t>(0, 0));
        case CV_16S: return std::to_string(m.at<std::int16_t>(0, 0));
        case CV_32S: return std::to_string(m.at<std::int32_t>(0, 0));
        case CV_32F: return float_scalar_str(m.at<float>(0, 0));
        case CV_64F: return float_scalar_str(m.at<double>(0, 0));
        default: throw IoError("cannot print OpenCV depth " + std::to_string(m.depth()) + " as a NumPy scalar");
    }
}

}  // namespace imgpool
