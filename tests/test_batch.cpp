// Batch runs as a user runs them: the real binary over directory trees in a temp dir.
#include <doctest/doctest.h>

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "batch.hpp"
#include "imgpool/npy.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using test::cli;

namespace {

cv::Mat noise(int rows, int cols, int type, unsigned seed) {
    cv::Mat m(rows, cols, type);
    cv::theRNG().state = seed;
    cv::randu(m, 0, 255);
    return m;
}

// data/ with nested folders, mixed formats, two corrupt images, a text file and notes.
void make_tree(const fs::path& root) {
    fs::create_directories(root / "data/a/b");
    fs::create_directories(root / "data/c");
    cv::imwrite((root / "data/one.png").string(), noise(40, 30, CV_8UC3, 1));
    cv::imwrite((root / "data/a/two.jpg").string(), noise(33, 50, CV_8UC3, 2));
    cv::imwrite((root / "data/a/b/three.tif").string(), noise(20, 20, CV_16UC1, 3));
    cv::imwrite((root / "data/c/four.png").string(), noise(64, 64, CV_8UC4, 4));
    test::write_bytes((root / "data/c/five.npy").string(), imgpool::npy::encode(noise(10, 12, CV_32FC1, 5)));
    auto png = test::read_bytes((root / "data/one.png").string());
    test::write_bytes((root / "data/a/broken.png").string(), {png.begin(), png.begin() + 200});
    test::write_text((root / "data/c/fake.jpg").string(), "this is not a JPEG\n");
    test::write_text((root / "data/notes.txt").string(), "how these were made\n");
}

std::set<std::string> files_under(const fs::path& dir) {
    std::set<std::string> found;
    if (!fs::exists(dir)) return found;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) found.insert(e.path().lexically_relative(dir).generic_string());
    return found;
}

std::vector<nlohmann::json> json_lines(const std::string& out) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
}

// The last line, the run's summary: a run that died before it fails the test, not crashes it.
nlohmann::json summary_of(const std::string& out) {
    const std::vector<nlohmann::json> lines = json_lines(out);
    REQUIRE_FALSE(lines.empty());
    return lines.back();
}

const std::set<std::string> kGood = {"one.max-2x2-s2x2.png", "a/two.max-2x2-s2x2.jpg", "a/b/three.max-2x2-s2x2.tif",
                                     "c/four.max-2x2-s2x2.png", "c/five.max-2x2-s2x2.npy"};

}  // namespace

TEST_CASE("batch: a tree with bad files: mirrored outputs, errors named, exit 1, nothing partial") {
    test::TempDir dir;
    make_tree(dir.path);
    const test::Run r = cli("data -r -o out --json", dir.path.string());
    CHECK(r.code == 1);
    CHECK(files_under(dir.path / "out") == kGood);  // no temp files, nothing for the bad ones
    CHECK(r.err.find("imgpool: error: data/a/broken.png: ") != std::string::npos);
    CHECK(r.err.find("imgpool: error: data/c/fake.jpg: ") != std::string::npos);
    CHECK(r.err.find("notes.txt") == std::string::npos);  // not an image: skipped quietly
    const auto lines = json_lines(r.out);
    REQUIRE(lines.size() == 8);  // 7 files, then the summary
    const auto& summary = lines.back();
    CHECK(summary["summary"] == true);
    CHECK(summary["done"] == 5);
    CHECK(summary["failed"] == 2);
    int failed = 0;
    for (size_t i = 0; i + 1 < lines.size(); ++i)
        if (lines[i]["status"] == "failed") {
            ++failed;
            CHECK(!lines[i]["error"].is_null());
        } else {
            CHECK(lines[i].contains("output_shape"));
        }
    CHECK(failed == 2);
    // the pooled pixels are the single-image run's
    const test::Run single = cli("data/a/two.jpg -o single.jpg", dir.path.string());
    CHECK(single.code == 0);
    CHECK(test::read_bytes(dir / "single.jpg") == test::read_bytes(dir / "out/a/two.max-2x2-s2x2.jpg"));
}

