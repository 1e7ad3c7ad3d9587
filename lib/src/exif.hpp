#pragma once
// Private helpers shared by probe() and decode(): bounds-checked reads, walking the
// chunks of PNG, WebP and JPEG files, the first IFD of a TIFF structure, and EXIF
// orientation (finding it in a file and applying it to pixels). Implemented in
// exif.cpp, except format_name (image_io.cpp).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "imgpool/image_io.hpp"

namespace imgpool::io::detail {

// The format's name in messages: "PNG", "JPEG", "WebP", ...
std::string format_name(Format f);

// Thrown when a read runs past the end of the data (Truncated) or a structure makes no
// sense (Corrupt). Never escape the library: probe() turns them into "truncated ...
// header" / "corrupt ... header", the EXIF lookup into "no orientation".
struct Truncated {};
struct Corrupt {};

// A read-only window on bytes. Every read is bounds-checked and throws Truncated.
class ByteView {
public:
    ByteView() = default;
    ByteView(const unsigned char* data, std::size_t size) : data_(data), size_(size) {}
    explicit ByteView(const Bytes& b) : data_(b.data()), size_(b.size()) {}

    std::size_t size() const { return size_; }
    bool has(std::size_t at, std::size_t n) const { return at <= size_ && n <= size_ - at; }
    // The n bytes at `at` (throws Truncated if they are not all there).
    ByteView sub(std::size_t at, std::size_t n) const;
    // Up to n bytes at `at`: as many as there are (throws Truncated if `at` is past the end).
    ByteView clip(std::size_t at, std::size_t n) const;
    ByteView from(std::size_t at) const { return clip(at, size_); }
    // Whether the bytes at `at` are `text` (false when out of range).
    bool matches(std::size_t at, std::string_view text) const;

    std::uint32_t u8(std::size_t at) const;
    std::uint32_t be16(std::size_t at) const;
    std::uint32_t be32(std::size_t at) const;
    std::uint32_t le16(std::size_t at) const;
    std::uint32_t le32(std::size_t at) const;

private:
    const unsigned char* data_ = nullptr;
    std::size_t size_ = 0;
};

// Four type characters as one number, first character in the high byte ("IHDR").
constexpr std::uint32_t fourcc(const char (&s)[5]) {
    return std::uint32_t(std::uint8_t(s[0])) << 24 | std::uint32_t(std::uint8_t(s[1])) << 16 |
           std::uint32_t(std::uint8_t(s[2])) << 8 | std::uint32_t(std::uint8_t(s[3]));
}

// One chunk of a PNG or WebP file (type = fourcc) or one marker segment of a JPEG
// (type = the marker byte, 0xC0 for SOF0). `body` is the part of the payload that is
// present, so reading a short header of a chunk cut later still works.
struct Chunk {
    std::uint32_t type = 0;
    ByteView body;
};
using ChunkVisitor = std::function<bool(const Chunk&)>;  // false stops the walk

// Visit the chunks in file order until the visitor returns false or the file ends
// (PNG: at IEND; JPEG: at the first scan, where the headers end). Walking past a chunk
// cut short throws Truncated; bad structure throws Corrupt. The signature must
// already be checked.
void png_chunks(ByteView file, const ChunkVisitor& visit);
void webp_chunks(ByteView file, const ChunkVisitor& visit);
void jpeg_segments(ByteView file, const ChunkVisitor& visit);

// The first IFD (image file directory) of a TIFF structure: a TIFF file, or the body
// of an EXIF block. Only the offset to IFD0 is followed, so hostile offsets cannot
// make it loop; entries and values are bounds-checked (Truncated).
class Ifd0 {
public:
    explicit Ifd0(ByteView tiff);  // throws Corrupt/Truncated unless a classic TIFF header and IFD0
    // The first value of an unsigned BYTE, SHORT or LONG tag; nullopt if absent or another type.
    std::optional<std::uint32_t> value(std::uint16_t tag) const;

private:
    std::uint32_t u16(std::size_t at) const;
    std::uint32_t u32(std::size_t at) const;
    ByteView tiff_;
    bool little_ = true;
    std::size_t entries_ = 0, count_ = 0;
};

// EXIF orientation (1..8) of an image file: JPEG APP1 "Exif", PNG eXIf, WebP EXIF,
// TIFF tag 274. 1 when there is none or it cannot be read.
int file_orientation(Format f, ByteView file);

// Turns stored pixels into display pixels for an EXIF orientation (1..8; others: unchanged).
cv::Mat apply_orientation(const cv::Mat& m, int orientation);

// Orientations 5..8 swap width and height.
inline bool swaps_axes(int orientation) {
    return orientation >= 5 && orientation <= 8;
}

}  // namespace imgpool::io::detail
