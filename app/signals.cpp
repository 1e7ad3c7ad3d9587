#include "signals.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

namespace imgpool::cli {
namespace {
std::atomic<int> g_signal{0};
}

void watch_signals() {
    // Blocked in every thread (threads inherit the mask); one thread waits for them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // A closed pipe (`imgpool ... --json | head -1`) is a failed write to report, not a
    // death mid-write that would leave a temporary file behind.
    std::signal(SIGPIPE, SIG_IGN);
    // Likewise a file-size limit (ulimit -f): the write fails with EFBIG and is reported.
    std::signal(SIGXFSZ, SIG_IGN);
    std::thread([set] {
        for (;;) {
            int sig = 0;
            if (sigwait(&set, &sig) != 0) continue;
            if (g_signal.exchange(sig) != 0) ::_exit(128 + sig);
        }
    }).detach();
}

bool stop_requested() { return g_signal.load() != 0; }

int stop_exit_code() { return 128 + g_signal.load(); }

}  // namespace imgpool::cli
