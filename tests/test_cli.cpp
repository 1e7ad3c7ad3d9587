// The CLI as a user runs it: the real binary on real files in a temp dir.
#include <doctest/doctest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <sstream>
#include <thread>
#include <nlohmann/json.hpp>

#include "imgpool/filter.hpp"
#include "imgpool/npy.hpp"
#include "imgpool/pool.hpp"
#include "imgpool/sheet.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using test::cli;

namespace {

const char* kExample1 = "2,3,4,2\n8,5,5,1\n6,7,9,4\n3,1,4,5\n";
const char* kExample2 = "2,2,7,3\n9,4,6,1\n8,5,2,4\n3,1,2,6\n";
const char* kExample3 = "10,12,8,7\n4,11,5,9\n18,13,7,7\n3,15,2,2\n";

// An error is one line, "imgpool: error: ...", naming `subject`.
void check_error_line(const test::Run& r, const std::string& subject) {
    INFO("stderr: " << r.err);
    CHECK(r.err.rfind("imgpool: error: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find(subject) != std::string::npos);
}

cv::Mat npy_file(const std::string& path) { return imgpool::npy::decode(test::read_bytes(path)); }

}  // namespace

TEST_CASE("cli: worked examples print what NumPy prints") {
    test::TempDir dir;
    test::write_text(dir / "e1.csv", kExample1);
    test::write_text(dir / "e2.csv", kExample2);
    test::write_text(dir / "e3.csv", kExample3);
    struct Row { std::string args, out; };
    const Row rows[] = {
        {"e1.csv -t max -k 2 -s 2 --print", "[[8. 5.]\n [7. 9.]]\n"},
        {"e2.csv -t max -k 2 -s 2 --print", "[[9. 7.]\n [8. 6.]]\n"},
        {"e2.csv -t avg -k 2 -s 2 --print", "[[4.25 4.25]\n [4.25 3.5 ]]\n"},
        {"e2.csv -t max --global", "9.0\n"},
        {"e2.csv -t avg --global --print", "4.0625\n"},
        {"e3.csv -k 2 --print", "[[12.  9.]\n [18.  7.]]\n"},
        {"e3.csv -k 2 -s 1 --print", "[[12. 12.  9.]\n [18. 13.  9.]\n [18. 15.  7.]]\n"},
    };
    for (const Row& r : rows) {
        INFO(r.args);
        const test::Run run = cli(r.args, dir.path.string());
        CHECK(run.code == 0);
        CHECK(run.out == r.out);
        CHECK(run.err == "");
    }
    // print-only runs write nothing
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 3);
}

TEST_CASE("cli: 8-bit images print as integers, in RGB order") {
    test::TempDir dir;
    cv::Mat gray = test::mat({{2, 3, 4, 2}, {8, 5, 5, 1}, {6, 7, 9, 4}, {3, 1, 4, 5}}, CV_8U);
    REQUIRE(cv::imwrite(dir / "e1.png", gray));
    test::Run r = cli("e1.png -k 2 --print", dir.path.string());
    CHECK(r.code == 0);
    CHECK(r.out == "[[8 5]\n [7 9]]\n");
    // a BGR pixel (B=1, G=2, R=3) prints as [3 2 1]
    cv::Mat bgr(2, 2, CV_8UC3, cv::Scalar(1, 2, 3));
    REQUIRE(cv::imwrite(dir / "c.png", bgr));
    r = cli("c.png -k 2 --print", dir.path.string());
    CHECK(r.out == "[[[3 2 1]]]\n");
    r = cli("c.png --global", dir.path.string());
    CHECK(r.out == "[3 2 1]\n");
}

TEST_CASE("cli: worked examples through .csv and .npy files") {
    test::TempDir dir;
    test::write_text(dir / "e2.csv", kExample2);
    test::Run r = cli("e2.csv -t avg -k 2 -o out.csv", dir.path.string());
    CHECK(r.code == 0);
    CHECK(test::read_text(dir / "out.csv") == "4.25,4.25\n4.25,3.5\n");
    r = cli("e2.csv -t avg -k 2 -o out.npy", dir.path.string());
    CHECK(r.code == 0);
    CHECK(test::same(npy_file(dir / "out.npy"), test::mat({{4.25, 4.25}, {4.25, 3.5}})));
    r = cli("out.npy -t max -k 2 --print", dir.path.string());  // .npy in
    CHECK(r.out == "[[4.25]]\n");
}

TEST_CASE("cli: the cat example writes a 112x112 8-bit grayscale PNG") {
    test::TempDir dir;
    const test::Run r = cli("'" + test::sample("cat.png") + "' --grayscale --resize 224x224 -t max -k 2 -s 2 -o cat112.png",
                                dir.path.string());
    CHECK(r.code == 0);
    const cv::Mat out = cv::imread(dir / "cat112.png", cv::IMREAD_UNCHANGED);
    CHECK(out.size() == cv::Size(112, 112));
    CHECK(out.type() == CV_8UC1);
    // the same as OpenCV doing each step by hand
    cv::Mat cat = cv::imread(test::sample("cat.png")), g, small, pooled;
    cv::cvtColor(cat, g, cv::COLOR_BGR2GRAY);
    cv::resize(g, small, {224, 224}, 0, 0, cv::INTER_AREA);
    cv::dilate(small, pooled, cv::Mat::ones(2, 2, CV_8U), {0, 0});
    cv::resize(pooled, pooled, {112, 112}, 0, 0, cv::INTER_NEAREST);
    CHECK(test::same(out, pooled));
}

TEST_CASE("cli: default output name, --overwrite, and the input is never overwritten") {
    test::TempDir dir;
    fs::copy_file(test::sample("cat.png"), dir.path / "cat.png");
    const auto before = test::read_bytes(dir / "cat.png");
    test::Run r = cli("cat.png", dir.path.string());
    CHECK(r.code == 0);
    const cv::Mat out = cv::imread(dir / "cat.max-2x2-s2x2.png", cv::IMREAD_UNCHANGED);
    CHECK(out.size() == cv::Size(225, 150));
    CHECK(out.type() == CV_8UC3);
    r = cli("cat.png", dir.path.string());
    CHECK(r.code == 1);
    check_error_line(r, "cat.max-2x2-s2x2.png: exists (use --overwrite to replace it)");
    r = cli("cat.png --overwrite -t min", dir.path.string());
    CHECK(r.code == 0);
    r = cli("cat.png -k 3 --overwrite", dir.path.string());
    CHECK(r.code == 0);
    CHECK(fs::exists(dir / "cat.max-3x3-s3x3.png"));
    fs::create_symlink("cat.png", dir.path / "link.png");
    for (const char* same : {"-o cat.png --overwrite", "-o ./cat.png --overwrite", "-o link.png --overwrite"}) {
        INFO(same);
        r = cli(std::string("cat.png ") + same, dir.path.string());
        CHECK(r.code == 1);
        check_error_line(r, "is the input; imgpool never overwrites its input");
    }
    CHECK(test::read_bytes(dir / "cat.png") == before);
    // no temporary files are left behind
    for (const auto& e : fs::directory_iterator(dir.path)) CHECK(e.path().filename().string()[0] != '.');
}

TEST_CASE("cli: usage errors exit 2 with one line naming the flag") {
    test::TempDir dir;
    test::write_text(dir / "a.csv", kExample1);
    struct Row { std::string args, flag; };
    const Row rows[] = {
        {"a.csv -k 0", "--size"}, {"a.csv -k 3x", "--size"}, {"a.csv -s -1", "--stride"},
        {"a.csv -p 1,2,3", "--padding"}, {"a.csv -t lp --power 0.5", "--power"},
        {"a.csv --output-size 0x4", "--output-size"}, {"a.csv -t nope", "--type"},
        {"a.csv --global -k 3", "--global"}, {"a.csv --bogus", "--bogus"}, {"", "INPUT"},
        {"a.csv -k 5", "--size"},                // window larger than the 4x4 input
        {"a.csv -k 2 -p 2", "--padding"},        // a window with no input cell
        {"a.csv -k 5 -p 4 --border reflect", "--border"},  // reflect padding not smaller than the axis
        {"a.csv --count-pad", "--count-pad"}, {"a.csv -o - --json", "--output"},
        {"a.csv -o out.xyz", "--output"}, {"a.csv --grayscale -o x.npy --format png", "--format"},
        {"a.csv -o x.png --png-compression 10", "--png-compression"},
    };
    for (const Row& r : rows) {
        INFO(r.args);
        const test::Run run = cli(r.args, dir.path.string());
        CHECK(run.code == 2);
        check_error_line(run, r.flag);
        CHECK(run.out == "");
    }
}

TEST_CASE("cli: --png-compression chooses the zlib level; the pixels stay the same") {
    test::TempDir dir;
    const std::string cat = test::sample("cat.png");
    REQUIRE(cli("'" + cat + "' -k 1 -o none.png --png-compression 0", dir.path.string()).code == 0);
    REQUIRE(cli("'" + cat + "' -k 1 -o best.png --png-compression 9", dir.path.string()).code == 0);
    REQUIRE(cli("'" + cat + "' -k 1 -o default.png", dir.path.string()).code == 0);
    const auto none = fs::file_size(dir / "none.png"), best = fs::file_size(dir / "best.png");
    CHECK(none >= 451 * 300 * 3);  // level 0 stores the rows as they are
    CHECK(best < none * 2 / 3);
    const cv::Mat a = cv::imread(dir / "none.png", cv::IMREAD_UNCHANGED);
    CHECK(test::same(a, cv::imread(dir / "best.png", cv::IMREAD_UNCHANGED)));
    CHECK(test::same(a, cv::imread(dir / "default.png", cv::IMREAD_UNCHANGED)));
    CHECK(test::same(a, cv::imread(cat, cv::IMREAD_UNCHANGED)));
}

TEST_CASE("cli: a PNG from a named pipe, which cannot be read twice") {
    test::TempDir dir;
    REQUIRE(::mkfifo((dir / "pipe").c_str(), 0600) == 0);
    const auto png = test::read_bytes(test::sample("circle64.png"));
    std::thread writer([&] { test::write_bytes(dir / "pipe", png); });  // waits for imgpool to open it
    const test::Run r = cli("pipe -k 2 -o out.png", dir.path.string());
    writer.join();
    CHECK(r.code == 0);
    CHECK(cv::imread(dir / "out.png", cv::IMREAD_UNCHANGED).size() == cv::Size(32, 32));
}

TEST_CASE("cli: bad files exit 1 with one line naming the file") {
    test::TempDir dir;
    test::write_text(dir / "text.png", "this is not a PNG\n");
    test::write_text(dir / "empty.png", "");
    test::write_text(dir / "a.csv", kExample1);
    struct Row { std::string args, subject; };
    const Row rows[] = {
        {"missing.png", "missing.png: no such file"},
        {"text.png", "text.png"},
        {"empty.png", "empty.png"},
        {"a.csv -o out.png", "out.png: "},          // float64 does not fit PNG...
        {"a.csv -o nodir/sub/out.npy", "out.npy"},  // ...and a missing directory
        {"a.csv -o out.jp2 --depth u8", "out.jp2: imgpool writes results only where they are known to stay exact"},
    };
    for (const Row& r : rows) {
        INFO(r.args);
        const test::Run run = cli(r.args, dir.path.string());
        CHECK(run.code == 1);
        check_error_line(run, r.subject);
    }
    // a .csv that holds text: the CSV reader names the line and column; a UTF-8 BOM is fine
    test::write_text(dir / "words.csv", "1,2\n3,abc\n");
    const test::Run words = cli("words.csv --print", dir.path.string());
    CHECK(words.code == 1);
    check_error_line(words, "words.csv: line 2, column 2: 'abc' is not a number");
    test::write_text(dir / "bom.csv", "\xEF\xBB\xBF" "1,2\n3,4\n");
    CHECK(cli("bom.csv -k 2 --print", dir.path.string()).out == "[[4.]]\n");
    const test::Run png = cli("a.csv -o out.png", dir.path.string());
    CHECK(png.err.find(".npy") != std::string::npos);  // names a format that can hold it
    CHECK(!fs::exists(dir / "out.png"));
}

TEST_CASE("cli: a result the input's format cannot hold goes to .npy without -o") {
    test::TempDir dir;
    cv::Mat img(4, 4, CV_8UC3, cv::Scalar(10, 20, 30));
    REQUIRE(cv::imwrite(dir / "img.png", img));
    const test::Run r = cli("img.png -t sum", dir.path.string());
    CHECK(r.code == 0);
    const cv::Mat sum = npy_file(dir / "img.sum-2x2-s2x2.npy");
    CHECK(sum.depth() == CV_64F);
    CHECK(sum.at<cv::Vec3d>(0, 0) == cv::Vec3d(120, 80, 40));  // RGB
}

TEST_CASE("cli: .pgm takes one channel and .ppm three; .pnm either, and keeps its name") {
    test::TempDir dir;
    REQUIRE(cv::imwrite(dir / "rgb.png", cv::Mat(4, 4, CV_8UC3, cv::Scalar(10, 20, 30))));
    REQUIRE(cv::imwrite(dir / "gray.png", cv::Mat(4, 4, CV_8UC1, cv::Scalar(7))));
    test::Run r = cli("rgb.png -o rgb.pgm", dir.path.string());
    CHECK(r.code == 1);
    CHECK(r.err == "imgpool: error: rgb.pgm: PGM holds 1 channel; this result has 3 channels: write .npy, .png, "
                   ".tif or .ppm\n");
    CHECK_FALSE(fs::exists(dir / "rgb.pgm"));
    CHECK(cli("gray.png -o gray.ppm", dir.path.string()).code == 1);
    // a bitmap is read, never written: the message names the gray format that is
    const test::Run pbm = cli("gray.png -o gray.pbm", dir.path.string());
    CHECK(pbm.code == 1);
    CHECK(pbm.err == "imgpool: error: gray.pbm: imgpool writes results only where they are known to stay exact (PNG, "
                     "JPEG, TIFF, WebP, BMP, PGM, PPM, .csv): write .npy, .png or .tif\n");
    CHECK_FALSE(fs::exists(dir / "gray.pbm"));
    REQUIRE(cli("rgb.png -o rgb.ppm -q", dir.path.string()).code == 0);
    REQUIRE(cli("gray.png -o gray.pgm -q", dir.path.string()).code == 0);
    CHECK(test::read_bytes(dir / "rgb.ppm").at(1) == '6');
    CHECK(test::read_bytes(dir / "gray.pgm").at(1) == '5');
    fs::copy_file(dir / "rgb.ppm", dir / "rgb.pnm");
    REQUIRE(cli("rgb.pnm -q", dir.path.string()).code == 0);  // a P6 named .pnm
    CHECK(fs::exists(dir / "rgb.max-2x2-s2x2.pnm"));
    // Without -o, a PPM's gray result is a PGM (not .npy).
    REQUIRE(cli("rgb.ppm --grayscale -q", dir.path.string()).code == 0);
    CHECK(test::read_bytes(dir / "rgb.max-2x2-s2x2-gray.pgm").at(1) == '5');
}

TEST_CASE("cli: stdin and stdout") {
    test::TempDir dir;
    const std::string cat = test::sample("cat.png");
    test::Run r = cli("- -k 4 -o -", dir.path.string(), cat);
    CHECK(r.code == 0);
    CHECK(r.err == "");
    const cv::Mat out = cv::imdecode(std::vector<unsigned char>(r.out.begin(), r.out.end()), cv::IMREAD_UNCHANGED);
    CHECK(out.size() == cv::Size(112, 75));  // PNG in, PNG out
    r = cli("- -k 4 -o - --format npy", dir.path.string(), cat);
    CHECK(r.code == 0);
    CHECK(imgpool::npy::decode({r.out.begin(), r.out.end()}).size() == cv::Size(112, 75));
    test::write_text(dir / "e1.csv", kExample1);
    r = cli("- -k 2 --print", dir.path.string(), dir / "e1.csv");  // CSV on stdin, told by content
    CHECK(r.out == "[[8. 5.]\n [7. 9.]]\n");
}

TEST_CASE("cli: --json, --dry-run, logs on stderr only") {
    test::TempDir dir;
    test::write_text(dir / "e2.csv", kExample2);
    test::Run r = cli("e2.csv -t avg --global --json", dir.path.string());
    CHECK(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["input"] == "e2.csv");
    CHECK(j["input_shape"] == nlohmann::json({4, 4}));
    CHECK(j["parameters"]["type"] == "avg");
    CHECK(j["values"] == nlohmann::json({4.0625}));
    CHECK(j["output"].is_null());

    r = cli("e2.csv -k 2 -o out.npy --json -v", dir.path.string());
    CHECK(r.code == 0);
    const auto k = nlohmann::json::parse(r.out);  // stdout holds only the JSON, despite -v
    CHECK(k["output"] == "out.npy");
    CHECK(k["output_shape"] == nlohmann::json({2, 2}));
    CHECK(k["parameters"]["size"]["width"] == 2);
    CHECK(r.err.find("imgpool: ") == 0);

    r = cli("e2.csv -k 2 -o dry.png --depth u8 --dry-run", dir.path.string());
    CHECK(r.code == 0);
    CHECK(r.out == "would write dry.png: 2x2 uint8\n");
    CHECK(!fs::exists(dir / "dry.png"));

    r = cli("e2.csv -k 2 -o quiet.npy -q", dir.path.string());
    CHECK(r.code == 0);
    CHECK(r.err == "");
}

TEST_CASE("cli: --threads changes nothing but the threads; --json reports peak memory") {
    test::TempDir dir;
    cv::Mat big(1000, 1000, CV_32FC3);
    cv::theRNG().state = 7;
    cv::randu(big, -1, 1);
    test::write_bytes(dir / "big.npy", imgpool::npy::encode(big));  // 12 MB decoded
    for (const char* n : {"1", "2"}) {
        const test::Run r = cli(std::string("big.npy -t avg -k 5 -s 1 -o t") + n + ".npy -v --threads " + n, dir.path.string());
        CHECK(r.code == 0);
        CHECK(r.err.find(std::string("pooling on up to ") + n + " thread") != std::string::npos);
    }
    CHECK(test::read_bytes(dir / "t1.npy") == test::read_bytes(dir / "t2.npy"));
    const test::Run bad = cli("big.npy -k 2 --threads 0", dir.path.string());
    CHECK(bad.code == 2);
    CHECK(bad.err.find("--threads") != std::string::npos);
    const test::Run j = cli("big.npy -k 2 --json", dir.path.string());
    REQUIRE(j.code == 0);
    // The decoded input alone is 1000 * 1000 * 3 * 4 bytes: the peak holds at least that.
    CHECK(nlohmann::json::parse(j.out)["peak_rss_kb"].get<long>() > 1000 * 1000 * 3 * 4 / 1024);
}

TEST_CASE("cli: --help and --version") {
    test::Run r = cli("--help");
    CHECK(r.code == 0);
    CHECK(r.out.find("Examples:") != std::string::npos);
    CHECK(r.out.find("Exit status:") != std::string::npos);
    CHECK(r.out.find("3 wide and 2 tall") != std::string::npos);
    r = cli("--version");
    CHECK(r.code == 0);
    CHECK(r.out.rfind("imgpool ", 0) == 0);
}

TEST_CASE("cli: PyTorch fixtures through the flags give PyTorch's values") {
    // Every 8th case of tests/fixtures/torch, as a user would type it: proves the flags map
    // onto the parameters the library tests check in full.
    const auto manifest = nlohmann::json::parse(test::read_text(test::fixture("torch/manifest.json")));
    auto wxh = [](const nlohmann::json& e) { return std::to_string(e[0].get<int>()) + "x" + std::to_string(e[1].get<int>()); };
    auto flags_of = [&](const nlohmann::json& c) {
        std::string f = " -t " + c["type"].get<std::string>();
        const std::string scope = c.value("scope", "window");
        if (scope == "global") return f + " --global";
        if (scope == "adaptive") return f + " --output-size " + wxh(c["output_size"]);
        f += " -k " + wxh(c["window"]) + " -s " + wxh(c["stride"]) + " --dilation " + wxh(c["dilation"]);
        const auto& pad = c["padding"];
        if (pad.value("same", false)) f += " -p same";
        else f += " -p " + std::to_string(pad["left"].get<int>()) + "," + std::to_string(pad["top"].get<int>()) + "," +
                 std::to_string(pad["right"].get<int>()) + "," + std::to_string(pad["bottom"].get<int>());
        if (c.value("ceil_mode", false)) f += " --ceil";
        if (c.value("count_pad", false)) f += " --count-pad";
        if (c.contains("border")) f += " --border " + c["border"].get<std::string>();
        if (c.contains("power") && c["type"] == "lp") f += " --power " + std::to_string(c["power"].get<double>());
        return f;
    };
    test::TempDir dir;
    const std::string fixtures = test::fixture("torch");
    int checked = 0;
    const auto& cases = manifest["cases"];
    for (size_t i = 0; i < cases.size(); i += 8) {
        const auto& c = cases[i];
        const std::string out = dir / (c["id"].get<std::string>() + ".npy");
        const std::string args = "'" + fixtures + "/" + c["input"].get<std::string>() + "'" + flags_of(c) + " -o '" + out + "'";
        INFO(c["id"].get<std::string>() << ": imgpool " << args << "   (torch: " << c["torch"].get<std::string>() << ")");
        const test::Run r = cli(args);
        REQUIRE(r.code == 0);
        const cv::Mat want = npy_file(fixtures + "/" + c["expected"].get<std::string>());
        const cv::Mat got = npy_file(out);
        if (c["type"] == "max" || c["type"] == "min") CHECK(test::same(got, want));
        else CHECK(test::max_rel_diff(got, want) <= 1e-5);
        ++checked;
    }
    for (const auto& c : manifest["rejected"]) {
        const test::Run r = cli("'" + fixtures + "/" + c["input"].get<std::string>() + "'" + flags_of(c) + " --dry-run");
        CHECK(r.code == 2);
        check_error_line(r, "--padding");
    }
    CHECK(checked >= 60);
}

// ---- pictures and pipelines (issue 3) ----

namespace {
cv::Mat sheet_of(const std::string& path) {
    cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR), rgb;
    REQUIRE(!bgr.empty());
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    return rgb;
}
imgpool::PoolParams max2() { return {}; }
}  // namespace

