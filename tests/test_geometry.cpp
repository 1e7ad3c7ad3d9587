// The size arithmetic as a table: PyTorch's pooling_output_shape, TF SAME, adaptive bins.
#include <doctest/doctest.h>

#include "imgpool/geometry.hpp"
#include "imgpool/pool.hpp"

using namespace imgpool;

TEST_CASE("pooled_size: floor and ceil mode, as PyTorch") {
    struct Row { int n, k, s, d, pb, pa; bool ceil; int out; };
    const Row rows[] = {
        {4, 2, 2, 1, 0, 0, false, 2},   // worked example: 4x4 -> 2x2
        {4, 2, 1, 1, 0, 0, false, 3},   // stride 1: 9 windows on 4x4
        {26, 2, 2, 1, 0, 0, false, 13}, // Keras: 26 -> 13
        {11, 2, 2, 1, 0, 0, false, 5},  // Keras: 11 -> 5
        {5, 2, 2, 1, 0, 0, false, 2},
        {5, 2, 2, 1, 0, 0, true, 3},    // ceil keeps the partial window over the last column
        {5, 2, 2, 1, 1, 1, false, 3},
        {5, 2, 2, 1, 1, 1, true, 3},    // ceil gives 4, but window 4 would start in the padding: dropped
        {6, 3, 2, 1, 1, 1, true, 4},
        {7, 3, 1, 2, 0, 0, false, 3},   // dilation 2: effective window 5
        {7, 3, 2, 2, 1, 1, true, 3},
        {1, 1, 1, 1, 0, 0, false, 1},
        {3, 4, 1, 1, 0, 0, false, 0},   // window larger than the input
        {3, 4, 1, 1, 1, 0, false, 1},   // ...but not than the padded input
        {10, 3, 3, 1, 0, 0, true, 4},
        {10, 3, 3, 1, 0, 2, false, 4},
        {2, 1, 5, 1, 0, 0, true, 1},    // stride beyond the input
        {3, 4, 3, 1, 0, 0, true, 1},    // ceil mode: a window may overhang a short axis (PyTorch gives 1)
        {3, 5, 3, 1, 0, 0, true, 1},
        {3, 6, 3, 1, 0, 0, true, 0},    // ...but not by a whole stride
        {3, 4, 3, 1, 0, 0, false, 0},
    };
    for (const Row& r : rows) {
        INFO("n=" << r.n << " k=" << r.k << " s=" << r.s << " d=" << r.d << " pad=" << r.pb << "," << r.pa
                  << " ceil=" << r.ceil);
        CHECK(pooled_size(r.n, r.k, r.s, r.d, {r.pb, r.pa}, r.ceil) == r.out);
    }
}

TEST_CASE("same_padding: TF/Keras SAME, the odd cell after") {
    struct Row { int n, k, s, d, pb, pa; };
    const Row rows[] = {
        {5, 2, 2, 1, 0, 1}, {64, 2, 2, 1, 0, 0}, {7, 3, 1, 1, 1, 1}, {4, 3, 2, 1, 0, 1},
        {1, 3, 1, 1, 1, 1}, {6, 4, 1, 1, 1, 2}, {5, 3, 1, 2, 2, 2}, {10, 2, 5, 1, 0, 0},
    };
    for (const Row& r : rows) {
        INFO("n=" << r.n << " k=" << r.k << " s=" << r.s << " d=" << r.d);
        const AxisPadding p = same_padding(r.n, r.k, r.s, r.d);
        CHECK(p.before == r.pb);
        CHECK(p.after == r.pa);
        // and the output is ceil(n / s)
        CHECK(pooled_size(r.n, r.k, r.s, r.d, p, false) == (r.n + r.s - 1) / r.s);
    }
}

TEST_CASE("adaptive_bin: PyTorch's start/end rule, also when enlarging") {
    struct Row { int i, n, out, begin, end; };
    const Row rows[] = {
        {0, 5, 3, 0, 2}, {1, 5, 3, 1, 4}, {2, 5, 3, 3, 5},                     // overlapping bins
        {0, 2, 5, 0, 1}, {1, 2, 5, 0, 1}, {2, 2, 5, 0, 2}, {3, 2, 5, 1, 2}, {4, 2, 5, 1, 2},  // larger output
        {0, 7, 1, 0, 7}, {3, 8, 4, 6, 8},
    };
    for (const Row& r : rows) {
        INFO("i=" << r.i << " n=" << r.n << " out=" << r.out);
        const Bin b = adaptive_bin(r.i, r.n, r.out);
        CHECK(b.begin == r.begin);
        CHECK(b.end == r.end);
    }
}

TEST_CASE("pooled_size of an image: width first") {
    PoolParams p;
    p.window = {3, 2};
    p.stride = {3, 1};
    CHECK(imgpool::pooled_size(cv::Size(9, 5), p) == cv::Size(3, 4));
    p.padding = Padding::tf_same();
    CHECK(imgpool::pooled_size(cv::Size(10, 5), p) == cv::Size(4, 5));
    p.scope = Scope::adaptive;
    p.output_size = {7, 2};
    CHECK(imgpool::pooled_size(cv::Size(3, 3), p) == cv::Size(7, 2));
}
