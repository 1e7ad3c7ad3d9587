// Bounds-checked container walking and the one EXIF parser of imgpool, shared by
// probe() and decode(). Input is untrusted: every read goes through ByteView.
#include "exif.hpp"

#include <cstring>
#include <opencv2/core.hpp>

namespace imgpool::io::detail {

using namespace std::literals;

// ---- ByteView ----

ByteView ByteView::sub(std::size_t at, std::size_t n) const {
    if (!has(at, n)) throw Truncated{};
    return {data_ + at, n};
}

ByteView ByteView::clip(std::size_t at, std::size_t n) const {
    if (at > size_) throw Truncated{};
    return {data_ + at, std::min(n, size_ - at)};
}

bool ByteView::matches(std::size_t at, std::string_view text) const {
    return has(at, text.size()) && std::memcmp(data_ + at, text.data(), text.size()) == 0;
}

std::uint32_t ByteView::u8(std::size_t at) const {
    if (!has(at, 1)) throw Truncated{};
    return data_[at];
}

std::uint32_t ByteView::be16(std::size_t at) const {
    return u8(at) << 8 | u8(at + 1);
}
std::uint32_t ByteView::le16(std::size_t at) const {
    return u8(at + 1) << 8 | u8(at);
}
std::uint32_t ByteView::be32(std::size_t at) const {
    return be16(at) << 16 | be16(at + 2);
}
std::uint32_t ByteView::le32(std::size_t at) const {
    return le16(at + 2) << 16 | le16(at);
}

// ---- Container walking ----

void png_chunks(ByteView file, const ChunkVisitor& visit) {
    std::size_t at = 8;  // after the signature
    for (;;) {
        // Chunk: length (4, big-endian), type (4), data, CRC (4).
        const std::uint32_t length = file.be32(at), type = file.be32(at + 4);
        if (length > 0x7fffffffu) throw Corrupt{};  // the PNG limit
        if (!visit({type, file.clip(at + 8, length)}) || type == fourcc("IEND")) return;
        if (!file.has(at + 8, std::size_t(length) + 4)) throw Truncated{};
        at += 12 + std::size_t(length);
    }
}

void webp_chunks(ByteView file, const ChunkVisitor& visit) {
    std::size_t at = 12;  // after "RIFF", the RIFF size and "WEBP"
    while (at < file.size()) {
        // Chunk: fourcc, size (4, little-endian), data padded to an even length.
        const std::uint32_t type = file.be32(at), size = file.le32(at + 4);
        if (!visit({type, file.clip(at + 8, size)})) return;
        const std::size_t padded = std::size_t(size) + (size & 1);
        if (!file.has(at + 8, padded)) throw Truncated{};
        at += 8 + padded;
    }
}

void jpeg_segments(ByteView file, const ChunkVisitor& visit) {
    std::size_t at = 2;  // after SOI
    for (;;) {
        if (file.u8(at) != 0xFF) throw Corrupt{};
        while (file.u8(at) == 0xFF) ++at;  // fill bytes may pad any marker
        const std::uint32_t marker = file.u8(at++);
        if (marker == 0xDA || marker == 0xD9) return;  // start of scan or end of image: no more headers
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;  // markers without a length
        const std::uint32_t length = file.be16(at);                          // counts its own two bytes
        if (length < 2) throw Corrupt{};
        if (!visit({marker, file.clip(at + 2, length - 2)})) return;
        if (!file.has(at, length)) throw Truncated{};
        at += length;
    }
}

// ---- TIFF IFD0 ----

Ifd0::Ifd0(ByteView tiff) : tiff_(tiff) {
    if (tiff.matches(0, "II*\0"sv))
        little_ = true;
    else if (tiff.matches(0, "MM\0*"sv))
        little_ = false;
    else
        throw Corrupt{};
    const std::size_t ifd = u32(4);
    count_ = u16(ifd);
    entries_ = ifd + 2;
    if (!tiff_.has(entries_, count_ * 12)) throw Truncated{};
}

std::uint32_t Ifd0::u16(std::size_t at) const {
    return little_ ? tiff_.le16(at) : tiff_.be16(at);
}
std::uint32_t Ifd0::u32(std::size_t at) const {
    return little_ ? tiff_.le32(at) : tiff_.be32(at);
}

std::optional<std::uint32_t> Ifd0::value(std::uint16_t tag) const {
    for (std::size_t i = 0; i < count_; ++i) {
        // Entry: tag (2), type (2), count (4), value or offset to the values (4).
        const std::size_t entry = entries_ + 12 * i;
        if (u16(entry) != tag) continue;
        const std::uint32_t type = u16(entry + 2), count = u32(entry + 4);
        const std::size_t width = type == 1 ? 1 : type == 3 ? 2 : type == 4 ? 4 : 0;  // BYTE, SHORT, LONG
        if (width == 0 || count == 0) return std::nullopt;
        const std::size_t at = std::uint64_t(count) * width <= 4 ? entry + 8 : u32(entry + 8);
        return width == 1 ? tiff_.u8(at) : width == 2 ? u16(at) : u32(at);
    }
    return std::nullopt;
}

// ---- EXIF orientation ----

namespace {

constexpr std::uint16_t orientation_tag = 274;

// The TIFF structure holding the EXIF data of an image file, if there is one.
std::optional<ByteView> find_exif(Format f, ByteView file) {
    std::optional<ByteView> exif;
    switch (f) {
        case Format::jpeg:
            jpeg_segments(file, [&](const Chunk& c) {
                if (c.type == 0xE1 && c.body.matches(0, "Exif\0"sv)) exif = c.body.from(6);  // APP1
                return !exif;
            });
            break;
        case Format::png:
            png_chunks(file, [&](const Chunk& c) {
                if (c.type == fourcc("eXIf")) exif = c.body;
                return !exif;
            });
            break;
        case Format::webp:
            webp_chunks(file, [&](const Chunk& c) {
                // Some writers keep JPEG's "Exif\0\0" prefix inside the chunk.
                if (c.type == fourcc("EXIF")) exif = c.body.matches(0, "Exif\0"sv) ? c.body.from(6) : c.body;
                return !exif;
            });
            break;
        case Format::tiff: exif = file; break;
        default: break;
    }
    return exif;
}

}  // namespace

int file_orientation(Format f, ByteView file) {
    try {
        if (auto exif = find_exif(f, file)) {
            const auto o = Ifd0(*exif).value(orientation_tag);
            if (o && *o >= 1 && *o <= 8) return int(*o);
        }
    } catch (const Truncated&) {
    } catch (const Corrupt&) {
    }
    return 1;  // unreadable metadata must not stop the pixels from loading
}

cv::Mat apply_orientation(const cv::Mat& m, int orientation) {
    cv::Mat out;
    switch (orientation) {
        case 2: cv::flip(m, out, 1); break;  // mirrored left-right
        case 3: cv::rotate(m, out, cv::ROTATE_180); break;
        case 4: cv::flip(m, out, 0); break;    // mirrored top-bottom
        case 5: cv::transpose(m, out); break;  // mirrored about the main diagonal
        case 6: cv::rotate(m, out, cv::ROTATE_90_CLOCKWISE); break;
        case 7:  // mirrored about the anti-diagonal
            cv::transpose(m, out);
            cv::flip(out, out, -1);
            break;
        case 8: cv::rotate(m, out, cv::ROTATE_90_COUNTERCLOCKWISE); break;
        default: return m;
    }
    return out;
}

}  // namespace imgpool::io::detail