TEST_CASE("cli: --compare writes the sheet the library draws for the input and its pooled result") {
    test::TempDir dir;
    const test::Run r = cli("'" + test::sample("cat.png") + "' --grayscale --resize 224x224 -t max -k 2 -s 2 --compare cmp.png",
                            dir.path.string());
    REQUIRE(r.code == 0);
    CHECK(!fs::exists(dir / "cat.max-2x2-s2x2.png"));  // the picture was asked for, nothing else
    // the same panels built by hand: input 224x224 and its 112x112 max pool, titled
    cv::Mat cat = cv::imread(test::sample("cat.png")), gray, small;
    cv::cvtColor(cat, gray, cv::COLOR_BGR2GRAY);
    cv::resize(gray, small, {224, 224}, 0, 0, cv::INTER_AREA);
    const cv::Mat pooled = imgpool::pool(small, max2());
    const imgpool::Sheet want = imgpool::compare_sheet(
        {{{small, "input 224x224"}, {pooled, "max 2x2 /2 -> 112x112"}}}, {IMGPOOL_FONT, imgpool::Colormap::none, {}});
    CHECK(test::same(sheet_of(dir / "cmp.png"), want.picture));
    CHECK(want.panels[0].rect.height == want.panels[1].rect.height);  // shown at one height
}

