#pragma once
// Everything a user can say on the command line, declared once in setup_cli().
#include <CLI/CLI.hpp>

#include <map>
#include <optional>
#include <string>

#include "imgpool/display.hpp"
#include "imgpool/filter.hpp"
#include "imgpool/params.hpp"
#include "imgpool/preprocess.hpp"

namespace imgpool::cli {

struct Options {
    std::vector<std::string> inputs;  // as given: files, directories, globs, "-"
    std::string input;   // the one input a run processes: a path, or "-" for stdin
    std::string output;  // "" = beside the input (default name), "-" = stdout; a directory in batch mode
    std::vector<std::string> outputs;  // set per file by batch runs: one path per listed type
    PoolParams pool;  // everything but the type, shared by all listed types
    std::vector<PoolType> types{PoolType::max};
    int repeat = 1;
    bool global = false;
    bool grayscale = false;
    std::optional<Extent> resize;
    Interp interp = Interp::automatic;
    std::string filter;  // a built-in kernel name or a .csv/.npy kernel file
    FilterPadding filter_padding = FilterPadding::same;
    bool relu = false;
    std::string compare;  // the comparison sheet's path
    Colormap colormap = Colormap::none;
    DisplayRange range;
    bool upscale = false;
    std::string format;  // output format for stdout / default names ("png", "npy", ...)
    int quality = -1;
    int png_compression = -1;  // -1: the encoder's default
    bool overwrite = false;
    bool print = false;
    bool json = false;
    bool dry_run = false;
    int verbose = 0;
    bool quiet = false;

    long long max_pixels = 128'000'000;  // per image, from the header; 0 = no limit

    // Batch runs
    bool recursive = false;
    std::string files_from;  // a file of paths, one per line, or "-" for stdin
    std::vector<std::string> extensions;  // only these, in directories ("png", "jpg")
    std::string name = "{stem}.{tag}{ext}";
    int jobs = 0;  // 0 = every core
    int threads = 0;  // threads per image; 0 = every core (single image) or cores / jobs (batch)
    bool fail_fast = false;
    bool skip_existing = false;
    int shard_index = 1, shard_count = 1;  // --shard I/N

    // Any directory, glob, --files-from or several inputs (decided by finish_options).
    bool batch = false;

    std::string completion;  // "bash" or "zsh": print that shell's completion script
    bool print_config = false;
};

// Declares every flag with its name, placeholder, help, check and default, bound to `o`.
void setup_cli(CLI::App& app, Options& o);

// Rules between flags that CLI11 cannot express per flag. Call after a successful
// parse; throws CLI::ValidationError naming the flag. Also derives o.pool.scope.
void finish_options(const CLI::App& app, Options& o);

// The accepted values of each enumerated flag ("--type" -> max, avg, ...), as declared.
const std::map<std::string, std::vector<std::string>>& flag_choices();

// The parameters for one of the listed types: options that type cannot use are dropped.
PoolParams params_for(const Options& o, PoolType type);

// The flag a library parameter name ("window", "stride", ...) was given by.
std::string flag_for_param(const std::string& param);

}  // namespace imgpool::cli
