#pragma once
// Describing shapes, parameters and results for people (titles, logs) and scripts (JSON).
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>

#include "options.hpp"

namespace imgpool::cli {

const char* dtype_name(int depth);                            // NumPy's: "uint8", "float64"
std::string shape_text(cv::Size s, int channels, int depth);  // "225x150x3 uint8"
// What one pooling stage did, for sheet titles: "max 2x2 /2 same -> 112x112".
std::string stage_title(const PoolParams& p, cv::Size out);

nlohmann::json shape_json(cv::Size s, int channels);  // NumPy order: [H, W] or [H, W, C]
nlohmann::json params_json(const Options& o, const PoolParams& p);
nlohmann::json values_json(const cv::Mat& m);  // every value, NaN/inf as null

// The process's peak memory so far: its maximum resident set size in KiB, the number
// `/usr/bin/time -f %M` prints.
long peak_rss_kb();

}  // namespace imgpool::cli
