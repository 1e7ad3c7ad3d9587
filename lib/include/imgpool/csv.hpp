#pragma once
// 2-D numeric text matrices (.csv, .txt): comma or whitespace separated.
#include <opencv2/core.hpp>
#include <string>

namespace imgpool::csv {

// Parses to a one-channel CV_64F matrix, like np.loadtxt: '#' starts a comment,
// blank lines are skipped, nan/inf accepted. Throws IoError for ragged rows,
// non-numbers (naming line and column) and empty content.
cv::Mat decode(const std::string& text);

// One row per line, comma separated; each value printed in the shortest form that
// reads back exactly. One channel only (IoError otherwise).
std::string encode(const cv::Mat& m);

}  // namespace imgpool::csv
