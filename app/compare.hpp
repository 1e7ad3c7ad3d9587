#pragma once
// The panels of a --compare sheet: the input, the pipeline's steps, each pooled stage.
#include <opencv2/core.hpp>
#include <vector>

#include "imgpool/sheet.hpp"
#include "options.hpp"

namespace imgpool::cli {

// The results of one listed type: every stage of --repeat, in order.
struct TypeResult {
    PoolParams params;
    std::vector<cv::Mat> stages;
};

// One row, or one row per type when several types are each repeated.
std::vector<std::vector<Panel>> sheet_rows(const Options& o, const cv::Mat& input, const cv::Mat& filtered,
                                           const cv::Mat& detected, const std::vector<TypeResult>& results);

// The font the sheets use (Debian's fonts-dejavu-core); Hershey if it is missing.
const char* sheet_font();

}  // namespace imgpool::cli
