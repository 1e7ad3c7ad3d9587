// The argument parser on any argv (one argument per line of the input): CLI11's parse,
// then imgpool's own rules between flags. Rejection is a CLI::ParseError (exit 2 in the
// real binary); anything else that escapes, or a crash, is a bug. Accepted options must
// then give pooling parameters that validate cleanly or with an imgpool::Error.
#include <cstdint>
#include <string>
#include <vector>

#include "imgpool/pool.hpp"
#include "options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> args{"imgpool"};
    std::string arg;
    for (std::size_t i = 0; i < size && args.size() < 64; ++i) {
        if (data[i] == '\n') {
            args.push_back(arg);
            arg.clear();
        } else {
            arg += char(data[i]);
        }
    }
    if (!arg.empty()) args.push_back(arg);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());

    CLI::App app{"imgpool", "imgpool"};
    imgpool::cli::Options o;
    imgpool::cli::setup_cli(app, o);
    try {
        app.parse(int(argv.size()), argv.data());
        imgpool::cli::finish_options(app, o);
    } catch (const CLI::ParseError&) {
        return 0;  // --help and --version are ParseErrors too
    }
    for (imgpool::PoolType t : o.types) {
        try {
            imgpool::validate(imgpool::cli::params_for(o, t), {64, 48});
        } catch (const imgpool::Error&) {
        }
    }
    return 0;
}
