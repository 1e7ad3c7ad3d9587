#include <doctest/doctest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "imgpool/error.hpp"
#include "imgpool/pool.hpp"
#include "imgpool/sheet.hpp"
#include "support.hpp"

using imgpool::Panel;
using imgpool::Placement;
using imgpool::Sheet;
using imgpool::SheetStyle;

namespace {

SheetStyle style(imgpool::Colormap c = imgpool::Colormap::none) {
    SheetStyle s;
    s.font_file = IMGPOOL_FONT;
    s.colormap = c;
    return s;
}

// Deterministic texture with structure at every scale, RGB.
cv::Mat noise(int w, int h, int type = CV_8UC3) {
    cv::Mat m(h, w, type);
    cv::RNG rng(12345);
    rng.fill(m, cv::RNG::UNIFORM, 0, 256);
    return m;
}

cv::Mat max_pool(const cv::Mat& m) {
    return imgpool::pool(m, imgpool::PoolParams{});
}

std::string dims(const cv::Mat& m) {
    return std::to_string(m.cols) + "x" + std::to_string(m.rows);
}

// The sheet region of a panel equals its to_display() picture scaled like the Placement says.
bool region_matches(const Sheet& s, const Placement& p, const cv::Mat& image, const SheetStyle& st) {
    const cv::Mat d = imgpool::to_display(image, st.colormap, st.range);
    cv::Mat want;
    if (p.down > 1)
        cv::resize(d, want, p.rect.size(), 0, 0, cv::INTER_AREA);
    else
        cv::resize(d, want, cv::Size(d.cols * p.up, d.rows * p.up), 0, 0, cv::INTER_NEAREST);
    return want.size() == p.rect.size() && test::same(s.picture(p.rect).clone(), want);
}

bool dark(const cv::Vec3b& p) {
    return p[0] < 128 && p[1] < 128 && p[2] < 128;
}

int dark_pixels(const cv::Mat& rgb, cv::Rect r) {
    r &= cv::Rect(0, 0, rgb.cols, rgb.rows);
    int n = 0;
    for (int y = r.y; y < r.y + r.height; ++y)
        for (int x = r.x; x < r.x + r.width; ++x) n += dark(rgb.at<cv::Vec3b>(y, x));
    return n;
}

// The title band: the strip just above the image's frame.
cv::Rect title_band(const Placement& p) {
    return {p.rect.x, p.rect.y - 36, p.rect.width, 34};
}

// Runs of dark pixels along a line (tick marks crossing it).
int dark_runs(const cv::Mat& rgb, cv::Point from, cv::Point step, int n) {
    int runs = 0;
    bool in = false;
    for (int i = 0; i < n; ++i) {
        const bool d = dark(rgb.at<cv::Vec3b>(from + i * step));
        runs += d && !in;
        in = d;
    }
    return runs;
}

void check_ticks(const Sheet& s, const Placement& p) {
    const cv::Rect& r = p.rect;
    // Tick marks just outside the frame: 3 px below the bottom edge, 3 px left of the left one.
    const int xt = dark_runs(s.picture, {r.x, r.y + r.height + 3}, {1, 0}, r.width);
    const int yt = dark_runs(s.picture, {r.x - 4, r.y}, {0, 1}, r.height);
    CHECK(xt >= 2);
    CHECK(xt <= 8);
    CHECK(yt >= 2);
    CHECK(yt <= 8);
    // The first tick is at the centre of pixel 0.
    const int c0 = static_cast<int>((0.5 * p.up) / p.down);
    CHECK(dark(s.picture.at<cv::Vec3b>(r.y + r.height + 3, r.x + c0)));
    CHECK(dark(s.picture.at<cv::Vec3b>(r.y + c0, r.x - 4)));
    // And labelled: dark pixels below the tick marks.
    CHECK(dark_pixels(s.picture, {r.x, r.y + r.height + 8, r.width, 14}) > 20);
    CHECK(dark_pixels(s.picture, {r.x - 40, r.y, 30, r.height}) > 20);
    // The frame: a dark line just outside the image.
    CHECK(dark(s.picture.at<cv::Vec3b>(r.y - 1, r.x + r.width / 2)));
    CHECK(dark(s.picture.at<cv::Vec3b>(r.y + r.height, r.x + r.width / 2)));
}

// Everything away from the panels, their titles and their axes is white.
void check_white_elsewhere(const Sheet& s) {
    cv::Mat allowed(s.picture.size(), CV_8U, cv::Scalar(0));
    for (const Placement& p : s.panels) {
        const cv::Rect& r = p.rect;
        cv::Rect box(r.x - 40, r.y - 38, r.width + 60, r.height + 38 + 26);
        allowed(box & cv::Rect(0, 0, allowed.cols, allowed.rows)).setTo(255);
    }
    int stray = 0;
    for (int y = 0; y < s.picture.rows; ++y)
        for (int x = 0; x < s.picture.cols; ++x)
            if (!allowed.at<uchar>(y, x)) stray += s.picture.at<cv::Vec3b>(y, x) != cv::Vec3b(255, 255, 255);
    CHECK(stray == 0);
}

void check_left_to_right(const Sheet& s, std::size_t from, std::size_t to) {
    for (std::size_t i = from + 1; i < to; ++i) {
        const cv::Rect& a = s.panels[i - 1].rect;
        const cv::Rect& b = s.panels[i].rect;
        CHECK(a.x + a.width + 30 < b.x);  // room for b's tick labels
        CHECK((a & b).area() == 0);
    }
}

void save(const Sheet& s, const std::string& path) {
    cv::Mat bgr;
    cv::cvtColor(s.picture, bgr, cv::COLOR_RGB2BGR);
    REQUIRE(cv::imwrite(path, bgr));
}

}  // namespace

