// The global reduction's kernels for AVX2, picked at run time by global_reduce.cpp (GCC on
// x86-64; elsewhere the baseline kernels serve).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
// Every header before the target pragma: only the kernels may be compiled for AVX2, not
// the library templates the baseline code shares (the linker keeps one copy of each).
#include <opencv2/core.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "global_reduce.hpp"

#pragma GCC target("avx2")
#define IMGPOOL_GLOBAL_NS avx2
#include "global_reduce_kernels.hpp"
#endif