TEST_CASE("batch: the same outputs whatever -j, and --skip-existing does no work") {
    test::TempDir dir;
    make_tree(dir.path);
    CHECK(cli("data -r -o j1 -j 1 -q", dir.path.string()).code == 1);
    CHECK(cli("data -r -o j2 -j 2 -q", dir.path.string()).code == 1);
    const test::Run threads = cli("data -r -o t3 -j 2 --threads 3 -v", dir.path.string());
    CHECK(threads.code == 1);
    CHECK(threads.err.find("2 jobs at once, 3 threads each") != std::string::npos);
    for (const std::string& f : kGood) {
        CHECK(test::read_bytes(dir / ("j1/" + f)) == test::read_bytes(dir / ("j2/" + f)));
        CHECK(test::read_bytes(dir / ("j1/" + f)) == test::read_bytes(dir / ("t3/" + f)));
    }
    const test::Run again = cli("data -r -o j1 --skip-existing --json", dir.path.string());
    const auto summary = summary_of(again.out);
    CHECK(summary["peak_rss_kb"].get<long>() > 0);
    CHECK(summary["done"] == 0);
    CHECK(summary["skipped"] == 5);
    CHECK(summary["failed"] == 2);  // the bad files have no outputs: tried again
}

TEST_CASE("batch: without -r only the directory's own files; --ext narrows; globs and --files-from") {
    test::TempDir dir;
    make_tree(dir.path);
    CHECK(cli("data -o flat -q", dir.path.string()).code == 0);
    CHECK(files_under(dir.path / "flat") == std::set<std::string>{"one.max-2x2-s2x2.png"});
    CHECK(cli("data -r --ext PNG -o pngs -q", dir.path.string()).code == 1);  // broken.png fails
    CHECK(files_under(dir.path / "pngs") == std::set<std::string>{"one.max-2x2-s2x2.png", "c/four.max-2x2-s2x2.png"});
    CHECK(cli("'data/c/*.png' -o globbed -q", dir.path.string()).code == 0);
    CHECK(files_under(dir.path / "globbed") == std::set<std::string>{"four.max-2x2-s2x2.png"});
    test::write_text(dir / "list.txt", "data/one.png\n" + (dir.path / "data/c/five.npy").string() + "\n");
    CHECK(cli("--files-from - -o listed -q --name '{stem}{ext}'", dir.path.string(), dir / "list.txt").code == 0);
    CHECK(files_under(dir.path / "listed") == std::set<std::string>{"one.png", "five.npy"});
    // a glob is batch mode even when it matches one file; a pattern matching nothing is an error
    CHECK(cli("'data/o*.png' -o one -q", dir.path.string()).code == 0);
    const test::Run none = cli("'data/*.gif' -o none", dir.path.string());
    CHECK(none.code == 1);
    CHECK(none.err.find("data/*.gif: no file matches this pattern") != std::string::npos);
}

