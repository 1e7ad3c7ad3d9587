// The separable engine's kernels for the baseline instruction set (SSE2 on x86-64).
#define IMGPOOL_SEP_NS base
#include "separable_kernels.hpp"