TEST_CASE("cli: several types write one output each and print labelled blocks") {
    test::TempDir dir;
    test::write_text(dir / "e2.csv", kExample2);
    test::Run r = cli("e2.csv -t max,avg,min -k 2 -o out.npy", dir.path.string());
    CHECK(r.code == 0);
    CHECK(test::same(npy_file(dir / "out.max.npy"), test::mat({{9, 7}, {8, 6}})));
    CHECK(test::same(npy_file(dir / "out.avg.npy"), test::mat({{4.25, 4.25}, {4.25, 3.5}})));
    CHECK(test::same(npy_file(dir / "out.min.npy"), test::mat({{2, 1}, {1, 2}})));
    r = cli("e2.csv -t max,avg -k 2 --print", dir.path.string());
    CHECK(r.out == "max:\n[[9. 7.]\n [8. 6.]]\n\navg:\n[[4.25 4.25]\n [4.25 3.5 ]]\n");
    r = cli("e2.csv -t max,avg --global --json", dir.path.string());
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["results"].size() == 2);
    CHECK(j["results"][1]["values"] == nlohmann::json({4.0625}));
    r = cli("e2.csv -t max,avg,min -k 2 --compare three.png", dir.path.string());
    CHECK(r.code == 0);
    const cv::Mat sheet = sheet_of(dir / "three.png");
    CHECK(sheet.cols > 3 * sheet.rows);  // four panels in a row
}

