#include "imgpool/error.hpp"

namespace imgpool {

Error::Error(std::string param, const std::string& message)
    : std::runtime_error(message), param_(std::move(param)) {}

}  // namespace imgpool
