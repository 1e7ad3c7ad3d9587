// The least an OpenCV program does for `imgpool IN -t max -k 2 -o OUT`, as a whole-process
// peer for bench/process.sh: cv::imread, 2x2 max with stride 2, cv::imwrite. It pays what
// any OpenCV program pays (loading libopencv_imgcodecs and its ~140 libraries) and no more.
//
//   imgpool_min_opencv IN OUT [JPEG_QUALITY [PNG_LEVEL]]
//
// JPEG_QUALITY (default 90) applies to a JPEG output; PNG_LEVEL 0..9 sets
// IMWRITE_PNG_COMPRESSION for a PNG output, -1 (default) keeps OpenCV's own choice (zlib
// level 1 with Z_RLE and the Sub filter, the settings imgpool 0.1 writes with).
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 3 || argc > 5) {
        std::fprintf(stderr, "usage: %s IN OUT [JPEG_QUALITY [PNG_LEVEL]]\n", argv[0]);
        return 2;
    }
    const int quality = argc > 3 ? std::atoi(argv[3]) : 90;
    const int png_level = argc > 4 ? std::atoi(argv[4]) : -1;

    const cv::Mat in = cv::imread(argv[1], cv::IMREAD_UNCHANGED);
    if (in.empty()) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    // Max over each 2x2 block anchored at its top-left cell, then every second pixel (an
    // exact halving with INTER_NEAREST takes pixel 2x): the same bytes as imgpool -t max -k 2.
    const cv::Mat even = in(cv::Rect(0, 0, in.cols / 2 * 2, in.rows / 2 * 2));
    cv::Mat dilated, out;
    cv::dilate(even, dilated, cv::Mat::ones(2, 2, CV_8U), cv::Point(0, 0));
    cv::resize(dilated, out, cv::Size(even.cols / 2, even.rows / 2), 0, 0, cv::INTER_NEAREST);

    std::vector<int> params{cv::IMWRITE_JPEG_QUALITY, quality};
    if (png_level >= 0) params.insert(params.end(), {cv::IMWRITE_PNG_COMPRESSION, png_level});
    if (!cv::imwrite(argv[2], out, params)) {
        std::fprintf(stderr, "cannot write %s\n", argv[2]);
        return 1;
    }
    return 0;
}