TEST_CASE("cli: --repeat pools again and again, 64 -> 32 -> 16 -> 8 -> 4 with same padding") {
    test::TempDir dir;
    const std::string circle = test::sample("circle64.png");
    test::Run r = cli("'" + circle + "' --repeat 4 -p same -o four.png --compare rep.png", dir.path.string());
    REQUIRE(r.code == 0);
    const cv::Mat four = cv::imread(dir / "four.png", cv::IMREAD_UNCHANGED);
    CHECK(four.size() == cv::Size(4, 4));
    // the sheet: the input and the four stages, each titled with its shape
    cv::Mat img = cv::imread(circle, cv::IMREAD_UNCHANGED);
    imgpool::PoolParams p;
    p.padding = imgpool::Padding::tf_same();
    std::vector<imgpool::Panel> row = {{img, "input 64x64"}};
    for (int size : {32, 16, 8, 4}) {
        img = imgpool::pool(img, p);
        CHECK(img.size() == cv::Size(size, size));
        row.push_back({img, "max 2x2 /2 same -> " + std::to_string(size) + "x" + std::to_string(size)});
    }
    CHECK(test::same(four, img));
    const imgpool::Sheet want = imgpool::compare_sheet({row}, {IMGPOOL_FONT, imgpool::Colormap::none, {}});
    CHECK(test::same(sheet_of(dir / "rep.png"), want.picture));
    // a stage that cannot be pooled is a usage error before any work
    r = cli("'" + circle + "' --repeat 7 -k 2", dir.path.string());
    CHECK(r.code == 2);
    check_error_line(r, "--size: stage 7 of 7: window 2x2 is larger than the padded input 1x1");
}

