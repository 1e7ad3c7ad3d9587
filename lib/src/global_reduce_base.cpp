// The global reduction's kernels for the baseline instruction set (SSE2 on x86-64).
#define IMGPOOL_GLOBAL_NS base
#include "global_reduce_kernels.hpp"
