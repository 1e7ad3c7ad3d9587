#pragma once
// The two error types of the library: bad parameters, and bad files.
#include <stdexcept>
#include <string>

namespace imgpool {

// An invalid pooling or pre-step parameter. `param()` names the field of the
// parameters struct ("size", "stride", "padding", ...) so a front end can name its
// own flag; what() names the bad value.
class Error : public std::runtime_error {
public:
    Error(std::string param, const std::string& message);
    const std::string& param() const noexcept { return param_; }

private:
    std::string param_;
};

// A file that cannot be read, decoded, encoded or written. what() gives the reason
// without the file name; the caller knows the name and prefixes it.
class IoError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace imgpool
