#include "naming.hpp"

#include <filesystem>

#include "cli_values.hpp"
#include "imgpool/pool.hpp"

namespace imgpool::cli {

std::string operation_tag(const PoolParams& p, int repeat) {
    const std::string type = to_string(p.type);
    const std::string times = repeat > 1 ? "-x" + std::to_string(repeat) : "";
    switch (p.scope) {
    case Scope::global: return type + "-global" + times;
    case Scope::adaptive: return type + "-out" + to_text(p.output_size) + times;
    case Scope::window: break;
    }
    const Extent stride{p.stride.w ? p.stride.w : p.window.w, p.stride.h ? p.stride.h : p.window.h};
    return type + "-" + to_text(p.window) + "-s" + to_text(stride) + times;
}

std::string default_output_name(const std::string& input, const PoolParams& p, int repeat, const std::string& ext) {
    const std::filesystem::path in(input);
    return (in.parent_path() / (in.stem().string() + "." + operation_tag(p, repeat) + ext)).string();
}

}  // namespace imgpool::cli
