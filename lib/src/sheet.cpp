// Comparison sheets: panels side by side with titles and pixel-axis ticks (see sheet.hpp).
#include "imgpool/sheet.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <opencv2/freetype.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "imgpool/error.hpp"

namespace imgpool {
namespace {

// Guard against sheets nobody can open (and against allocating gigabytes).
constexpr std::int64_t kMaxSide = 16000;
constexpr std::int64_t kMaxPixels = 200'000'000;

// Target display height of the first panel: small images are enlarged to at least
// kMinHeight, large ones reduced to at most kMaxHeight.
constexpr int kMinHeight = 256;
constexpr int kMaxHeight = 768;

const cv::Scalar kWhite(255, 255, 255);
const cv::Scalar kInk(38, 38, 38);  // text, frames and ticks: dark gray, like matplotlib's

// ---------------------------------------------------------------------------------
// Scale rule. The first panel of the first row sets the display height H: when its
// height h0 < 256 it is enlarged by up = ceil(256 / h0) (4 -> 256, 224 -> 448), when
// h0 > 768 it is reduced by area by down = ceil(h0 / 768), otherwise shown 1:1; H is its
// displayed height. Every other panel of height h gets up = max(1, round(H / h)), or,
// when h > 1.5 H, down = round(h / H). Factors are whole numbers so that a pooled pixel
// is an exact up x up block.

struct Scale {
    int up = 1;
    int down = 1;
};

Scale first_scale(int h0) {
    if (h0 < kMinHeight) return {(kMinHeight + h0 - 1) / h0, 1};
    if (h0 > kMaxHeight) return {1, (h0 + kMaxHeight - 1) / kMaxHeight};
    return {};
}

Scale scale_to(int h, int H) {
    if (h > 1.5 * H) return {1, static_cast<int>(std::lround(static_cast<double>(h) / H))};
    return {std::max(1, static_cast<int>(std::lround(static_cast<double>(H) / h))), 1};
}

// Displayed length of `n` pixels; a reduction rounds and keeps at least one pixel.
std::int64_t shown(int n, Scale s) {
    if (s.down > 1) return std::max<std::int64_t>(1, std::lround(static_cast<double>(n) / s.down));
    return static_cast<std::int64_t>(n) * s.up;
}

// ---------------------------------------------------------------------------------
// Text: DejaVu (or any TrueType font) through OpenCV's freetype module, or OpenCV's
// built-in Hershey font when no font can be loaded: a sheet never fails for a font.
// Positions are baseline-left; `px` is the font size (the em height) in pixels.

class Writer {
public:
    explicit Writer(const std::string& font_file) {
        if (font_file.empty()) return;
        try {
            auto ft = cv::freetype::createFreeType2();
            ft->loadFontData(font_file, 0);
            ft_ = ft;
        } catch (const cv::Exception&) {
            ft_.reset();
        }
    }

    // Height of digits and capitals above the baseline, and depth of descenders.
    static int cap_height(int px) { return static_cast<int>(std::lround(0.73 * px)); }
    static int descent(int px) { return static_cast<int>(std::lround(0.24 * px)); }

    int width(const std::string& s, int px) const {
        if (s.empty()) return 0;
        int base = 0;
        if (ft_) return ft_->getTextSize(s, px, -1, &base).width;
        return cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, hershey_scale(px), 1, &base).width;
    }

    void draw(cv::Mat& img, const std::string& s, cv::Point baseline_left, int px) const {
        if (s.empty()) return;
        if (ft_) {
            // freetype's origin is the top of the em box: the baseline sits px below it.
            ft_->putText(img, s, {baseline_left.x, baseline_left.y - px}, px, kInk, -1, cv::LINE_AA, false);
        } else {
            cv::putText(img, s, baseline_left, cv::FONT_HERSHEY_SIMPLEX, hershey_scale(px), kInk, 1, cv::LINE_AA);
        }
    }

private:
    // Hershey simplex capitals are 22 px tall at scale 1.
    static double hershey_scale(int px) { return cap_height(px) / 22.0; }

