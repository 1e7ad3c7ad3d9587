#include "log.hpp"

#include <fcntl.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string_view>
#include <opencv2/core/utils/logger.hpp>

#include "options.hpp"

namespace imgpool::cli {
namespace {

int g_fd = STDERR_FILENO;
std::atomic<bool> g_bar{false};

// A sink writing whole lines to a file descriptor, safe from any thread.
class FdSink : public spdlog::sinks::base_sink<std::mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t line;
        if (g_bar) line.append(std::string_view("\r\033[K"));  // clear the progress bar's line first
        formatter_->format(msg, line);
        for (const char* p = line.data(); p < line.data() + line.size();) {
            const ssize_t n = ::write(g_fd, p, size_t(line.data() + line.size() - p));
            if (n <= 0) break;
            p += n;
        }
    }
    void flush_() override {}
};

}  // namespace

void setup_logging(const Options& o) {
    if (o.verbose == 0) {
        const int keep = ::dup(STDERR_FILENO);
        const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (keep >= 0 && null >= 0) {
            ::fcntl(keep, F_SETFD, FD_CLOEXEC);
            ::dup2(null, STDERR_FILENO);
            g_fd = keep;
        }
        if (null >= 0) ::close(null);
    }
    auto logger = std::make_shared<spdlog::logger>("imgpool", std::make_shared<FdSink>());
    logger->set_pattern("imgpool: %v");
    logger->set_level(o.quiet ? spdlog::level::err
                      : o.verbose >= 2 ? spdlog::level::trace
                      : o.verbose == 1 ? spdlog::level::debug : spdlog::level::info);
    spdlog::set_default_logger(logger);
    // OpenCV logs its own warnings to stderr; imgpool reports problems itself.
    cv::utils::logging::setLogLevel(o.verbose >= 2 ? cv::utils::logging::LOG_LEVEL_INFO
                                                   : cv::utils::logging::LOG_LEVEL_SILENT);
}

void report_error(const std::string& message) {
    std::string line = message;
    for (char& c : line)
        if (c == '\n') c = ' ';
    spdlog::error("error: {}", line);
}

int message_fd() { return g_fd; }

void set_progress_bar(bool shown) { g_bar = shown; }

}  // namespace imgpool::cli
