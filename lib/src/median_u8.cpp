// The median engine for 8-bit images: histograms instead of sorting, at a cost per output
// that does not grow with the window (Perreault & Hebert, "Median filtering in constant
// time", IEEE TIP 16(9), 2007).
//
// Per source column (and channel) a histogram of the cells in the current output row's
// rows, updated as the rows slide down (in bands of columns whose histograms fit in L2);
// per output row a window histogram, updated as the columns slide right. Histograms are
// two-level: 16 coarse bins (the high nibble), kept current, and 16 fine bins per coarse
// bin, brought up to date only when the median falls in that bin (the median moves little
// from one output to the next). Windows of up to 32767 cells count in 16 bits, so that
// updating 16 bins and finding the bin of a rank are a few SSE2 instructions (15x15 on 4K
// RGB: 1.4x faster than the 32-bit scalar loops). (pool() sends full 3x3 and 5x5 windows
// to the min/max networks of median_net_u8.cpp.) Works from the plan's spans (sliding
// windows, any stride, padding and border; adaptive bins), as long as they take
// consecutive cells (no dilation) and move only forwards. Exact: the middle ranks are
// counted, and an even count's two middle values averaged as reduce() does.
#include <opencv2/core.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "engines.hpp"
#include "imgpool/params.hpp"

namespace imgpool::detail {
namespace {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using i64 = std::int64_t;

// Spans of consecutive cells whose starts and ends never move back.
bool forward_spans(const std::vector<Span>& spans) {
    for (size_t o = 0; o < spans.size(); ++o) {
        if (spans[o].step != 1 && spans[o].count > 1) return false;
        if (o && (spans[o].first < spans[o - 1].first ||
                  spans[o].first + spans[o].count < spans[o - 1].first + spans[o - 1].count))
            return false;
    }
    return true;
}

// The histograms of one channel's window along a row of outputs, counting in C: u16 for
// windows of at most kSmallWindow cells (16 bins in two SSE2 registers), u32 beyond.
template <typename C>
struct Window {
    alignas(16) C coarse[16];
    alignas(16) C fine[16][16];
    int fa[16], fz[16];  // the columns [fa, fz) each fine bin counts
    int a = 0, z = 0;    // the columns the coarse bins count
    void reset() {
        std::memset(coarse, 0, sizeof coarse);
        std::memset(fine, 0, sizeof fine);
        std::fill(fa, fa + 16, 0);
        std::fill(fz, fz + 16, 0);
        a = z = 0;
    }
};

// Counts below 2^15: the SSE2 compares are signed.
constexpr i64 kSmallWindow = 32767;

// d += s or d -= s, 16 bins.
template <typename C>
inline void add16(C* d, const u16* s, int sign) {
#if defined(__SSE2__)
    if constexpr (std::is_same_v<C, u16>) {
        for (int h = 0; h < 16; h += 8) {
            const __m128i x = _mm_load_si128(reinterpret_cast<const __m128i*>(d + h));
            const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + h));
            _mm_store_si128(reinterpret_cast<__m128i*>(d + h), sign > 0 ? _mm_add_epi16(x, y) : _mm_sub_epi16(x, y));
        }
        return;
    }
#endif
    if (sign > 0)
        for (int i = 0; i < 16; ++i) d[i] = C(d[i] + s[i]);
    else
        for (int i = 0; i < 16; ++i) d[i] = C(d[i] - s[i]);
}

// The bin holding rank r (0-based) of the 16 after `below` cells, and the cells below
// it added to `below`. Branch-free: which bin it is changes from output to output, and
// a loop that stops there mispredicts at nearly every output. In 16 bits: the bins'
// running sums in two registers; the bin is the first whose sum passes r - below.
template <typename C>
inline int bin_of(const C* h, u32 r, u32& below) {
#if defined(__SSE2__)
    if constexpr (std::is_same_v<C, u16>) {
        __m128i lo = _mm_load_si128(reinterpret_cast<const __m128i*>(h));
        __m128i hi = _mm_load_si128(reinterpret_cast<const __m128i*>(h + 8));
        lo = _mm_add_epi16(lo, _mm_slli_si128(lo, 2));
        hi = _mm_add_epi16(hi, _mm_slli_si128(hi, 2));
        lo = _mm_add_epi16(lo, _mm_slli_si128(lo, 4));
        hi = _mm_add_epi16(hi, _mm_slli_si128(hi, 4));
        lo = _mm_add_epi16(lo, _mm_slli_si128(lo, 8));
        hi = _mm_add_epi16(hi, _mm_slli_si128(hi, 8));
        hi = _mm_add_epi16(hi, _mm_set1_epi16(short(_mm_extract_epi16(lo, 7))));
        const __m128i t = _mm_set1_epi16(short(r - below));
        const int past = _mm_movemask_epi8(_mm_packs_epi16(_mm_cmpgt_epi16(lo, t), _mm_cmpgt_epi16(hi, t)));
        const int b = __builtin_ctz(unsigned(past) | 0x10000u);  // the first bin past r
        alignas(16) u16 sums[17];
        sums[0] = 0;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(sums + 1), lo);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(sums + 9), hi);
        below += sums[b];
        return b;
    }