TEST_CASE("sheet: a 224 input and its 112 pool are both shown 448 tall") {
    const cv::Mat in = noise(224, 224);
    const cv::Mat out = max_pool(in);
    REQUIRE(out.rows == 112);
    const SheetStyle st = style();
    const Sheet s = imgpool::compare_sheet({{{in, "input " + dims(in)}, {out, "max 2x2 /2 -> " + dims(out)}}}, st);

    CHECK(s.picture.type() == CV_8UC3);
    REQUIRE(s.panels.size() == 2);
    CHECK(s.panels[0].up == 2);
    CHECK(s.panels[1].up == 4);
    for (const Placement& p : s.panels) {
        CHECK(p.down == 1);
        CHECK(p.rect.size() == cv::Size(448, 448));
        CHECK(p.rect.y == s.panels[0].rect.y);
        CHECK(dark_pixels(s.picture, title_band(p)) > 40);
        check_ticks(s, p);
    }
    CHECK(region_matches(s, s.panels[0], in, st));
    CHECK(region_matches(s, s.panels[1], out, st));
    check_left_to_right(s, 0, 2);
    check_white_elsewhere(s);
    // A pooled pixel is an exact 4x4 block.
    const cv::Rect& r = s.panels[1].rect;
    CHECK(test::same(s.picture(cv::Rect(r.x + 40, r.y + 80, 4, 4)).clone(),
                     cv::Mat(4, 4, CV_8UC3, cv::Scalar(out.at<cv::Vec3b>(20, 10)))));
}

TEST_CASE("sheet: a large input is reduced by area, its pool is shown 1:1") {
    const cv::Mat in = noise(2000, 1500);
    const cv::Mat out = max_pool(in);
    const SheetStyle st = style();
    const Sheet s = imgpool::compare_sheet({{{in, "input"}, {out, "pooled"}}}, st);
    REQUIRE(s.panels.size() == 2);
    CHECK(s.panels[0].down == 2);
    CHECK(s.panels[0].up == 1);
    CHECK(s.panels[0].rect.size() == cv::Size(1000, 750));
    CHECK(s.panels[1].down == 1);
    CHECK(s.panels[1].up == 1);
    CHECK(s.panels[1].rect.size() == cv::Size(1000, 750));
    CHECK(region_matches(s, s.panels[0], in, st));
    CHECK(region_matches(s, s.panels[1], out, st));
    check_left_to_right(s, 0, 2);
    check_ticks(s, s.panels[0]);
}

TEST_CASE("sheet: a tiny array is enlarged to 256, its pool to the same height") {
    const cv::Mat a = test::mat({{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}, {13, 14, 15, 16}}, CV_32F);
    const cv::Mat p = test::mat({{6, 8}, {14, 16}}, CV_32F);
    const SheetStyle st = style(imgpool::Colormap::magma);
    const Sheet s = imgpool::compare_sheet({{{a, "a"}, {p, "max"}}}, st);
    REQUIRE(s.panels.size() == 2);
    CHECK(s.panels[0].up == 64);
    CHECK(s.panels[1].up == 128);
    for (const Placement& pl : s.panels) CHECK(pl.rect.size() == cv::Size(256, 256));
    CHECK(region_matches(s, s.panels[0], a, st));
    CHECK(region_matches(s, s.panels[1], p, st));
    // Every panel is normalised on its own: both top-left pixels are the darkest magma.
    CHECK(s.picture.at<cv::Vec3b>(s.panels[0].rect.tl()) == s.picture.at<cv::Vec3b>(s.panels[1].rect.tl()));
    check_ticks(s, s.panels[0]);
    check_ticks(s, s.panels[1]);
    check_white_elsewhere(s);
}

