// The PNG row filters (PNG spec, section 9) and libpng 1.6's adaptive choice among them
// (png_write_find_filter). libpng stops summing a candidate once it is worse than the best
// so far; the choice is the same with full sums, which are simpler.
#include "png_filter.hpp"

#include <png.h>

#include <cstdlib>
#include <cstring>

namespace imgpool::io::detail {
namespace {

using uchar = unsigned char;

// The cost libpng gives a filtered byte: its distance from 0 as a signed byte.
inline std::size_t cost(uchar v) {
    return v < 128 ? v : 256u - v;
}

std::size_t sum_of(const uchar* d, std::size_t n) {
    std::size_t s = 0;
    for (std::size_t i = 0; i < n; ++i) s += cost(d[i]);
    return s;
}

void sub(const uchar* r, const uchar*, std::size_t n, std::size_t bpp, uchar* d) {
    for (std::size_t i = 0; i < bpp; ++i) d[i] = r[i];
    for (std::size_t i = bpp; i < n; ++i) d[i] = uchar(r[i] - r[i - bpp]);
}

void up(const uchar* r, const uchar* p, std::size_t n, std::size_t, uchar* d) {
    for (std::size_t i = 0; i < n; ++i) d[i] = uchar(r[i] - p[i]);
}

void average(const uchar* r, const uchar* p, std::size_t n, std::size_t bpp, uchar* d) {
    for (std::size_t i = 0; i < bpp; ++i) d[i] = uchar(r[i] - (p[i] >> 1));
    for (std::size_t i = bpp; i < n; ++i) d[i] = uchar(r[i] - ((p[i] + r[i - bpp]) >> 1));
}

void paeth(const uchar* r, const uchar* p, std::size_t n, std::size_t bpp, uchar* d) {
    for (std::size_t i = 0; i < bpp; ++i) d[i] = uchar(r[i] - p[i]);  // left and upper left are 0
    for (std::size_t i = bpp; i < n; ++i) {
        const int a = r[i - bpp], b = p[i], c = p[i - bpp];
        const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
        const int pred = (pa <= pb && pa <= pc) ? a : pb <= pc ? b : c;
        d[i] = uchar(r[i] - pred);
    }
}

using Filter = void (*)(const uchar*, const uchar*, std::size_t, std::size_t, uchar*);
struct Candidate {
    unsigned bit;
    uchar type;
    Filter apply;
};
// libpng's order, which decides ties
constexpr Candidate candidates[] = {{PNG_FILTER_SUB, PNG_FILTER_VALUE_SUB, sub},
                                    {PNG_FILTER_UP, PNG_FILTER_VALUE_UP, up},
                                    {PNG_FILTER_AVG, PNG_FILTER_VALUE_AVG, average},
                                    {PNG_FILTER_PAETH, PNG_FILTER_VALUE_PAETH, paeth}};

}  // namespace

unsigned png_filters(int level, std::size_t width, std::size_t height) {
    unsigned f = level < 0 ? PNG_FILTER_SUB : PNG_ALL_FILTERS;
    if (height == 1) f &= ~unsigned(PNG_FILTER_UP | PNG_FILTER_AVG | PNG_FILTER_PAETH);
    if (width == 1) f &= ~unsigned(PNG_FILTER_SUB | PNG_FILTER_AVG | PNG_FILTER_PAETH);
    return f == 0 ? unsigned(PNG_FILTER_NONE) : f;
}

void filter_png_row(const uchar* row, const uchar* prev, std::size_t n, std::size_t bpp, unsigned filters, uchar* out,
                    uchar* scratch) {
    // The best row so far (`out` for None, else one of the two scratch rows) and the one
    // being tried (the other scratch row), each with its type byte in front.
    uchar* const rows[2] = {scratch, scratch + n + 1};
    int trial = 0;
    const uchar* best = nullptr;
    std::size_t least = 0;
    if (filters & PNG_FILTER_NONE) {
        out[0] = PNG_FILTER_VALUE_NONE;
        std::memcpy(out + 1, row, n);
        if (filters == PNG_FILTER_NONE) return;
        best = out;
        least = sum_of(row, n);
    }
    for (const Candidate& c : candidates) {
        if (!(filters & c.bit)) continue;
        uchar* t = rows[trial];
        t[0] = c.type;
        c.apply(row, prev, n, bpp, t + 1);
        const std::size_t s = sum_of(t + 1, n);
        if (best == nullptr || s < least) {
            best = t;
            least = s;
            trial ^= 1;
        }
    }
    if (best != out) std::memcpy(out, best, n + 1);
}

}  // namespace imgpool::io::detail
