#include "engines.hpp"

namespace imgpool::detail {

bool pool_2x2(const cv::Mat&, const PoolParams&, int, cv::Mat&) { return false; }

}  // namespace imgpool::detail