#endif
    u32 acc = below, last = below;
    int b = 0;
    for (int i = 0; i < 16; ++i) {
        acc += h[i];
        const bool past = acc <= r;  // rank r lies beyond bin i
        b += past;
        last = past ? acc : last;
    }
    below = last;
    return b;
}

template <typename C>
class Median {
public:
    // Outputs [ox0, ox1) of each row: column histograms for the source columns they take.
    Median(const Plan& plan, const PoolParams& p, int ox0, int ox1, cv::Mat& dst)
        : src_(plan.source), dst_(dst), xs_(plan.xs), ys_(plan.ys), cn_(src_.channels()), ox0_(ox0), ox1_(ox1),
          ca_(plan.xs[size_t(ox0)].first),
          width_(size_t(plan.xs[size_t(ox1) - 1].first + plan.xs[size_t(ox1) - 1].count - ca_) * size_t(cn_)),
          rounding_(p.rounding), fine_(width_ * 256), coarse_(width_ * 16), win_(size_t(cn_)) {}

    void run(int oy0, int oy1) {
        for (int oy = oy0; oy < oy1; ++oy) {
            const Span& sy = ys_[size_t(oy)];
            move_rows(sy.first, sy.first + sy.count);
            for (Window<C>& w : win_) w.reset();
            for (size_t ox = size_t(ox0_); ox < size_t(ox1_); ++ox) {
                const Span& sx = xs_[ox];
                const i64 n = i64(sx.count) * sy.count;
                for (int c = 0; c < cn_; ++c) {
                    Window<C>& w = win_[size_t(c)];
                    move_columns(w, c, sx.first, sx.first + sx.count);
                    const u32 mid = u32(n / 2);
                    const int hi = rank(w, c, mid);
                    if (n % 2) store(oy, ox, c, hi, hi);
                    else store(oy, ox, c, rank(w, c, mid - 1), hi);
                }
            }
        }
    }

private:
    const cv::Mat& src_;
    cv::Mat& dst_;
    const std::vector<Span>&xs_, &ys_;
    const int cn_;
    const int ox0_, ox1_;
    const int ca_;  // the first source column the histograms count
    const size_t width_;
    const Rounding rounding_;
    std::vector<u16> fine_, coarse_;  // per source column and channel: 256 and 16 bins
    std::vector<Window<C>> win_;
    int ra_ = 0, rz_ = 0;  // the rows the column histograms count

    void row_into(int r, int delta) {
        const u8* s = src_.ptr<u8>(r) + size_t(ca_) * size_t(cn_);
        u16* f = fine_.data();
        u16* c = coarse_.data();
        for (size_t e = 0; e < width_; ++e) {
            f[e * 256 + s[e]] = u16(f[e * 256 + s[e]] + delta);
            c[e * 16 + (s[e] >> 4)] = u16(c[e * 16 + (s[e] >> 4)] + delta);
        }
    }

    void move_rows(int a, int z) {
        if (a >= rz_) {  // no row in common: start afresh
            std::fill(fine_.begin(), fine_.end(), u16(0));
            std::fill(coarse_.begin(), coarse_.end(), u16(0));
            ra_ = rz_ = a;
        }
        for (; rz_ < z; ++rz_) row_into(rz_, 1);
        for (; ra_ < a; ++ra_) row_into(ra_, -1);
    }

    void move_columns(Window<C>& w, int c, int a, int z) {
        if (a >= w.z) w.a = w.z = a, std::memset(w.coarse, 0, sizeof w.coarse);
        for (; w.z < z; ++w.z) add16(w.coarse, &coarse_[(size_t(w.z - ca_) * cn_ + c) * 16], 1);
        for (; w.a < a; ++w.a) add16(w.coarse, &coarse_[(size_t(w.a - ca_) * cn_ + c) * 16], -1);
    }