TEST_CASE("batch: PNM outputs named by their channels: a bitmap's and a gray PPM's are .pgm") {
    test::TempDir dir;
    fs::create_directories(dir / "pnm");
    test::write_text(dir / "pnm/bits.pbm", "P1\n4 2\n0 1 0 1\n1 0 1 0\n");
    REQUIRE(cv::imwrite(dir / "pnm/colour.ppm", cv::Mat(4, 4, CV_8UC3, cv::Scalar(10, 20, 30))));
    // Named for the other kind: a graymap (P5) as .ppm, a pixmap (P6) as .pgm, bits (P4) as .ppm.
    test::write_text(dir / "pnm/graymap.ppm", std::string("P5\n4 4\n255\n") + std::string(16, '\x40'));
    test::write_text(dir / "pnm/pixmap.pgm", std::string("P6\n4 4\n255\n") + std::string(48, '\x40'));
    test::write_text(dir / "pnm/bitmap.ppm", std::string("P4\n8 2\n") + std::string(2, '\x5a'));
    CHECK(cli("pnm -o out -q", dir.path.string()).code == 0);
    CHECK(files_under(dir.path / "out") ==
          std::set<std::string>{"bits.max-2x2-s2x2.pgm", "colour.max-2x2-s2x2.ppm", "graymap.max-2x2-s2x2.pgm",
                                "pixmap.max-2x2-s2x2.ppm", "bitmap.max-2x2-s2x2.pgm"});
    CHECK(cv::imread((dir.path / "out/graymap.max-2x2-s2x2.pgm").string(), cv::IMREAD_UNCHANGED).channels() == 1);
    CHECK(cv::imread((dir.path / "out/pixmap.max-2x2-s2x2.ppm").string(), cv::IMREAD_UNCHANGED).channels() == 3);
    CHECK(cli("pnm -o gray --grayscale -q", dir.path.string()).code == 0);
    CHECK(files_under(dir.path / "gray") ==
          std::set<std::string>{"bits.max-2x2-s2x2-gray.pgm", "colour.max-2x2-s2x2-gray.pgm", "graymap.max-2x2-s2x2-gray.pgm",
                                "pixmap.max-2x2-s2x2-gray.pgm", "bitmap.max-2x2-s2x2-gray.pgm"});
}

TEST_CASE("batch: two inputs writing one output are an error before anything is written") {
    test::TempDir dir;
    make_tree(dir.path);
    fs::copy_file(dir.path / "data/one.png", dir.path / "one.png");
    const test::Run r = cli("data/one.png one.png -o out", dir.path.string());
    CHECK(r.code == 2);
    CHECK(r.err.find("would both write out/one.max-2x2-s2x2.png") != std::string::npos);
    CHECK(!fs::exists(dir.path / "out"));
    for (const char* bad : {"data", "data -o -", "data --print -o x", "data -o x --compare s.png", "a.png --shard 1/2",
                            "data -o x --shard 3/2", "data -o x --name '{stem}/x'"}) {
        INFO(bad);
        const test::Run u = cli(bad, dir.path.string());
        CHECK(u.code == 2);
        CHECK(u.err.rfind("imgpool: error: ", 0) == 0);
    }
}

TEST_CASE("batch: --shard I/N partitions by the output path; together the shards are one run") {
    test::TempDir dir;
    make_tree(dir.path);
    CHECK(cli("data -r -o whole -q", dir.path.string()).code == 1);
    std::set<std::string> united;
    size_t total = 0;
    for (int i = 1; i <= 3; ++i) {
        const std::string out = "shard" + std::to_string(i);
        cli("data -r -o " + out + " -q --shard " + std::to_string(i) + "/3", dir.path.string());
        const auto files = files_under(dir.path / out);
        total += files.size();
        united.insert(files.begin(), files.end());
        for (const std::string& f : files) CHECK(test::read_bytes(dir / (out + "/" + f)) == test::read_bytes(dir / ("whole/" + f)));
    }
    CHECK(total == united.size());  // disjoint
    CHECK(united == files_under(dir.path / "whole"));
    // absolute and relative inputs shard alike: the key is the path under -o
    CHECK(imgpool::cli::stable_hash("a") == 0xaf63dc4c8601ec8cull);  // FNV-1a's published value: no drift
    const std::string abs = (dir.path / "data").string();
    cli("'" + abs + "' -r -o absolute -q --shard 2/3", dir.path.string());
    CHECK(files_under(dir.path / "absolute") == files_under(dir.path / "shard2"));
}

TEST_CASE("batch: GNU parallel running three shards equals one run (docs/scaling.md)") {
    test::TempDir dir;
    make_tree(dir.path);
    cli("data -r -o whole -q", dir.path.string());
    const std::string cmd = "cd '" + dir.path.string() + "' && parallel -j 3 '" IMGPOOL_BIN
                            "' data -r -o sharded -q -j 1 --shard {}/3 ::: 1 2 3 >/dev/null 2>&1";
    std::system(cmd.c_str());
    CHECK(files_under(dir.path / "sharded") == files_under(dir.path / "whole"));
    CHECK(files_under(dir.path / "sharded").size() == kGood.size());
}

