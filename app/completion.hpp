#pragma once
// Shell completions generated from the parser itself, so they cannot drift from the flags.
#include <CLI/CLI.hpp>
#include <string>

namespace imgpool::cli {

// The bash or zsh completion script for `app`; empty for another shell.
std::string completion_script(const CLI::App& app, const std::string& shell);

}  // namespace imgpool::cli