    cv::Ptr<cv::freetype::FreeType2> ft_;
};

// ---------------------------------------------------------------------------------
// Sizes of the decorations, in sheet pixels. Fixed for ordinary sheets (title 20 px,
// tick labels 13 px) and grown a little when the panels are very large so the text
// stays in proportion.

struct Metrics {
    int title_px, tick_px;  // font sizes
    int tick_len;           // tick marks outside the frame
    int label_gap;          // between a tick mark and its label
    int title_pad;          // above and below the title text
    int col_gap, row_gap;   // between panels
    int margin;             // around the sheet
};

Metrics metrics_for(int H) {
    const double s = std::clamp(H / 512.0, 1.0, 1.5);
    auto px = [s](double v) { return static_cast<int>(std::lround(v * s)); };
    return {px(20), px(13), px(5), px(4), px(8), px(36), px(28), px(24)};
}

// ---------------------------------------------------------------------------------
// Ticks like matplotlib's on an imshow: at pixel centres, labelled in the panel's own
// pixel coordinates, at a "nice" step 1, 2 or 5 x 10^k starting at 0, about 4 to 7 of
// them, and far enough apart on screen that labels do not collide.

struct Tick {
    int value;   // pixel coordinate of the panel's image
    int offset;  // on screen, from the image's top-left edge
};

// Screen offset of the centre of source pixel `v`.
int centre_of(int v, Scale s) {
    return static_cast<int>(std::floor((v + 0.5) * s.up / s.down));
}

// The k-th nice step: 1, 2, 5, 10, 20, 50, ...
int nice_step(int k) {
    int base = 1;
    for (int i = 0; i < k / 3; ++i) base *= 10;
    return base * (k % 3 == 0 ? 1 : k % 3 == 1 ? 2 : 5);
}

int tick_count(int n, int step) {
    return (n - 1) / step + 1;
}

int tick_step(int n, Scale s, int min_gap_px) {
    auto roomy = [&](int step) { return static_cast<double>(step) * s.up >= static_cast<double>(min_gap_px) * s.down; };
    // The smallest step with at most 7 well-spaced ticks (one tick when nothing fits)...
    int k = 0;
    while (!(roomy(nice_step(k)) && tick_count(n, nice_step(k)) <= 7) && nice_step(k) < n) ++k;
    // ...but 8 ticks read better than 3 (150 px: 0, 20, ..., 140 rather than 0, 50, 100).
    if (k > 0 && tick_count(n, nice_step(k)) < 4 && tick_count(n, nice_step(k - 1)) <= 8 && roomy(nice_step(k - 1)))
        --k;
    return nice_step(k);
}

std::vector<Tick> ticks(int n, Scale s, int min_gap_px) {
    const int step = tick_step(n, s, min_gap_px);
    std::vector<Tick> out;
    for (int v = 0; v < n; v += step) out.push_back({v, centre_of(v, s)});
    return out;
}

// ---------------------------------------------------------------------------------
// Layout of one panel inside its column (x from the column's left edge, y from the
// image's top edge).

struct Cell {
    const Panel* panel = nullptr;
    Scale scale;
    std::int64_t w = 0, h = 0;  // displayed image size
    std::vector<Tick> xticks, yticks;
    int img_x = 0;           // image left within the column
    std::int64_t col_w = 0;  // column width: image, its axis labels and its title
};

Cell layout_cell(const Panel& p, Scale s, const Metrics& m, const Writer& text) {
    Cell c;
    c.panel = &p;
    c.scale = s;
    c.w = shown(p.image.cols, s);
    c.h = shown(p.image.rows, s);

    const int xlabel_w = text.width(std::to_string(p.image.cols - 1), m.tick_px);
    const int ylabel_w = text.width(std::to_string(p.image.rows - 1), m.tick_px);
    c.xticks = ticks(p.image.cols, s, xlabel_w + 2 * m.label_gap + 4);
    c.yticks = ticks(p.image.rows, s, Writer::cap_height(m.tick_px) + 2 * m.label_gap + 4);

    // Left: the frame, tick marks and right-aligned labels; a title wider than the image
    // (centred over it) pushes the image right so the title is never clipped.
    const int axis_w = 1 + m.tick_len + m.label_gap + ylabel_w;
    const int title_w = text.width(p.title, m.title_px);
    const std::int64_t title_over = (title_w - c.w + 1) / 2;  // per side, may be < 0
    c.img_x = static_cast<int>(std::max<std::int64_t>(axis_w, title_over));

    std::int64_t right = c.w + 1;  // the frame
    right = std::max(right, c.w + title_over);
    const int last_label_w = text.width(std::to_string(c.xticks.back().value), m.tick_px);
    right = std::max<std::int64_t>(right, c.xticks.back().offset + (last_label_w + 1) / 2);
    c.col_w = c.img_x + right;
    return c;
}

int title_band(const Metrics& m) {
    return m.title_pad + Writer::cap_height(m.title_px) + Writer::descent(m.title_px) + m.title_pad;
}

int axis_band(const Metrics& m) {
    return 1 + m.tick_len + m.label_gap + Writer::cap_height(m.tick_px) + Writer::descent(m.tick_px);
}

// ---------------------------------------------------------------------------------
// Drawing.

// Integer repetition: each source pixel becomes an exact up x up block (the same as
// cv::INTER_NEAREST for a whole factor, without its floating-point index rounding).
cv::Mat enlarge(const cv::Mat& src, int up) {
    cv::Mat dst(src.rows * up, src.cols * up, src.type());
    for (int y = 0; y < dst.rows; ++y) {
        const auto* s = src.ptr<cv::Vec3b>(y / up);
        auto* d = dst.ptr<cv::Vec3b>(y);
        for (int x = 0; x < dst.cols; ++x) d[x] = s[x / up];
    }
    return dst;
}

cv::Mat scaled(const cv::Mat& rgb, const Cell& c) {
    if (c.scale.up > 1) return enlarge(rgb, c.scale.up);
    if (c.scale.down == 1) return rgb;
    cv::Mat out;
    cv::resize(rgb, out, cv::Size(static_cast<int>(c.w), static_cast<int>(c.h)), 0, 0, cv::INTER_AREA);
    return out;
}

void draw_axes(cv::Mat& sheet, const cv::Rect& r, const Cell& c, const Metrics& m, const Writer& text) {
    cv::rectangle(sheet, cv::Rect(r.x - 1, r.y - 1, r.width + 2, r.height + 2), kInk, 1);
    const int cap = Writer::cap_height(m.tick_px);

    const int below = r.y + r.height + 1;  // first row under the frame
    for (const Tick& t : c.xticks) {
        const int x = r.x + t.offset;
        cv::line(sheet, {x, below}, {x, below + m.tick_len - 1}, kInk, 1);
        const std::string label = std::to_string(t.value);
        const int w = text.width(label, m.tick_px);
        text.draw(sheet, label, {x - w / 2, below + m.tick_len + m.label_gap + cap}, m.tick_px);
    }

    const int left = r.x - 2;  // first column left of the frame
    for (const Tick& t : c.yticks) {
        const int y = r.y + t.offset;
        cv::line(sheet, {left - m.tick_len + 1, y}, {left, y}, kInk, 1);
        const std::string label = std::to_string(t.value);
        const int w = text.width(label, m.tick_px);
        text.draw(sheet, label, {left - m.tick_len - m.label_gap - w + 1, y + cap / 2}, m.tick_px);
    }
}

void draw_title(cv::Mat& sheet, const cv::Rect& r, const std::string& title, const Metrics& m, const Writer& text) {
    const int w = text.width(title, m.title_px);
    const int baseline = r.y - 1 - m.title_pad - Writer::descent(m.title_px);
    text.draw(sheet, title, {r.x + (r.width - w) / 2, baseline}, m.title_px);
}

std::string size_text(std::int64_t w, std::int64_t h) {
    return std::to_string(w) + "x" + std::to_string(h);
}

}  // namespace

