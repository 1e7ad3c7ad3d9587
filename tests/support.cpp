#include "support.hpp"

#include "imgpool/error.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

namespace fs = std::filesystem;

namespace test {

std::string fixture(const std::string& rel) { return std::string(IMGPOOL_FIXTURES) + "/" + rel; }
std::string sample(const std::string& name) { return std::string(IMGPOOL_SAMPLES) + "/" + name; }

std::vector<unsigned char> read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<unsigned char>& b) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void write_text(const std::string& path, const std::string& s) {
    std::ofstream f(path, std::ios::binary);
    f << s;
}

std::string read_text(const std::string& path) {
    auto b = read_bytes(path);
    return {b.begin(), b.end()};
}

TempDir::TempDir() {
    static std::mt19937_64 rng{std::random_device{}()};
    path = fs::temp_directory_path() / ("imgpool-test-" + std::to_string(rng()));
    fs::create_directories(path);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path, ec);
}

Run cli(const std::string& args, const std::string& cwd, const std::string& stdin_file) {
    TempDir capture;
    std::string out = capture / "out", err = capture / "err";
    std::string cmd = "cd '" + cwd + "' && '" IMGPOOL_BIN "' " + args + " >'" + out + "' 2>'" + err + "'";
    cmd += stdin_file.empty() ? " </dev/null" : " <'" + stdin_file + "'";
    int status = std::system(cmd.c_str());
    Run r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_text(out);
    r.err = read_text(err);
    return r;
}

StderrCapture::StderrCapture() : file_(std::tmpfile()) {
    REQUIRE(file_ != nullptr);
    std::fflush(stderr);
    saved_ = ::dup(2);
    ::dup2(::fileno(file_), 2);
}

StderrCapture::~StderrCapture() {
    restore();
    std::fclose(file_);
}

std::string StderrCapture::text() {
    restore();
    std::string s;
    std::rewind(file_);
    for (int c; (c = std::fgetc(file_)) != EOF;) s += char(c);
    return s;
}

void StderrCapture::restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const imgpool::IoError& e) {
        return e.what();
    }
    return "(no IoError)";
}

bool same(const cv::Mat& a, const cv::Mat& b) {
    if (a.size() != b.size() || a.type() != b.type()) return false;
    cv::Mat da, db;
    a.reshape(1, 1).convertTo(da, CV_64F);
    b.reshape(1, 1).convertTo(db, CV_64F);
    for (int i = 0; i < da.cols; ++i) {
        double x = da.at<double>(i), y = db.at<double>(i);
        if (std::isnan(x) && std::isnan(y)) continue;
        if (x != y) return false;
    }
    return true;
}

double max_rel_diff(const cv::Mat& a, const cv::Mat& b) {
    if (a.size() != b.size() || a.channels() != b.channels()) return INFINITY;
    cv::Mat da, db;
    a.reshape(1, 1).convertTo(da, CV_64F);
    b.reshape(1, 1).convertTo(db, CV_64F);
    double worst = 0;
    for (int i = 0; i < da.cols; ++i) {
        double x = da.at<double>(i), y = db.at<double>(i);
        if (std::isnan(x) || std::isnan(y)) {
            if (std::isnan(x) != std::isnan(y)) return INFINITY;
            continue;
        }
        if (x == y) continue;  // also equal infinities
        worst = std::max(worst, std::abs(x - y) / std::max(1.0, std::abs(y)));
    }
    return worst;
}

cv::Mat mat(const std::vector<std::vector<double>>& rows, int depth) {
    cv::Mat m(static_cast<int>(rows.size()), static_cast<int>(rows.at(0).size()), CV_64F);
    for (int y = 0; y < m.rows; ++y)
        for (int x = 0; x < m.cols; ++x) m.at<double>(y, x) = rows[y].at(x);
    cv::Mat out;
    m.convertTo(out, depth);
    return out;
}

cv::Mat swapped(const cv::Mat& m) {
    if (m.channels() < 3) return m.clone();
    cv::Mat out(m.size(), m.type());
    const int pairs[] = {0, 2, 1, 1, 2, 0, 3, 3};
    cv::mixChannels(&m, 1, &out, 1, pairs, std::size_t(m.channels()));
    return out;
}

cv::Mat opencv_decode(const std::vector<unsigned char>& b) {
    StderrCapture quiet;
    return swapped(cv::imdecode(b, cv::IMREAD_UNCHANGED));
}

cv::Mat random_image(std::mt19937& rng, cv::Size size, int depth, int cn) {
    cv::Mat m(size, CV_MAKETYPE(depth, cn));
    cv::Mat flat = m.reshape(1);
    cv::theRNG().state = rng();
    if (depth == CV_32F || depth == CV_64F) cv::randn(flat, 0, 100);
    else cv::randu(flat, -40000, 40000);  // saturates into each depth's range
    if (rng() % 4 == 0) flat.setTo(3, flat > 0);  // many ties
    return m;
}

}  // namespace test
