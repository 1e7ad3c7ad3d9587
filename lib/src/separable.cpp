#include "engines.hpp"

namespace imgpool::detail {

bool pool_separable(const Plan&, const PoolParams&, cv::Mat&) { return false; }

}  // namespace imgpool::detail