TEST_CASE("batch: --fail-fast stops at the first failure") {
    test::TempDir dir;
    make_tree(dir.path);
    const test::Run r = cli("data -r -o out -j 1 --fail-fast --json", dir.path.string());
    CHECK(r.code == 1);
    const auto summary = summary_of(r.out);
    CHECK(summary["failed"] == 1);
    CHECK(summary["not_started"] > 0);
}

TEST_CASE("batch: interrupted with SIGINT, no partial or temp file; a re-run finishes the rest") {
    test::TempDir dir;
    fs::create_directories(dir.path / "big");
    // 300 copies of one image (about 5 ms each here); the signal goes once the first output
    // (or its temp file) is in: a fixed sleep let a fast machine finish the whole batch.
    constexpr int kImages = 300;
    const cv::Mat img = noise(300, 300, CV_8UC3, 9);
    cv::imwrite((dir.path / "big/img100.png").string(), img);
    for (int i = 1; i < kImages; ++i) fs::copy_file(dir.path / "big/img100.png", dir.path / ("big/img" + std::to_string(100 + i) + ".png"));
    const std::string run = "'" IMGPOOL_BIN "' big -o out -j 1 -q -t median -k 7 -s 1";
    const std::string started = "for t in $(seq 1000); do [ -n \"$(ls -A out 2>/dev/null)\" ] && break; sleep 0.01; done";
    const std::string cmd = "cd '" + dir.path.string() + "' && (" + run + " & pid=$!; " + started + "; kill -INT $pid; wait $pid; echo $? > code)";
    std::system(cmd.c_str());
    CHECK(test::read_text(dir / "code") == "130\n");
    const auto partial = files_under(dir.path / "out");
    CHECK(partial.size() < size_t(kImages));
    for (const std::string& f : partial) {
        CHECK(f[0] != '.');  // no temp file left
        CHECK(cv::imread((dir.path / "out" / f).string()).size() == cv::Size(294, 294));  // each whole
    }
    const test::Run rest = cli("big -o out -q -t median -k 7 -s 1 --skip-existing --json", dir.path.string());
    CHECK(rest.code == 0);
    CHECK(summary_of(rest.out)["skipped"] == partial.size());
    CHECK(files_under(dir.path / "out").size() == size_t(kImages));
}

TEST_CASE("batch: one input with -o DIR/ is a batch run; a closed stdout stops it without temp files") {
    test::TempDir dir;
    make_tree(dir.path);
    CHECK(cli("data/one.png -o single/ -q", dir.path.string()).code == 0);
    CHECK(files_under(dir.path / "single") == std::set<std::string>{"one.max-2x2-s2x2.png"});
    fs::create_directories(dir.path / "existing");
    CHECK(cli("data/one.png -o existing -q", dir.path.string()).code == 0);
    CHECK(files_under(dir.path / "existing") == std::set<std::string>{"one.max-2x2-s2x2.png"});
    // `| head -1` closes the pipe after one record: no process death mid-write
    fs::create_directories(dir.path / "many");
    const cv::Mat img = noise(200, 200, CV_8UC3, 3);
    for (int i = 0; i < 30; ++i) cv::imwrite((dir.path / ("many/m" + std::to_string(i) + ".png")).string(), img);
    for (int attempt = 0; attempt < 3; ++attempt) {
        const std::string cmd = "cd '" + dir.path.string() + "' && '" IMGPOOL_BIN "' many -o piped -j 2 -q --json -t median -k 3 -s 1 | head -1 >/dev/null";
        std::system(cmd.c_str());
        for (const std::string& f : files_under(dir.path / "piped")) CHECK(fs::path(f).filename().string()[0] != '.');
        fs::remove_all(dir.path / "piped");
    }
}
