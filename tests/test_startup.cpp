// Issue #5, start-up: OpenCV's codecs library (libopencv_imgcodecs, which loads ~140 more)
// is opened only for the formats that need it, found beside the program; without it those
// formats give one clear error line.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <imgpool/image_io.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "opencv_plugin.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

struct Traced {
    int code = -1;
    std::string libraries;  // the dynamic loader's record of the files it opened
    std::string err;
};

// Runs `program args` in `dir` with the dynamic loader's file trace in a file (imgpool
// sends its own stderr to /dev/null unless -v) and without the test's plugin directory,
// so the plugin must be found beside the program.
Traced traced(const std::string& program, const std::string& args, const test::TempDir& dir) {
    const std::string trace = dir / "ld-trace";
    const std::string cmd = "cd '" + dir.path.string() +
                            "' && env -u IMGPOOL_PLUGIN_DIR LD_DEBUG=files LD_DEBUG_OUTPUT='" + trace + "' '" +
                            program + "' " + args + " >/dev/null 2>'" + (dir / "err") + "' </dev/null";
    const int status = std::system(cmd.c_str());
    Traced t;
    t.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    t.err = test::read_text(dir / "err");
    for (const auto& e : fs::directory_iterator(dir.path))
        if (e.path().filename().string().rfind("ld-trace", 0) == 0) {
            t.libraries += test::read_text(e.path().string());
            fs::remove(e.path());
        }
    return t;
}

bool opened_imgcodecs(const Traced& t) {
    return t.libraries.find("libopencv_imgcodecs") != std::string::npos;
}

void write_inputs(const test::TempDir& dir) {
    cv::Mat bgr(32, 48, CV_8UC3);
    cv::randu(bgr, 0, 256);
    REQUIRE(cv::imwrite(dir / "a.png", bgr));
    REQUIRE(cv::imwrite(dir / "a.jpg", bgr));
    REQUIRE(cv::imwrite(dir / "a.webp", bgr));
    REQUIRE(cv::imwrite(dir / "a.bmp", bgr));
    REQUIRE(cv::imwrite(dir / "a.tif", bgr));
    test::write_text(dir / "a.csv", "1,2\n3,4\n");
}

}  // namespace

TEST_CASE("startup: libopencv_imgcodecs is loaded only for formats imgpool does not read itself (issue #5)") {
    test::TempDir dir;
    write_inputs(dir);
    REQUIRE(test::cli("a.csv -k 1 -o a.npy", dir.path.string()).code == 0);
    const struct {
        std::string args;
        bool loads;
    } runs[] = {
        {"--version", false},
        {"a.npy -k 2 -o o1.npy", false},
        {"a.png -k 2 -o o2.png", false},
        {"a.jpg -k 2 -o o3.jpg", false},
        {"a.webp -k 2 -o o4.webp", false},
        {"a.tif -k 2 -o o7.tif", false},
        {"a.png -k 2 -o o8.tif", false},
        {"a.png -k 2 -o o5.bmp", true},
        {"a.bmp -k 2 -o o6.png", true},
    };
    for (const auto& r : runs) {
        CAPTURE(r.args);
        const Traced t = traced(IMGPOOL_BIN, r.args, dir);
        CHECK(t.code == 0);
        REQUIRE(t.libraries.find("libc.so") != std::string::npos);  // the trace works
        CHECK(opened_imgcodecs(t) == r.loads);
    }
    CHECK(cv::imread(dir / "o6.png").size() == cv::Size(24, 16));
    CHECK(cv::imread(dir / "o7.tif").size() == cv::Size(24, 16));
}

TEST_CASE("startup: without the plugin, BMP gives one line naming the file and where it looked; PNG still works") {
    test::TempDir dir;
    write_inputs(dir);
    const std::string program = dir / "imgpool";
    fs::copy_file(IMGPOOL_BIN, program);  // a directory without the plugin
    for (const auto& d : imgpool::io::detail::plugin_search_path())
        if (d != IMGPOOL_PLUGIN_DIR && fs::exists(fs::path(d) / "imgpool_opencv_codecs.so"))
            return;  // installed on this machine: nothing would be missing
    const Traced bmp = traced(program, "a.bmp -k 2 -o out.png", dir);
    CHECK(bmp.code == 1);
    CHECK(bmp.err.rfind("imgpool: error: a.bmp: reading BMP needs imgpool_opencv_codecs.so, not found in " +
                            dir.path.string() + ", ",
                        0) == 0);
    CHECK(std::count(bmp.err.begin(), bmp.err.end(), '\n') == 1);
    const Traced write_bmp = traced(program, "a.png -k 2 -o out.bmp", dir);
    CHECK(write_bmp.code == 1);
    CHECK(write_bmp.err.find("writing BMP needs imgpool_opencv_codecs.so") != std::string::npos);
    CHECK(traced(program, "a.png -k 2 -o out.png", dir).code == 0);
    CHECK_FALSE(fs::exists(dir / "out.bmp"));
}

TEST_CASE("startup: a plugin file that does not load gives one line saying so, not a crash") {
    test::TempDir dir;
    write_inputs(dir);
    const std::string program = dir / "imgpool";
    fs::copy_file(IMGPOOL_BIN, program);
    test::write_text(dir / "imgpool_opencv_codecs.so", "not a shared library\n");
    const Traced bmp = traced(program, "a.bmp -k 2 -o out.png", dir);
    CHECK(bmp.code == 1);
    CHECK(bmp.err.rfind("imgpool: error: a.bmp: reading BMP needs imgpool_opencv_codecs.so, which does not load: ", 0) ==
          0);
    CHECK(std::count(bmp.err.begin(), bmp.err.end(), '\n') == 1);
}