TEST_CASE("sheet: other panels get the whole factor nearest to the first one's height") {
    const cv::Mat first = noise(300, 300);  // 1:1, H = 300
    const Sheet s = imgpool::compare_sheet({{{first, "300"},
                                             {noise(100, 100), "100"},
                                             {noise(90, 70), "70"},
                                             {noise(40, 460), "460"},
                                             {noise(40, 450), "450"},
                                             {noise(10, 900), "900"}}},
                                           style());
    REQUIRE(s.panels.size() == 6);
    CHECK(s.panels[0].up == 1);
    CHECK(s.panels[1].up == 3);
    CHECK(s.panels[2].up == 4);    // round(300 / 70 = 4.29)
    CHECK(s.panels[3].down == 2);  // 460 > 1.5 * 300: round(460 / 300 = 1.53)
    CHECK(s.panels[4].down == 1);  // 450 is not > 1.5 * 300: round(300 / 450) = 0, so 1:1
    CHECK(s.panels[4].up == 1);
    CHECK(s.panels[5].down == 3);
    check_left_to_right(s, 0, 6);
    check_white_elsewhere(s);
}

TEST_CASE("sheet: rows are laid out top to bottom, panels row by row") {
    const cv::Mat in = noise(64, 48);
    const cv::Mat out = max_pool(in);
    const Sheet s =
        imgpool::compare_sheet({{{in, "input"}, {out, "max"}}, {{out, "again"}, {in, "in"}, {out, "3"}}}, style());
    REQUIRE(s.panels.size() == 5);
    CHECK(s.panels[0].up == 6);  // ceil(256 / 48)
    CHECK(s.panels[2].rect.size() == s.panels[1].rect.size());
    CHECK(s.panels[3].rect.size() == s.panels[0].rect.size());
    check_left_to_right(s, 0, 2);
    check_left_to_right(s, 2, 5);
    const cv::Rect& above = s.panels[0].rect;
    for (std::size_t i = 2; i < 5; ++i) {
        CHECK(s.panels[i].rect.y > above.y + above.height + 40);  // axis labels and a title between
        CHECK(dark_pixels(s.picture, title_band(s.panels[i])) > 10);
    }
    CHECK(s.panels[2].rect.x == s.panels[0].rect.x);
    check_white_elsewhere(s);
}

TEST_CASE("sheet: a wide title widens its column instead of being clipped") {
    const cv::Mat a = noise(4, 4);
    const std::string title = "max_pool_3x3_stride_1_padding_same_dilation_1_ceil_mode_false";
    const Sheet s = imgpool::compare_sheet({{{a, title}, {a, "b"}}}, style());
    REQUIRE(s.panels.size() == 2);
    const Placement& p = s.panels[0];
    // Dark columns of the title band: the long title, a white gap, then the short title.
    const cv::Rect band(0, p.rect.y - 36, s.picture.cols, 34);
    std::vector<int> cols;
    for (int x = 0; x < s.picture.cols; ++x)
        if (dark_pixels(s.picture, {x, band.y, 1, band.height}) > 0) cols.push_back(x);
    REQUIRE(!cols.empty());
    CHECK(cols.front() >= 10);
    CHECK(cols.back() < s.picture.cols - 10);
    CHECK(cols.back() - cols.front() > 500);  // the whole title (~620 px) is there
    int widest_gap = 0;
    for (std::size_t i = 1; i < cols.size(); ++i) widest_gap = std::max(widest_gap, cols[i] - cols[i - 1]);
    CHECK(widest_gap > 20);
    CHECK(dark_pixels(s.picture, title_band(s.panels[1])) > 5);
}

