#pragma once
// Ctrl-C and SIGTERM ask a run to stop: files in progress are finished and written whole,
// nothing new is started, and imgpool exits with 128 + the signal's number. A second
// signal exits at once. SIGPIPE is ignored: a closed stdout is a write error like any other.
namespace imgpool::cli {

void watch_signals();  // call before any thread starts
bool stop_requested();
int stop_exit_code();  // 130 for SIGINT, 143 for SIGTERM

}  // namespace imgpool::cli