TEST_CASE("cli: --filter --relu then pooling equals the three steps done separately") {
    test::TempDir dir;
    const std::string cat = test::sample("cat.png");
    test::Run r = cli("'" + cat + "' --grayscale --filter edge --relu -k 2 -o out.npy", dir.path.string());
    REQUIRE(r.code == 0);
    cv::Mat bgr = cv::imread(cat), gray;
    cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
    const cv::Mat want = imgpool::pool(imgpool::relu(imgpool::filter(gray, *imgpool::builtin_kernel("edge"),
                                                                     imgpool::FilterPadding::same)),
                                       max2());
    const cv::Mat got = npy_file(dir / "out.npy");
    CHECK(got.depth() == CV_32F);
    CHECK(test::same(got, want));
    // a kernel from a file, valid padding: 451x300 -> 449x299 -> 224x149
    test::write_text(dir / "k.csv", "1,0,-1\n");
    r = cli("'" + cat + "' --grayscale --filter k.csv --filter-padding valid -t avg -k 2 --dry-run", dir.path.string());
    CHECK(r.out.find("224x150 float32") != std::string::npos);
    // the sheet tells the CNN story with the tutorial's titles
    r = cli("'" + cat + "' --grayscale --filter edge --relu --colormap magma --compare pipe.png", dir.path.string());
    REQUIRE(r.code == 0);
    const cv::Mat sheet = sheet_of(dir / "pipe.png");
    CHECK(sheet.cols > 3 * sheet.rows);
    cv::Mat channels[3];
    cv::split(sheet, channels);
    CHECK(cv::countNonZero(channels[0] != channels[1]) > 1000);  // colour from the colormap
    r = cli("'" + cat + "' --filter nonesuch", dir.path.string());
    CHECK(r.code == 2);
    check_error_line(r, "--filter: 'nonesuch' is neither a built-in kernel");
}

