// See png_parallel.hpp. One stream in pieces: piece i is raw deflate of its filtered rows with
// the 32 KiB before it as dictionary, ended by Z_SYNC_FLUSH (an empty stored block: the next
// piece starts on a byte boundary), the last by Z_FINISH; the zlib header goes before the
// first and the Adler-32 of the whole (adler32_combine of the pieces') after the last.
#include "png_parallel.hpp"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>

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
    bool ok = false, done = false;  // done: deflate_piece returned (`done` guarded by Joiner's mutex)
};

// The rows of `m` filtered one after another from row `first`, each valid until the next.
class RowFilter {
public:
    RowFilter(const cv::Mat& m, const Geometry& g, unsigned filters, std::size_t first)
        : m_(m), g_(g), filters_(filters), y_(first), buf_(6 * g.row_bytes + 3) {
        const std::size_t n = g.row_bytes;
        cur_ = buf_.data(), prev_ = cur_ + n;
        uchar* zeros = prev_ + n;  // the row above the first
        scratch_ = zeros + n, out_ = scratch_ + 2 * (n + 1);
        above_ = first == 0 ? zeros : raw(first - 1, prev_);
    }
    const uchar* next() {
        const uchar* r = raw(y_++, cur_);
        filter_png_row(r, above_, g_.row_bytes, g_.bpp, filters_, out_, scratch_);
        above_ = r;
        if (g_.swap16) std::swap(cur_, prev_);
        return out_;
    }

private:
    // Row y as PNG stores it: 16-bit samples big-endian (swapped into `swapped`).
    const uchar* raw(std::size_t y, uchar* swapped) const {
        const uchar* r = m_.ptr(int(y));
        if (!g_.swap16) return r;
        for (std::size_t i = 0; i < g_.row_bytes; i += 2) swapped[i] = r[i + 1], swapped[i + 1] = r[i];
        return swapped;
    }

    const cv::Mat& m_;
    const Geometry& g_;
    const unsigned filters_;
    std::size_t y_;
    std::vector<uchar> buf_;  // two rows for swapping, zeros, two scratch rows, the output row
    uchar *cur_, *prev_, *scratch_, *out_;
    const uchar* above_;
};

// deflateEnd on every path.
struct Deflater {
    z_stream z{};
    bool ready = false;
    Deflater(int level, int strategy) {
        ready = deflateInit2(&z, level, Z_DEFLATED, -15, 8, strategy) == Z_OK;  // raw: one header for all
    }
    ~Deflater() {
        if (ready) deflateEnd(&z);
    }
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;
};

// Filters and deflates piece i row by row (a few rows of memory, not the piece's), primed
// with the filtered 32 KiB before it.
void deflate_piece(const cv::Mat& m, const Geometry& g, int level, std::size_t i, Piece& p) {
    const std::size_t line = g.row_bytes + 1;
    const std::size_t first = i * g.rows_per_piece, last = std::min(g.rows, first + g.rows_per_piece);
    const std::size_t lead = std::min(first, (window + line - 1) / line);  // rows filtered again for the dictionary
    RowFilter rows(m, g, png_filters(level, g.row_bytes / g.bpp, g.rows), first - lead);
    Deflater d(level < 0 ? Z_BEST_SPEED : level, level < 0 ? Z_RLE : Z_DEFAULT_STRATEGY);
    if (!d.ready) return;
    z_stream& z = d.z;
    if (lead > 0) {
        std::vector<uchar> before(lead * line);
        for (std::size_t k = 0; k < lead; ++k) std::memcpy(before.data() + k * line, rows.next(), line);
        const std::size_t dict = std::min(window, before.size());
        if (deflateSetDictionary(&z, before.data() + before.size() - dict, uInt(dict)) != Z_OK) return;
    }
    p.in_size = (last - first) * line;
    // deflateBound holds a whole stream given at once; feeding rows without flushing adds no
    // blocks, and the final sync flush at most an empty stored block (5 bytes) and padding.
    const std::size_t room = deflateBound(&z, uLong(p.in_size)) + 64;
    p.data.reset(new uchar[room]);
    z.next_out = p.data.get();
    z.avail_out = uInt(room);
    p.adler = adler32(0, nullptr, 0);
    const bool is_last = last == g.rows;
    for (std::size_t y = first; y < last; ++y) {
        const uchar* f = rows.next();
        p.adler = adler32(p.adler, f, uInt(line));
        z.next_in = const_cast<uchar*>(f);
        z.avail_in = uInt(line);
        const int flush = y + 1 < last ? Z_NO_FLUSH : is_last ? Z_FINISH : Z_SYNC_FLUSH;
        const int r = deflate(&z, flush);
        const bool ok = flush == Z_FINISH ? r == Z_STREAM_END : r == Z_OK && z.avail_in == 0 && z.avail_out > 0;
        if (!ok) return;  // an IoError, should zlib ever need more room
    }
    p.size = room - z.avail_out;
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

// Appends finished pieces to the file in their order, as soon as all before them are in, so
// that only a few pieces wait in memory beside the file (never the whole file twice).
class Joiner {
public:
    Joiner(std::vector<Piece>& pieces, int level, std::vector<uchar>& out)
        : pieces_(pieces), level_(level), out_(out) {}

    void done(std::size_t i) {
        const std::lock_guard<std::mutex> lock(mutex_);
        pieces_[i].done = true;
        while (next_ < pieces_.size() && pieces_[next_].done && pieces_[next_].ok) append(next_++);
    }
    bool complete() const { return next_ == pieces_.size(); }

private:
    void append(std::size_t i) {
        Piece& p = pieces_[i];
        const bool first = i == 0, last = i + 1 == pieces_.size();
        adler_ = adler32_combine(adler_, p.adler, z_off_t(p.in_size));
        put32(out_, std::uint32_t(p.size + (first ? 2 : 0) + (last ? 4 : 0)));
        const std::size_t start = out_.size();
        out_.insert(out_.end(), {'I', 'D', 'A', 'T'});
        if (first) put_zlib_header(out_, level_);
        uLong crc = crc32(0, out_.data() + start, uInt(out_.size() - start));
        crc = crc32_combine(crc, p.crc, z_off_t(p.size));
        out_.insert(out_.end(), p.data.get(), p.data.get() + p.size);
        p.data.reset();
        if (last) {
            const std::size_t at = out_.size();
            put32(out_, std::uint32_t(adler_));
            crc = crc32(crc, out_.data() + at, 4);
        }
        put32(out_, std::uint32_t(crc));
    }

    std::mutex mutex_;
    std::vector<Piece>& pieces_;
    const int level_;
    std::vector<uchar>& out_;
    std::size_t next_ = 0;
    uLong adler_ = adler32(0, nullptr, 0);
};

}  // namespace

