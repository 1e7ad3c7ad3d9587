// The separable engine's kernels for AVX2, picked at run time by separable.cpp (GCC on
// x86-64; elsewhere the baseline kernels serve).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
// Every header before the target pragma: only the kernels may be compiled for AVX2, not
// the library templates the baseline code shares (the linker keeps one copy of each).
#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "plan.hpp"
#include "reduce.hpp"
#include "separable_setup.hpp"

#pragma GCC target("avx2")
#define IMGPOOL_SEP_NS avx2
#include "separable_kernels.hpp"
#endif
