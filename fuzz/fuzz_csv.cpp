// .csv reader on any text: an IoError or a matrix, never a crash. A matrix must survive
// encode -> decode exactly (each number is written in the shortest form that reads back).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "imgpool/csv.hpp"
#include "imgpool/error.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_csv: %s\n", what);
    std::abort();
}

// Same values: equal bits, or both NaN (a NaN's sign and payload are not kept in text).
bool same_values(const cv::Mat& a, const cv::Mat& b) {
    if (a.size() != b.size() || a.type() != b.type() || a.type() != CV_64FC1) return false;
    for (int y = 0; y < a.rows; ++y)
        for (int x = 0; x < a.cols; ++x) {
            const double u = a.at<double>(y, x), v = b.at<double>(y, x);
            if (std::isnan(u) && std::isnan(v)) continue;
            if (std::memcmp(&u, &v, sizeof u) != 0) return false;
        }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    cv::Mat m;
    try {
        m = imgpool::csv::decode(text);
    } catch (const imgpool::IoError&) {
        return 0;
    }
    if (m.empty() || m.type() != CV_64FC1) fail("decode returned an empty or non-float64 matrix");
    if (!same_values(imgpool::csv::decode(imgpool::csv::encode(m)), m)) fail("encode -> decode changed the values");
    return 0;
}
