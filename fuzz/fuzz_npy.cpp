// .npy reader on any bytes: an IoError or an array, never a crash. An array must be what
// the header alone promised (npy::probe), and must survive encode -> decode bit for bit.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "imgpool/error.hpp"
#include "imgpool/npy.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_npy: %s\n", what);
    std::abort();
}

bool same_bits(const cv::Mat& a, const cv::Mat& b) {
    if (a.size() != b.size() || a.type() != b.type()) return false;
    for (int y = 0; y < a.rows; ++y)
        if (std::memcmp(a.ptr(y), b.ptr(y), size_t(a.cols) * a.elemSize()) != 0) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<unsigned char> bytes(data, data + size);
    cv::Mat m;
    try {
        m = imgpool::npy::decode(bytes);
    } catch (const imgpool::IoError&) {
        return 0;
    }
    const imgpool::npy::Header h = imgpool::npy::probe(bytes);  // decode accepted it: so must probe
    if (h.rows != m.rows || h.cols != m.cols || h.channels != m.channels() || h.depth != m.depth())
        fail("probe and decode disagree");
    if (!same_bits(imgpool::npy::decode(imgpool::npy::encode(m)), m)) fail("encode -> decode changed the array");
    return 0;
}
