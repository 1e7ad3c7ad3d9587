#pragma once
// Parsers for the text of flag values: "N|WxH" sizes and padding specs.
#include <optional>
#include <string>

#include "imgpool/params.hpp"

namespace imgpool::cli {

// "3" -> 3x3, "3x2" -> 3 wide, 2 tall. Non-negative integers; nullopt if malformed.
std::optional<Extent> parse_extent(const std::string& text);
// "valid", "same", "N", "WxH" (left/right W, top/bottom H) or "L,T,R,B".
std::optional<Padding> parse_padding(const std::string& text);

// "4000000", "128M" (millions), "2G" (billions); nullopt if malformed or beyond 2^62.
std::optional<long long> parse_pixel_count(const std::string& text);

std::string to_text(Extent e);   // "3x2"
std::string to_text(const Padding& p);  // "valid", "same", "1,1,2,2"

}  // namespace imgpool::cli
