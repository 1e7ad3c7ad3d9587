// Any bytes through io::probe, then io::decode as the CLI does: an IoError or an image,
// never a crash. Nothing larger than the CLI's default --max-pixels is decoded, as in the
// CLI; and an image must be what the header promised (probe and decode agree).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "imgpool/error.hpp"
#include "imgpool/image_io.hpp"

namespace io = imgpool::io;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    setenv("IMGPOOL_PLUGIN_DIR", IMGPOOL_PLUGIN_DIR, 0);  // a directory given by the caller wins
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const io::Bytes bytes(data, data + size);
    constexpr std::int64_t kMaxPixels = 128'000'000;  // the CLI's default --max-pixels
    try {
        const io::Info info = io::probe(bytes, io::Format::unknown, kMaxPixels);  // over it: the size only
        if (std::int64_t(info.width) * info.height > kMaxPixels) return 0;
        const cv::Mat m = io::decode(bytes);
        if (m.cols != info.width || m.rows != info.height || m.channels() != info.channels ||
            m.depth() != info.depth) {
            std::fprintf(stderr, "fuzz_image: probe says %dx%d, %d channels, depth %d; decode gives %dx%d, %d, %d\n",
                         info.width, info.height, info.channels, info.depth, m.cols, m.rows, m.channels(), m.depth());
            std::abort();
        }
    } catch (const imgpool::IoError&) {
    }
    return 0;
}
