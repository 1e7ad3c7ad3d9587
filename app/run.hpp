#pragma once
// One input through imgpool: load, pre-steps, pool, save. Batch runs call the same
// process() once per file.
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "compare.hpp"
#include "imgpool/image_io.hpp"
#include "options.hpp"
#include "targets.hpp"

namespace imgpool::cli {

// Exit status: 0 success, 1 an input or output failed, 2 a usage error.
enum Exit { ok = 0, io_failure = 1, usage = 2 };

// A failure to report as one line "imgpool: error: <subject>: <message>".
struct Failure {
    Exit code;
    std::string subject;  // the file or flag
    std::string message;
};

// What one listed type produced (or, in a dry run, would produce).
struct TypeOutcome {
    TypeResult result;  // every stage; empty in a dry run
    Target target;
    cv::Size size;      // of what is written
    int channels = 1;
    int depth = CV_8U;
};

struct Outcome {
    io::Info info;  // the input, from its header
    std::vector<TypeOutcome> types;
    Target sheet;
    double milliseconds = 0;
};

// Does the work for o.input; throws Failure. Writes nothing in a dry run.
Outcome process(const Options& o);

// Prints what a single run shows on stdout: --dry-run lines, --json, --print, or the
// values of global pooling. Throws Failure if stdout cannot be written.
void report(const Options& o, const Outcome& out);

std::string input_name(const Options& o);

}  // namespace imgpool::cli
