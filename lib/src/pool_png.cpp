// See pool_png.hpp. The calling thread decodes; each time enough rows are in it pools the
// next band of output rows and publishes how many are done; threads-1 helpers deflate the
// pieces whose rows are done (png_parallel.cpp), and the calling thread joins them once the
// file is decoded. The pieces and their order are encode_png's, so are the bytes.
#include "imgpool/pool_png.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "imgpool/pool.hpp"
#include "imgpool/pool_rows.hpp"
#include "png_codec.hpp"
#include "png_parallel.hpp"

namespace imgpool::io {
namespace {

// Output rows pooled at a time. Small against a piece (~45 rows of a 2K RGB result), so that
// the helpers wait little, when windows do not overlap vertically; where they do, each band
// pools again the rows it shares with the next and some engines set up per call (median's
// histograms), so an eighth of the output: 1-3% more instructions than one pool() (callgrind,
// avg 3x3/1 and median 5x5/1; 5% and 13% in bands of 16 rows), and such pooling outweighs
// decoding anyway.
int band_rows(const PoolParams& p, int out_rows) {
    const long long extent = (long long)p.dilation.h * (p.window.h - 1) + 1;
    return extent <= effective_stride(p).h ? 16 : std::max(16, out_rows / 8);
}

PooledPng in_turn(Bytes&& data, const std::string& path, const Info& probed, const PoolParams& p,
                  const EncodeOptions& opt) {
    PooledPng r;
    r.pooled = pool(decode_file(std::move(data), path, probed), p);
    try {
        r.png = encode(r.pooled, Format::png, opt);
    } catch (const IoError& e) {
        throw EncodeError(e.what());
    }
    return r;
}

using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

// The input as a stream, if it is a regular file (as decode_file reads it).
File open_regular(const std::string& path) {
    File none(nullptr, std::fclose);
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st {};
    if (fd < 0) return none;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return none;
    }
    std::FILE* f = ::fdopen(fd, "rb");
    if (!f) ::close(fd);
    return {f, std::fclose};
}

// How far pooling is, for the helpers to wait on.
class Progress {
public:
    void pooled(std::size_t rows) {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            pooled_ = rows;
        }
        changed_.notify_all();
    }
    void abandon() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            abandoned_ = true;
        }
        changed_.notify_all();
    }
    // Waits until `rows` are pooled (true) or the run is abandoned (false).
    bool wait_for(std::size_t rows) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return pooled_ >= rows || abandoned_; });
        return !abandoned_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t pooled_ = 0;
    bool abandoned_ = false;
};

// The helper threads, stopped and joined on every path out.
class Helpers {
public:
    explicit Helpers(Progress& progress) : progress_(progress) {}
    ~Helpers() {
        progress_.abandon();  // after an error: helpers waiting for rows give up (joined ones are gone)
        join();
    }
    Helpers(const Helpers&) = delete;
    Helpers& operator=(const Helpers&) = delete;

    void start(int n, detail::PngPieces& pieces) {
        for (int i = 0; i < n; ++i)
            threads_.emplace_back(
                [&pieces, this] { pieces.work([this](std::size_t rows) { return progress_.wait_for(rows); }); });
    }
    void join() {
        for (std::thread& t : threads_) t.join();
        threads_.clear();
    }

private:
    Progress& progress_;
    std::vector<std::thread> threads_;
};

}  // namespace

PooledPng pool_png_file(Bytes&& data, const std::string& path, const Info& probed, const PoolParams& p,
                        const EncodeOptions& opt) {
    const int threads = cv::getNumThreads();
    if (probed.format != Format::png || probed.orientation != 1 || p.scope != Scope::window || threads < 2 ||
        opt.png_compression < -1 || opt.png_compression > 9)
        return in_turn(std::move(data), path, probed, p, opt);
    const cv::Size in_size(probed.width, probed.height);
    const cv::Size out_size = pooled_size(in_size, p);
    const int depth = result_depth(probed.depth, p);
    if (cannot_hold(Format::png, depth, probed.channels)) return in_turn(std::move(data), path, probed, p, opt);
    PooledPng r;
    r.pooled.create(out_size, CV_MAKETYPE(depth, probed.channels));
    File file(nullptr, std::fclose);
    if (detail::png_in_pieces(r.pooled)) file = open_regular(path);
    if (!file) {
        r.pooled.release();  // not held while in_turn decodes
        return in_turn(std::move(data), path, probed, p, opt);
    }
    Bytes().swap(data);  // the file is read again in pieces: its bytes and pixels are never all in memory

    try {
        detail::append_png_header(r.pooled, r.png);
    } catch (const IoError& e) {
        throw EncodeError(e.what());
    }
    detail::PngPieces pieces(r.pooled, opt.png_compression, detail::png_piece_bytes, r.png);
    // The input rows each band needs, computed once.
    std::vector<int> band_ends, needs;
    const int rows_per_band = band_rows(p, out_size.height);
    for (int o = 0; o < out_size.height;) {
        o = std::min(out_size.height, o + rows_per_band);
        band_ends.push_back(o);
        needs.push_back(pool_input_rows(in_size, p, o));
    }
    Progress progress;
    std::size_t band = 0;
    int pooled = 0;
    const auto on_rows = [&](const cv::Mat& img, int rows) {
        if (rows == 0 && (img.size() != in_size || img.channels() != probed.channels || img.depth() != probed.depth))
            throw IoError("changed while being read");
        if (band == band_ends.size() || rows < needs[band]) return;
        while (band < band_ends.size() && needs[band] <= rows) ++band;
        const int last = band_ends[band - 1];
        pool_rows(img, p, pooled, last).copyTo(r.pooled.rowRange(pooled, last));
        pooled = last;
        progress.pooled(std::size_t(pooled));
    };
    {
        Helpers helpers(progress);
        helpers.start(threads - 1, pieces);
        detail::decode_png(file.get(), on_rows);  // the input is freed here: every row is pooled
        // (the last band needs every input row); deflate beside the helpers.
        pieces.work([](std::size_t) { return true; });
        helpers.join();
    }
    try {
        pieces.finish();
    } catch (const IoError& e) {
        throw EncodeError(e.what());
    }
    return r;
}

}  // namespace imgpool::io
