// Linked into the test program and imgpool only in ThreadSanitizer builds (the tsan preset):
// OpenCV's parallel_for_ then runs on std::thread instead of Debian's TBB. TBB is not
// instrumented, so TSan cannot see the ordering its atomics give, and reports every hand-over
// between a worker and the caller as a race; threads started and joined per call are
// pthread_create and pthread_join, which it sees.
#include <opencv2/core.hpp>
#include <opencv2/core/parallel/parallel_backend.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace {

thread_local int t_index = 0;

class StdThreadBackend : public cv::parallel::ParallelForAPI {
public:
    void parallel_for(int tasks, FN_parallel_for_body_cb_t body, void* data) override {
        const int caller = t_index;
        std::atomic<int> next{0};
        auto work = [&](int index) {
            t_index = index;
            for (int i = next++; i < tasks; i = next++) body(i, i + 1, data);
        };
        std::vector<std::thread> helpers;
        try {
            for (int t = 1; t < std::min(tasks, getNumThreads()); ++t) helpers.emplace_back(work, t);
        } catch (...) {  // no thread to be had: the tasks left run here
        }
        work(0);
        for (std::thread& h : helpers) h.join();
        t_index = caller;
    }
    int getThreadNum() const override { return t_index; }
    // As OpenCV's own: 0 runs the loops in the caller alone, negative is every core.
    int getNumThreads() const override {
        const int n = threads_;
        return n > 0 ? n : n == 0 ? 1 : int(std::max(1u, std::thread::hardware_concurrency()));
    }
    int setNumThreads(int n) override { return threads_.exchange(n); }
    const char* getName() const override { return "std::thread (ThreadSanitizer build)"; }

private:
    std::atomic<int> threads_{-1};
};

const bool installed = [] {
    cv::parallel::setParallelForBackend(std::make_shared<StdThreadBackend>());
    return true;
}();

}  // namespace
