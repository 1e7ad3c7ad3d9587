#pragma once
// Batch runs: every input file through the single-image process(), in parallel.
#include <string>
#include <vector>

#include "options.hpp"

namespace imgpool::cli {

struct Job {
    std::string input;                 // the file to read
    std::string relative;              // its first output's path relative to -o (shard key)
    std::vector<std::string> outputs;  // one per listed type
};

// Expands files, directories (-r to descend), globs and --files-from into jobs whose
// outputs mirror each input directory's tree under -o, named by --name. Checks that no two
// inputs share an output (over all inputs), then keeps this --shard's share.
// Throws Failure.
std::vector<Job> plan_jobs(const Options& o);

// Stable 64-bit FNV-1a: the same on every machine, so shards partition alike everywhere.
unsigned long long stable_hash(const std::string& s);

// Runs the jobs on -j workers with a progress bar, one error line per failed file, JSON
// Lines with --json, and a summary. Returns the exit status.
int run_batch(const Options& o, const std::vector<Job>& jobs);

}  // namespace imgpool::cli
