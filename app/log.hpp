#pragma once
// Where imgpool's own messages go. Codecs (libpng, libtiff, OpenCV's loaders) print their
// own complaints on stderr; imgpool reports each problem in one line itself, so unless -v
// their stderr is /dev/null and imgpool's messages go to the original stderr.
#include <string>

namespace imgpool::cli {

struct Options;

void setup_logging(const Options& o);

// "imgpool: error: <message>", always shown, one line.
void report_error(const std::string& message);

// The original stderr, for the progress bar.
int message_fd();

// While a progress bar is drawn, messages clear its line before they are written.
void set_progress_bar(bool shown);

}  // namespace imgpool::cli
