// imgpool: parse the flags, run, and map every outcome to a documented exit status.
#include <spdlog/spdlog.h>

#include <iostream>
#include <sstream>
#include <new>
#include <opencv2/core.hpp>

#include "batch.hpp"
#include "completion.hpp"
#include "log.hpp"
#include "options.hpp"
#include "report.hpp"
#include "run.hpp"
#include "signals.hpp"

using namespace imgpool::cli;

namespace {

// Usage errors come before logging is set up: one line on stderr, as CLI11 would not.
int usage_error(const std::string& message) {
    std::string line = message;
    for (char& c : line)
        if (c == '\n') c = ' ';
    std::cerr << "imgpool: error: " << line << std::endl;
    return usage;
}

int run_all(const Options& o) {
    if (o.batch) return run_batch(o, plan_jobs(o));
    if (o.threads > 0) cv::setNumThreads(o.threads);
    spdlog::debug("pooling on up to {} threads", cv::getNumThreads());
    report(o, process(o));
    return stop_requested() ? stop_exit_code() : ok;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"imgpool", "imgpool"};
    Options o;
    setup_cli(app, o);
    try {
        app.parse(argc, argv);
        if (!o.completion.empty()) {
            const std::string script = completion_script(app, o.completion);
            if (script.empty()) return usage_error("--completion: '" + o.completion + "' is not bash or zsh");
            std::cout << script;
            return ok;
        }
        if (o.print_config) {
            // The settings given (on the command line or by --config), in --config's own
            // format, so the output is a config file; the inputs are not settings.
            std::istringstream lines(app.config_to_str(false, false));
            for (std::string line; std::getline(lines, line);)
                if (line.rfind("INPUT", 0) != 0 && line.rfind("print-config", 0) != 0) std::cout << line << "\n";
            return ok;
        }
        finish_options(app, o);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ConfigError& e) {
        // CLI11 says "INI was not able to parse <key>" for a key that is no flag.
        const std::string what = e.what(), prefix = "INI was not able to parse ";
        if (what.rfind(prefix, 0) == 0) return usage_error("--config: '" + what.substr(prefix.size()) + "' is not a flag");
        return usage_error("--config: " + what);
    } catch (const CLI::ParseError& e) {
        // CLI11 exits with its own codes and two-line messages: one line and exit 2 instead.
        return usage_error(e.what());
    }
    watch_signals();
    setup_logging(o);
    if (o.verbose) {
        std::string line;
        for (int i = 0; i < argc; ++i) line += (i ? " " : "") + std::string(argv[i]);
        spdlog::debug("command: {}", line);  // so a failing script line is easy to replay
    }
    try {
        const int code = run_all(o);
        spdlog::debug("peak memory {:.1f} MB (maximum resident set size)", double(peak_rss_kb()) / 1024);
        return code;
    } catch (const Failure& f) {
        report_error(f.subject + ": " + f.message);
        return f.code;
    } catch (const std::bad_alloc&) {
        report_error(input_name(o) + ": out of memory");
    } catch (const cv::Exception& e) {
        report_error(input_name(o) + ": " + e.err);
    } catch (const std::exception& e) {
        report_error(input_name(o) + ": " + e.what());
    }
    return io_failure;
}
