#include "reduce.hpp"

namespace imgpool::detail {

double round_to_integer(double v, Rounding r) {
    if (!std::isfinite(v)) return v;
    const double f = std::floor(v);
    const double frac = v - f;  // exact: v and floor(v) share an exponent range
    if (frac != 0.5) return frac < 0.5 ? f : f + 1;
    if (r == Rounding::half_up) return f + 1;
    return std::fmod(f, 2.0) == 0 ? f : f + 1;
}

std::int64_t round_div(std::int64_t num, std::int64_t den, Rounding r) {
    std::int64_t q = num / den, rem = num % den;
    if (rem < 0) q -= 1, rem += den;  // floor division, remainder in [0, den)
    if (2 * rem > den) return q + 1;
    if (2 * rem < den) return q;
    return (r == Rounding::half_up || q % 2 != 0) ? q + 1 : q;
}

}  // namespace imgpool::detail
