#pragma once
// Shared helpers for the tests: fixture paths, file I/O in temp dirs, running the CLI.
#include <opencv2/core.hpp>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace test {

std::string fixture(const std::string& rel);  // tests/fixtures/<rel>
std::string sample(const std::string& name);  // sample_images/<name>
std::vector<unsigned char> read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::vector<unsigned char>& b);
void write_text(const std::string& path, const std::string& s);
std::string read_text(const std::string& path);

// A fresh temporary directory, removed when the object dies.
struct TempDir {
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::filesystem::path path;
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Runs the real imgpool binary with `args` (a shell-quoted string) in `cwd`,
// optionally feeding `stdin_file`; captures stdout, stderr and the exit code.
struct Run {
    int code = -1;
    std::string out, err;
};
Run cli(const std::string& args, const std::string& cwd = ".", const std::string& stdin_file = "");

// Sends file descriptor 2 to a temporary file while alive; text() stops and returns what came.
class StderrCapture {
public:
    StderrCapture();
    ~StderrCapture();
    StderrCapture(const StderrCapture&) = delete;
    StderrCapture& operator=(const StderrCapture&) = delete;
    std::string text();

private:
    void restore();
    std::FILE* file_;
    int saved_ = -1;
};

// what() of the imgpool::IoError `f` throws, or "(no IoError)" when it throws none.
std::string error_of(const std::function<void()>& f);

// Element-wise equality of two Mats of the same size, type and values (NaN equal to NaN).
bool same(const cv::Mat& a, const cv::Mat& b);
// Largest |a-b| / max(1,|b|) over all elements (both converted to double).
double max_rel_diff(const cv::Mat& a, const cv::Mat& b);
// BGR(A) <-> RGB(A) at any depth (other channel counts copied as they are).
cv::Mat swapped(const cv::Mat& m);
// What cv::imdecode(IMREAD_UNCHANGED) gives, in RGB(A) order; its codecs' stderr kept quiet.
cv::Mat opencv_decode(const std::vector<unsigned char>& b);
// Random samples of `depth` (integers saturated into its range, floats around 0), with many
// ties in one image of four: input for comparing engines.
cv::Mat random_image(std::mt19937& rng, cv::Size size, int depth, int cn);
// A Mat from rows of numbers, one channel, of `depth`.
cv::Mat mat(const std::vector<std::vector<double>>& rows, int depth = CV_64F);

}  // namespace test