std::size_t png_rows_per_piece(std::size_t row_bytes, std::size_t piece_bytes) {
    return std::max<std::size_t>(1, piece_bytes / (row_bytes + 1));
}

bool png_in_pieces(const cv::Mat& m, std::size_t piece_bytes) {
    const std::size_t row_bytes = std::size_t(m.cols) * m.elemSize();
    // rows over 256 MiB (never seen) stay with libpng: zlib counts a piece's bytes in 32 bits
    return !m.empty() && row_bytes < (std::size_t(1) << 28) &&
           std::size_t(m.rows) > png_rows_per_piece(row_bytes, piece_bytes);
}

struct PngPieces::State {
    const cv::Mat& m;
    const Geometry g;
    const int level;
    std::vector<uchar>& out;
    std::vector<Piece> pieces;
    Joiner joiner;
    std::atomic<std::size_t> next{0};

    State(const cv::Mat& m_, int level_, std::size_t piece_bytes, std::vector<uchar>& out_)
        : m(m_), g(geometry_of(m_, piece_bytes)), level(level_), out(out_), pieces(g.pieces), joiner(pieces, level_, out_) {}
};

PngPieces::PngPieces(const cv::Mat& m, int level, std::size_t piece_bytes, std::vector<uchar>& out)
    : s_(std::make_unique<State>(m, level, piece_bytes, out)) {
    // Room for the file if nothing compresses (deflate's worst case), so the file is never
    // moved; pages never written cost nothing.
    const Geometry& g = s_->g;
    const std::size_t filtered = g.rows * (g.row_bytes + 1);
    out.reserve(out.size() + compressBound(uLong(std::min<std::size_t>(filtered, uLong(-1)))) + 32 * g.pieces + 64);
}

PngPieces::~PngPieces() = default;

void PngPieces::work(const std::function<bool(std::size_t)>& ready) {
    State& s = *s_;
    // Each thread takes the next piece in order (OpenCV would hand out runs of stripes, whose
    // pieces would then wait in memory for the earlier ones). The order of work decides only
    // the speed: the bytes are the pieces', joined in their order.
    for (std::size_t i = s.next++; i < s.g.pieces; i = s.next++) {
        if (!ready(std::min(s.g.rows, (i + 1) * s.g.rows_per_piece))) return;
        try {
            deflate_piece(s.m, s.g, s.level, i, s.pieces[i]);
            s.joiner.done(i);
        } catch (...) {  // out of memory: reported by finish(), not thrown across threads
        }
    }
}

void PngPieces::finish() {
    std::vector<uchar>& out = s_->out;
    if (!s_->joiner.complete()) throw IoError("PNG encoder failed");
    put32(out, 0);
    const std::size_t at = out.size();
    out.insert(out.end(), {'I', 'E', 'N', 'D'});
    put32(out, std::uint32_t(crc32(0, out.data() + at, 4)));
}

void append_png_pieces(const cv::Mat& m, int level, std::size_t piece_bytes, std::vector<uchar>& out) {
    PngPieces pieces(m, level, piece_bytes, out);
    const std::size_t n = geometry_of(m, piece_bytes).pieces;
    const int workers = int(std::min<std::size_t>(n, std::size_t(std::max(1, cv::getNumThreads()))));
    const auto all_rows = [](std::size_t) { return true; };
    cv::parallel_for_(
        cv::Range(0, workers),
        [&](const cv::Range& r) {
            for (int w = r.start; w < r.end; ++w) pieces.work(all_rows);
        },
        workers);
    pieces.finish();
}

}  // namespace imgpool::io::detail
