#pragma once
// One run of imgpool over one input: load, pre-steps, pool, save or print.
#include "options.hpp"

namespace imgpool::cli {

// Exit status: 0 success, 1 an input or output failed, 2 a usage error.
enum Exit { ok = 0, io_failure = 1, usage = 2 };

// A failure to report as one line "imgpool: error: <subject>: <message>".
struct Failure {
    Exit code;
    std::string subject;  // the file or flag
    std::string message;
};

// Does the work; throws Failure.
void run(const Options& o);

}  // namespace imgpool::cli