    // The value of rank r (0-based) in the window: the coarse bin, then its fine bins,
    // brought to the window's columns first.
    int rank(Window<C>& w, int c, u32 r) {
        u32 below = 0;
        const int b = bin_of(w.coarse, r, below);
        C* f = w.fine[b];
        if (w.fa[b] >= w.z || w.fz[b] <= w.a) {  // nothing in common: start afresh
            std::memset(f, 0, 16 * sizeof(C));
            w.fa[b] = w.fz[b] = w.a;
        }
        const size_t stride = size_t(cn_) * 256, base = size_t(c) * 256 + size_t(b) * 16;
        for (; w.fz[b] < w.z; ++w.fz[b]) add16(f, &fine_[size_t(w.fz[b] - ca_) * stride + base], 1);
        for (; w.fa[b] < w.a; ++w.fa[b]) add16(f, &fine_[size_t(w.fa[b] - ca_) * stride + base], -1);
        return b * 16 + bin_of(f, r, below);
    }

    // The median from the two middle values (equal for an odd count), rounded as reduce().
    void store(int oy, size_t ox, int c, int lo, int hi) {
        const size_t i = ox * size_t(cn_) + size_t(c);
        switch (dst_.depth()) {
        case CV_8U: {  // round_div(lo + hi, 2): a tie is an odd sum
            const int sum = lo + hi, q = sum >> 1;
            dst_.ptr<u8>(oy)[i] = u8(q + ((sum & 1) && (rounding_ == Rounding::half_up || (q & 1)) ? 1 : 0));
            break;
        }
        case CV_32F: dst_.ptr<float>(oy)[i] = float((lo + hi) / 2.0); break;
        default: dst_.ptr<double>(oy)[i] = (lo + hi) / 2.0; break;
        }
    }
};

}  // namespace

bool pool_median_u8(const Plan& plan, const PoolParams& p, cv::Mat& dst) {
    if (p.type != PoolType::median || plan.source.depth() != CV_8U) return false;
    if (plan.depth != CV_8U && plan.depth != CV_32F && plan.depth != CV_64F) return false;
    if (!forward_spans(plan.xs) || !forward_spans(plan.ys)) return false;
    // Column histograms count in 16 bits, windows in 32.
    i64 rows = 0, cols = 0;
    for (const Span& s : plan.ys) rows = std::max<i64>(rows, s.count);
    for (const Span& s : plan.xs) cols = std::max<i64>(cols, s.count);
    if (rows > 65535 || rows * cols >= (i64(1) << 31)) return false;
    const int out_rows = int(plan.ys.size());
    dst.create(out_rows, int(plan.xs.size()), CV_MAKETYPE(plan.depth, plan.source.channels()));
    // Bands of output columns whose column histograms (544 bytes per column and channel)
    // take about 512 KB, half a typical L2, so that the row updates and the window's reads
    // stay there (over the whole width they missed the cache and took half the time;
    // 256 KB to 1 MB measured alike).
    const int cn = plan.source.channels();
    const i64 band_cols = std::max<i64>(2 * cols, (i64(1) << 19) / (544 * cn));
    std::vector<int> bands{0};  // first output of each band, then the end
    for (int ox = 1; ox < int(plan.xs.size()); ++ox)
        if (plan.xs[size_t(ox)].first + plan.xs[size_t(ox)].count - plan.xs[size_t(bands.back())].first > band_cols)
            bands.push_back(ox);
    bands.push_back(int(plan.xs.size()));
    const int nbands = int(bands.size()) - 1;
    // Threads also take stripes of output rows; each fills its column histograms once (a
    // window of rows), so a stripe needs several windows' worth of rows.
    const i64 work = i64(plan.source.total()) * cn;
    const int stripes = work < (i64(1) << 18) ? 1
                        : int(std::clamp<i64>(out_rows / std::max<i64>(4 * rows, 16), 1, cv::getNumThreads()));
    const auto run = [&](const cv::Range& r) {
        for (int t = r.start; t < r.end; ++t) {
            const int band = t % nbands, s = t / nbands;
            const int oy0 = int(i64(out_rows) * s / stripes), oy1 = int(i64(out_rows) * (s + 1) / stripes);
            if (rows * cols <= kSmallWindow) Median<u16>(plan, p, bands[size_t(band)], bands[size_t(band) + 1], dst).run(oy0, oy1);
            else Median<u32>(plan, p, bands[size_t(band)], bands[size_t(band) + 1], dst).run(oy0, oy1);
        }
    };
    if (work < (i64(1) << 18)) run(cv::Range(0, nbands));
    else cv::parallel_for_(cv::Range(0, nbands * stripes), run);
    return true;
}

}  // namespace imgpool::detail
