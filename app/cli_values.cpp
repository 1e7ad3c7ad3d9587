#include "cli_values.hpp"

#include <cctype>
#include <charconv>
#include <vector>

namespace imgpool::cli {
namespace {

// A whole non-negative decimal integer that fits in int, nothing else.
std::optional<int> parse_count(const std::string& s) {
    int v = 0;
    if (s.empty() || s[0] == '+' || s[0] == '-') return std::nullopt;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts(1);
    for (char c : s) {
        if (c == sep) parts.emplace_back();
        else parts.back().push_back(c);
    }
    return parts;
}

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

std::optional<Extent> parse_extent(const std::string& any_case) {
    const std::string text = lower(any_case);
    const auto parts = split(text, 'x');
    if (parts.size() > 2) return std::nullopt;
    const auto w = parse_count(parts[0]);
    const auto h = parse_count(parts.back());
    if (!w || !h) return std::nullopt;
    return Extent{*w, *h};
}

std::optional<Padding> parse_padding(const std::string& any_case) {
    const std::string text = lower(any_case);
    if (text == "valid") return Padding::valid();
    if (text == "same") return Padding::tf_same();
    const auto parts = split(text, ',');
    if (parts.size() == 4) {
        int v[4];
        for (int i = 0; i < 4; ++i) {
            const auto n = parse_count(parts[size_t(i)]);
            if (!n) return std::nullopt;
            v[i] = *n;
        }
        return Padding::explicit_(v[0], v[1], v[2], v[3]);
    }
    if (parts.size() != 1) return std::nullopt;
    const auto e = parse_extent(text);
    if (!e) return std::nullopt;
    return Padding::per_axis(e->w, e->h);
}

std::optional<long long> parse_pixel_count(const std::string& any_case) {
    std::string text = lower(any_case);
    long long unit = 1;
    if (!text.empty() && (text.back() == 'm' || text.back() == 'g')) {
        unit = text.back() == 'm' ? 1'000'000 : 1'000'000'000;
        text.pop_back();
    }
    long long v = 0;
    if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v > (1LL << 62) / unit) return std::nullopt;
    return v * unit;
}

std::string to_text(Extent e) { return std::to_string(e.w) + "x" + std::to_string(e.h); }

std::string to_text(const Padding& p) {
    if (p.same) return "same";
    if (p.left == 0 && p.top == 0 && p.right == 0 && p.bottom == 0) return "valid";
    return std::to_string(p.left) + "," + std::to_string(p.top) + "," + std::to_string(p.right) + "," +
           std::to_string(p.bottom);
}

}  // namespace imgpool::cli
