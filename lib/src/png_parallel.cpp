// See png_parallel.hpp. One stream in pieces: piece i is raw deflate of its filtered rows with
// the 32 KiB before it as dictionary, ended by Z_SYNC_FLUSH (an empty stored block: the next
// piece starts on a byte boundary), the last by Z_FINISH; the zlib header goes before the
// first and the Adler-32 of the whole (adler32_combine of the pieces') after the last.
#include "png_parallel.hpp"

#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include "imgpool/error.hpp"
#include "png_filter.hpp"

namespace imgpool::io::detail {
namespace {

using uchar = unsigned char;
constexpr std::size_t window = 32768;  // deflate's window: what a piece may refer back to

struct Geometry {
    std::size_t rows, row_bytes, bpp, rows_per_piece, pieces;
    bool swap16;  // 16-bit samples are written big-endian
};

Geometry geometry_of(const cv::Mat& m, std::size_t piece_bytes) {
    Geometry g{};
    g.rows = std::size_t(m.rows);
    g.bpp = m.elemSize();
    g.row_bytes = std::size_t(m.cols) * g.bpp;
    g.rows_per_piece = png_rows_per_piece(g.row_bytes, piece_bytes);
    g.pieces = (g.rows + g.rows_per_piece - 1) / g.rows_per_piece;
    g.swap16 = m.depth() == CV_16U;
    return g;
}

// One piece's deflated bytes and what joining needs.
struct Piece {
    std::unique_ptr<uchar[]> data;  // not zeroed: only the pages written are paid for
    std::size_t size = 0, in_size = 0;
    uLong adler = 0, crc = 0;
    bool ok = false;
};

// Filters rows [first, last) of `m` into `out`, (row_bytes + 1) bytes each.
void filter_rows(const cv::Mat& m, const Geometry& g, unsigned filters, std::size_t first, std::size_t last,
                 uchar* out) {
    const std::size_t n = g.row_bytes;
    std::vector<uchar> buf(4 * n + 2);  // 16-bit rows byte-swapped (this and the previous), scratch
    uchar *cur = buf.data(), *prev = cur + n, *scratch = prev + n;
    const auto row = [&](std::size_t y, uchar* swapped) -> const uchar* {
        const uchar* r = m.ptr(int(y));
        if (!g.swap16) return r;
        for (std::size_t i = 0; i < n; i += 2) swapped[i] = r[i + 1], swapped[i + 1] = r[i];
        return swapped;
    };
    std::vector<uchar> zeros;
    const uchar* above = nullptr;
    if (first == 0) {
        zeros.assign(n, 0);
        above = zeros.data();
    } else {
        above = row(first - 1, prev);
    }
    for (std::size_t y = first; y < last; ++y) {
        const uchar* r = row(y, cur);
        filter_png_row(r, above, n, g.bpp, filters, out + (y - first) * (n + 1), scratch);
        above = r;
        if (g.swap16) std::swap(cur, prev);
    }
}

void deflate_piece(const cv::Mat& m, const Geometry& g, int level, std::size_t i, Piece& p) {
    const std::size_t line = g.row_bytes + 1;
    const std::size_t first = i * g.rows_per_piece, last = std::min(g.rows, first + g.rows_per_piece);
    const std::size_t lead = std::min(first, (window + line - 1) / line);  // rows re-filtered for the dictionary
    std::vector<uchar> in((last - first + lead) * line);
    filter_rows(m, g, png_filters(level, g.row_bytes / g.bpp, g.rows), first - lead, last, in.data());
    const uchar* own = in.data() + lead * line;
    p.in_size = (last - first) * line;
    const std::size_t dict = std::min(window, lead * line);

    z_stream z{};
    const int strategy = level < 0 ? Z_RLE : Z_DEFAULT_STRATEGY;
    if (deflateInit2(&z, level < 0 ? Z_BEST_SPEED : level, Z_DEFLATED, -15, 8, strategy) != Z_OK) return;
    const std::size_t room = deflateBound(&z, uLong(p.in_size)) + 64;  // + the flush's empty block
    p.data.reset(new (std::nothrow) uchar[room]);
    bool ok = p.data && (dict == 0 || deflateSetDictionary(&z, own - dict, uInt(dict)) == Z_OK);
    if (ok) {
        z.next_in = const_cast<uchar*>(own);
        z.avail_in = uInt(p.in_size);
        z.next_out = p.data.get();
        z.avail_out = uInt(room);
        const bool is_last = last == g.rows;
        const int r = deflate(&z, is_last ? Z_FINISH : Z_SYNC_FLUSH);
        ok = is_last ? r == Z_STREAM_END : r == Z_OK && z.avail_in == 0 && z.avail_out > 0;
        p.size = room - z.avail_out;
    }
    deflateEnd(&z);
    if (!ok) return;
    p.adler = adler32(1, own, uInt(p.in_size));
    p.crc = crc32(0, p.data.get(), uInt(p.size));
    p.ok = true;
}

void put32(std::vector<uchar>& out, std::uint32_t v) {
    const uchar b[4] = {uchar(v >> 24), uchar(v >> 16), uchar(v >> 8), uchar(v)};
    out.insert(out.end(), b, b + 4);
}

// zlib's own header for these settings (deflate.c), FLEVEL included, for a 32 KiB window.
void put_zlib_header(std::vector<uchar>& out, int level) {
    const int flevel = level < 2 ? 0 : level < 6 ? 1 : level == 6 ? 2 : 3;  // Z_RLE (-1 here) is 0
    unsigned h = (Z_DEFLATED + ((15 - 8) << 4)) << 8 | unsigned(flevel) << 6;
    h += 31 - h % 31;
    out.push_back(uchar(h >> 8));
    out.push_back(uchar(h));
}

}  // namespace

std::size_t png_rows_per_piece(std::size_t row_bytes, std::size_t piece_bytes) {
    return std::max<std::size_t>(1, piece_bytes / (row_bytes + 1));
}

bool png_in_pieces(const cv::Mat& m, std::size_t piece_bytes) {
    const std::size_t row_bytes = std::size_t(m.cols) * m.elemSize();
    // rows over 256 MiB (never seen) stay with libpng: zlib counts a piece's bytes in 32 bits
    return !m.empty() && row_bytes < (std::size_t(1) << 28) && std::size_t(m.rows) > png_rows_per_piece(row_bytes, piece_bytes);
}

void append_png_pieces(const cv::Mat& m, int level, std::size_t piece_bytes, std::vector<uchar>& out) {
    const Geometry g = geometry_of(m, piece_bytes);
    std::vector<Piece> pieces(g.pieces);
    // One stripe per piece: threads take the next piece when done, whatever their number.
    cv::parallel_for_(cv::Range(0, int(g.pieces)), [&](const cv::Range& r) {
        for (int i = r.start; i < r.end; ++i) {
            try {
                deflate_piece(m, g, level, std::size_t(i), pieces[std::size_t(i)]);
            } catch (...) {  // out of memory: reported below, not thrown across OpenCV's threads
            }
        }
    });
    std::size_t total = 12 + 8;  // IEND, zlib header and trailer
    for (const Piece& p : pieces) {
        if (!p.ok) throw IoError("PNG encoder failed");
        total += p.size + 12;
    }
    out.reserve(out.size() + total);

    uLong adler = adler32(0, nullptr, 0);
    for (const Piece& p : pieces) adler = adler32_combine(adler, p.adler, z_off_t(p.in_size));
    for (std::size_t i = 0; i < g.pieces; ++i) {
        const Piece& p = pieces[i];
        const bool first = i == 0, last = i + 1 == g.pieces;
        put32(out, std::uint32_t(p.size + (first ? 2 : 0) + (last ? 4 : 0)));
        const std::size_t start = out.size();
        out.insert(out.end(), {'I', 'D', 'A', 'T'});
        if (first) put_zlib_header(out, level);
        uLong crc = crc32(0, out.data() + start, uInt(out.size() - start));
        crc = crc32_combine(crc, p.crc, z_off_t(p.size));
        out.insert(out.end(), p.data.get(), p.data.get() + p.size);
        if (last) {
            const std::size_t at = out.size();
            put32(out, std::uint32_t(adler));
            crc = crc32(crc, out.data() + at, 4);
        }
        put32(out, std::uint32_t(crc));
    }
    put32(out, 0);
    const std::size_t at = out.size();
    out.insert(out.end(), {'I', 'E', 'N', 'D'});
    put32(out, std::uint32_t(crc32(0, out.data() + at, 4)));
}

}  // namespace imgpool::io::detail