TEST_CASE("sheet: a missing font still gives titles (Hershey)") {
    const cv::Mat a = noise(32, 32);
    SheetStyle st = style();
    const Sheet with_font = imgpool::compare_sheet({{{a, "Input"}, {a, "Output"}}}, st);
    st.font_file = "/nonexistent/font.ttf";
    const Sheet hershey = imgpool::compare_sheet({{{a, "Input"}, {a, "Output"}}}, st);
    st.font_file = "";
    const Sheet empty_name = imgpool::compare_sheet({{{a, "Input"}, {a, "Output"}}}, st);
    st.font_file = IMGPOOL_SAMPLES "/CREDITS.md";  // a file, but not a font
    const Sheet not_a_font = imgpool::compare_sheet({{{a, "Input"}, {a, "Output"}}}, st);
    for (const Sheet* s : {&hershey, &empty_name, &not_a_font}) {
        REQUIRE(s->panels.size() == 2);
        for (const Placement& p : s->panels) {
            CHECK(dark_pixels(s->picture, title_band(p)) > 20);
            check_ticks(*s, p);
        }
        check_white_elsewhere(*s);
    }
    CHECK(test::same(hershey.picture, empty_name.picture));
    CHECK_FALSE(test::same(hershey.picture(title_band(hershey.panels[0])).clone(),
                           with_font.picture(title_band(with_font.panels[0])).clone()));
}

TEST_CASE("sheet: 16-bit, float and RGBA panels go through to_display") {
    cv::Mat u16 = noise(50, 40, CV_16UC3);
    cv::Mat f = noise(25, 20, CV_32FC1);
    cv::Mat rgba = noise(50, 40, CV_8UC4);
    const SheetStyle st = style(imgpool::Colormap::viridis);
    const Sheet s = imgpool::compare_sheet({{{u16, "u16"}, {f, "f32"}, {rgba, "rgba"}}}, st);
    REQUIRE(s.panels.size() == 3);
    CHECK(region_matches(s, s.panels[0], u16, st));
    CHECK(region_matches(s, s.panels[1], f, st));
    CHECK(region_matches(s, s.panels[2], rgba, st));
}

TEST_CASE("sheet: errors") {
    const cv::Mat a = noise(4, 4);
    CHECK_THROWS_AS(imgpool::compare_sheet({}, style()), imgpool::Error);
    CHECK_THROWS_AS(imgpool::compare_sheet({{{a, "a"}}, {}}, style()), imgpool::Error);
    CHECK_THROWS_AS(imgpool::compare_sheet({{{cv::Mat(), "empty"}}}, style()), imgpool::Error);
    // A 1-pixel-tall strip would be enlarged 256 times: 5 million pixels wide.
    const cv::Mat strip(1, 20000, CV_8U, cv::Scalar(7));
    try {
        imgpool::compare_sheet({{{strip, "strip"}}}, style());
        FAIL("expected an error");
    } catch (const imgpool::Error& e) {
        CHECK(e.param() == "compare");
        CHECK(std::string(e.what()).find("5120") != std::string::npos);
    }
    // Many tall panels side by side: too wide.
    std::vector<Panel> many(40, Panel{noise(500, 500), "p"});
    CHECK_THROWS_AS(imgpool::compare_sheet({many}, style()), imgpool::Error);
}

TEST_CASE("sheet: sample sheets render and encode") {
    test::TempDir dir;  // gallery pictures come from docs/make-gallery.sh; these only prove the path works
    cv::Mat bgr = cv::imread(IMGPOOL_SAMPLES "/cat.png", cv::IMREAD_COLOR);
    REQUIRE(!bgr.empty());
    cv::Mat cat;
    cv::cvtColor(bgr, cat, cv::COLOR_BGR2RGB);
    const cv::Mat pooled = max_pool(cat);
    const SheetStyle st = style();
    const Sheet s =
        imgpool::compare_sheet({{{cat, "input " + dims(cat)}, {pooled, "max 2x2 /2 -> " + dims(pooled)}}}, st);
    CHECK(s.panels[0].up == 1);
    CHECK(s.panels[1].up == 2);
    CHECK(region_matches(s, s.panels[1], pooled, st));
    save(s, dir / "sheet_cat.png");

    const cv::Mat a = test::mat({{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}, {13, 14, 15, 16}}, CV_32F);
    const cv::Mat p = test::mat({{6, 8}, {14, 16}}, CV_32F);
    save(imgpool::compare_sheet({{{a, "input 4x4"}, {p, "max 2x2 /2 -> 2x2"}}}, style(imgpool::Colormap::magma)),
         dir / "sheet_magma.png");

    imgpool::PoolParams avg;
    avg.type = imgpool::PoolType::avg;
    avg.window = {4, 4};
    save(imgpool::compare_sheet({{{cat, "input"}, {pooled, "max 2x2"}, {imgpool::pool(cat, avg), "avg 4x4"}}}, st),
         dir / "sheet_three.png");
}