Sheet compare_sheet(const std::vector<std::vector<Panel>>& rows, const SheetStyle& style) {
    if (rows.empty() || rows.front().empty()) throw Error("compare", "nothing to compare: no panels");
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].empty()) throw Error("compare", "row " + std::to_string(i + 1) + " has no panels");
        for (const Panel& p : rows[i])
            if (p.image.empty()) throw Error("compare", "panel \"" + p.title + "\" has no image");
    }

    const Writer text(style.font_file);
    const Scale first = first_scale(rows[0][0].image.rows);
    const int H = static_cast<int>(shown(rows[0][0].image.rows, first));
    const Metrics m = metrics_for(H);

    // Measure everything first, so an absurd sheet is refused before any allocation.
    std::vector<std::vector<Cell>> cells;
    std::int64_t sheet_w = 0, sheet_h = m.margin;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        std::vector<Cell> row;
        std::int64_t row_w = m.margin, img_h = 0;
        for (const Panel& p : rows[i]) {
            const Scale s = row.empty() && cells.empty() ? first : scale_to(p.image.rows, H);
            row.push_back(layout_cell(p, s, m, text));
            row_w += row.back().col_w + (row.size() > 1 ? m.col_gap : 0);
            img_h = std::max(img_h, row.back().h);
        }
        sheet_w = std::max(sheet_w, row_w + m.margin);
        sheet_h += title_band(m) + img_h + axis_band(m) + (i > 0 ? m.row_gap : 0);
        cells.push_back(std::move(row));
    }
    sheet_h += m.margin;
    if (sheet_w > kMaxSide || sheet_h > kMaxSide || sheet_w * sheet_h > kMaxPixels)
        throw Error("compare", "the sheet would be " + size_text(sheet_w, sheet_h) +
                                   " pixels, more than the limit of " + size_text(kMaxSide, kMaxSide) +
                                   " or 200 megapixels");

    Sheet out;
    out.picture.create(static_cast<int>(sheet_h), static_cast<int>(sheet_w), CV_8UC3);
    out.picture.setTo(kWhite);
    int y = m.margin;
    for (const auto& row : cells) {
        int x = m.margin, img_h = 0;
        for (const Cell& c : row) {
            const cv::Rect r(x + c.img_x, y + title_band(m), static_cast<int>(c.w), static_cast<int>(c.h));
            scaled(to_display(c.panel->image, style.colormap, style.range), c).copyTo(out.picture(r));
            draw_axes(out.picture, r, c, m, text);
            draw_title(out.picture, r, c.panel->title, m, text);
            out.panels.push_back({r, c.scale.up, c.scale.down});
            x += static_cast<int>(c.col_w) + m.col_gap;
            img_h = std::max(img_h, r.height);
        }
        y += title_band(m) + img_h + axis_band(m) + m.row_gap;
    }
    return out;
}

}  // namespace imgpool
