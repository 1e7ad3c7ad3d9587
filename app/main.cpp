// imgpool: parse the flags, run, and map every outcome to a documented exit status.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <new>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "options.hpp"
#include "run.hpp"

using namespace imgpool::cli;

namespace {

// Logs go to stderr, never into stdout where results and --print go.
void setup_logging(const Options& o) {
    auto logger = spdlog::stderr_logger_st("imgpool");
    logger->set_pattern("imgpool: %v");
    logger->set_level(o.quiet ? spdlog::level::err
                      : o.verbose >= 2 ? spdlog::level::trace
                      : o.verbose == 1 ? spdlog::level::debug : spdlog::level::info);
    spdlog::set_default_logger(logger);
    // OpenCV logs its own warnings to stderr; imgpool reports problems itself.
    cv::utils::logging::setLogLevel(o.verbose >= 2 ? cv::utils::logging::LOG_LEVEL_INFO
                                                   : cv::utils::logging::LOG_LEVEL_SILENT);
}

std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n') c = ' ';
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

int fail(int code, const std::string& message) {
    std::cerr << "imgpool: error: " << one_line(message) << std::endl;
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"imgpool", "imgpool"};
    Options o;
    setup_cli(app, o);
    try {
        app.parse(argc, argv);
        finish_options(app, o);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // CLI11 exits with its own codes and two-line messages: one line and exit 2 instead.
        return fail(usage, e.what());
    }
    setup_logging(o);
    if (o.verbose) {
        std::string line;
        for (int i = 0; i < argc; ++i) line += (i ? " " : "") + std::string(argv[i]);
        spdlog::debug("command: {}", line);  // so a failing script line is easy to replay
    }
    try {
        run(o);
        return ok;
    } catch (const Failure& f) {
        return fail(f.code, f.subject + ": " + f.message);
    } catch (const std::bad_alloc&) {
        return fail(io_failure, o.input + ": out of memory");
    } catch (const cv::Exception& e) {
        return fail(io_failure, o.input + ": " + e.err);
    } catch (const std::exception& e) {
        return fail(io_failure, o.input + ": " + e.what());
    }
}
