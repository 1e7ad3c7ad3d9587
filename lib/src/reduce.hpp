#pragma once
// The reductions of one window's cells to one value, for every pooling type.
// Results are doubles; when the result is stored as an integer they are already
// rounded to an integer by the rounding rule (exactly, for integer inputs).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "imgpool/params.hpp"

namespace imgpool::detail {

double round_to_integer(double v, Rounding r);
// num/den rounded to an integer by the rule, exactly; den > 0.
std::int64_t round_div(std::int64_t num, std::int64_t den, Rounding r);

struct ReduceSpec {
    PoolType type = PoolType::max;
    bool integer_result = false;  // the result depth is an integer depth
    Rounding rounding = Rounding::half_even;
    double power = 2.0;
};

template <typename T>
bool any_nan(const T* v, int n) {
    if constexpr (std::is_floating_point_v<T>) {
        return std::any_of(v, v + n, [](T x) { return std::isnan(x); });
    } else {
        (void)v, (void)n;
        return false;
    }
}

// Reduces the n values of `v` (reordered in place by median/mode) plus `zeros`
// zero cells (count-pad) to one value. NaN anywhere gives NaN, as in PyTorch.
template <typename T>
double reduce(const ReduceSpec& s, T* v, int n, std::int64_t zeros) {
    constexpr bool integral = std::is_integral_v<T>;
    using Acc = std::conditional_t<integral, std::int64_t, double>;
    if (any_nan(v, n)) return std::numeric_limits<double>::quiet_NaN();
    // A float result stored as an integer (averages, or any float input) is rounded once, here.
    auto finish = [&](double x) { return s.integer_result ? round_to_integer(x, s.rounding) : x; };

    switch (s.type) {
    case PoolType::max: return finish(double(*std::max_element(v, v + n)));
    case PoolType::min: return finish(double(*std::min_element(v, v + n)));
    case PoolType::sum:
    case PoolType::avg: {
        Acc sum = 0;
        for (int i = 0; i < n; ++i) sum += Acc(v[i]);
        if (s.type == PoolType::sum) return finish(double(sum));
        const std::int64_t count = n + zeros;
        if constexpr (integral) {
            if (s.integer_result) return double(round_div(sum, count, s.rounding));
        }
        return finish(double(sum) / double(count));
    }
    case PoolType::median: {
        const int mid = n / 2;
        std::nth_element(v, v + mid, v + n);
        if (n % 2) return finish(double(v[mid]));
        const T below = *std::max_element(v, v + mid);  // the other middle value
        if constexpr (integral) {
            if (s.integer_result) return double(round_div(std::int64_t(below) + v[mid], 2, s.rounding));
        }
        return finish((double(below) + double(v[mid])) / 2);
    }
    case PoolType::mode: {
        // Most frequent value; ties go to the smallest (the first run after sorting).
        std::sort(v, v + n);
        T best = v[0];
        int best_count = 0;
        for (int i = 0; i < n;) {
            int j = i;
            while (j < n && v[j] == v[i]) ++j;
            if (j - i > best_count) best = v[i], best_count = j - i;
            i = j;
        }
        return finish(double(best));
    }
    case PoolType::lp: {
        double sum = 0;
        for (int i = 0; i < n; ++i) {
            const double a = std::abs(double(v[i]));
            sum += s.power == 1 ? a : s.power == 2 ? a * a : std::pow(a, s.power);
        }
        const double norm = s.power == 1 ? sum : s.power == 2 ? std::sqrt(sum) : std::pow(sum, 1 / s.power);
        return finish(norm);
    }
    }
    return 0;
}

}  // namespace imgpool::detail