TEST_CASE("cli: --upscale writes the result at its input's size") {
    test::TempDir dir;
    test::write_text(dir / "e1.csv", kExample1);
    const test::Run r = cli("e1.csv -k 2 --upscale -o up.csv", dir.path.string());
    CHECK(r.code == 0);
    CHECK(test::read_text(dir / "up.csv") == "8,8,5,5\n8,8,5,5\n7,7,9,9\n7,7,9,9\n");
}

TEST_CASE("cli: --max-pixels stops decompression bombs from the header, before decoding") {
    test::TempDir dir;
    // A PNG whose header claims 100000x100000 pixels, in a few hundred bytes.
    const std::vector<unsigned char> bomb = {
        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
        0x00, 0x01, 0x86, 0xa0, 0x00, 0x01, 0x86, 0xa0, 8, 0, 0, 0, 0, 0x2f, 0x4c, 0x8c, 0x25,
        0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    test::write_bytes(dir / "bomb.png", bomb);
    test::Run r = cli("bomb.png -o out.npy", dir.path.string());
    CHECK(r.code == 1);
    check_error_line(r, "bomb.png: 100000x100000 is 10000000000 pixels, over the limit of 128000000 (--max-pixels)");
    CHECK(!fs::exists(dir / "out.npy"));
    test::write_text(dir / "e1.csv", kExample1);
    r = cli("e1.csv --max-pixels 15 --print", dir.path.string());
    CHECK(r.code == 1);
    check_error_line(r, "e1.csv: 4x4 is 16 pixels, over the limit of 15 (--max-pixels)");
    CHECK(cli("e1.csv --max-pixels 16 -k 2 --print", dir.path.string()).code == 0);
    r = cli("e1.csv --resize 20000x20000 --print", dir.path.string());
    CHECK(r.code == 2);
    check_error_line(r, "--resize: 20000x20000 is 400000000 pixels");
    r = cli("e1.csv --output-size 20000x20000 --max-pixels 1M --print", dir.path.string());
    CHECK(r.code == 2);
    check_error_line(r, "--output-size: 20000x20000 is 400000000 pixels, over the limit of 1000000");
}

TEST_CASE("cli: --config keeps settings in a file; unknown keys are errors; --print-config reads back") {
    test::TempDir dir;
    test::write_text(dir / "e2.csv", kExample2);
    test::write_text(dir / "avg.toml", "# 2x2 averages\ntype = \"avg\"\nsize = \"2\"\nprint = true\n");
    test::Run r = cli("e2.csv --config avg.toml", dir.path.string());
    CHECK(r.code == 0);
    CHECK(r.out == "[[4.25 4.25]\n [4.25 3.5 ]]\n");
    r = cli("e2.csv --config avg.toml -t max", dir.path.string());  // the command line wins
    CHECK(r.out == "[[9. 7.]\n [8. 6.]]\n");
    test::write_text(dir / "typo.toml", "tpye = \"avg\"\n");
    r = cli("e2.csv --config typo.toml", dir.path.string());
    CHECK(r.code == 2);
    check_error_line(r, "--config: 'tpye' is not a flag");
    // the printed settings are a config file that gives the same run
    r = cli("e2.csv -t avg -k 2 -s 1 --border reflect -p 1 --config avg.toml --print-config", dir.path.string());
    CHECK(r.code == 0);
    CHECK(r.out.find("type=\"avg\"") != std::string::npos);
    CHECK(r.out.find("print-config") == std::string::npos);
    test::write_text(dir / "printed.toml", r.out);  // print = true came from avg.toml
    const test::Run again = cli("e2.csv --config printed.toml", dir.path.string());
    const test::Run direct = cli("e2.csv -t avg -k 2 -s 1 --border reflect -p 1 --print", dir.path.string());
    CHECK(again.code == 0);
    CHECK(again.out == direct.out);
}

TEST_CASE("cli: a multi-page TIFF says which page it pools") {
    test::TempDir dir;
    std::vector<cv::Mat> pages;
    for (int i = 0; i < 3; ++i) pages.push_back(cv::Mat(8, 8, CV_8U, cv::Scalar(10 + 40 * i)));
    REQUIRE(cv::imwritemulti(dir / "multi.tif", pages));
    const test::Run r = cli("multi.tif -k 8 --print", dir.path.string());
    CHECK(r.code == 0);
    CHECK(r.out == "[[10]]\n");  // the first page
    CHECK(r.err == "imgpool: multi.tif: warning: 3 pages; pooling the first\n");
}

TEST_CASE("cli: a write that fails midway (file-size limit, as a full disk) leaves nothing behind") {
    test::TempDir dir;
    const test::Run r = cli("'" + test::sample("astronaut.png") + "' -k 1 -o big.npy", dir.path.string());
    REQUIRE(r.code == 0);  // about 786 KB
    fs::remove(dir.path / "big.npy");
    const std::string cmd = "cd '" + dir.path.string() + "' && (ulimit -f 64; '" IMGPOOL_BIN "' '" +
                            test::sample("astronaut.png") + "' -k 1 -o big.npy 2>err; echo $? >code)";
    std::system(cmd.c_str());
    CHECK(test::read_text(dir / "code") == "1\n");
    CHECK(test::read_text(dir / "err").rfind("imgpool: error: big.npy: ", 0) == 0);
    for (const auto& e : fs::directory_iterator(dir.path)) {
        const std::string name = e.path().filename().string();
        CHECK_MESSAGE((name == "err" || name == "code"), name);  // no output, no temp file
    }
}
