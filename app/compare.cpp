#include "compare.hpp"

#include <cmath>
#include <filesystem>

#include "report.hpp"

namespace imgpool::cli {

const char* sheet_font() { return "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"; }

namespace {

// Panels that show the same quantity share one scale, so a value has one colour across
// them: 8-bit data as it is, other depths over the joint finite min..max (or --range).
void share_scale(std::vector<Panel*> group, const Options& o) {
    DisplayRange range = o.range;
    if (!range.fixed) {
        double lo = INFINITY, hi = -INFINITY;
        for (const Panel* p : group) {
            if (p->image.depth() == CV_8U) return;
            cv::Mat d;
            p->image.convertTo(d, CV_64F);
            for (double v : cv::Mat_<double>(d.reshape(1, 1)))
                if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        }
        if (!(lo < hi)) return;  // constant or empty: to_display's own rule
        range = {true, lo, hi};
    }
    for (Panel* p : group) p->image = to_display(p->image, p->image.channels() == 1 ? o.colormap : Colormap::none, range);
}

}  // namespace

static std::string size_text(const cv::Mat& m) { return std::to_string(m.cols) + "x" + std::to_string(m.rows); }

std::vector<std::vector<Panel>> sheet_rows(const Options& o, const cv::Mat& input, const cv::Mat& filtered,
                                           const cv::Mat& detected, const std::vector<TypeResult>& results) {
    // With a filter the panels tell the CNN story, with the tutorial's titles.
    const bool pipeline = !o.filter.empty();
    // The colormap is for feature maps: a filtered run shows its input photo in gray.
    const cv::Mat shown = pipeline ? to_display(input, Colormap::gray, {}) : input;
    std::vector<Panel> lead = {{shown, (pipeline ? "Input " : "input ") + size_text(input)}};
    if (pipeline) lead.push_back({filtered, "Filter: " + std::filesystem::path(o.filter).filename().string()});
    if (o.relu) lead.push_back({detected, pipeline ? "Detect: ReLU" : "ReLU " + size_text(detected)});

    auto title = [&](const TypeResult& r, const cv::Mat& stage) {
        return (pipeline ? "Condense: " : "") + stage_title(r.params, stage.size());
    };
    std::vector<std::vector<Panel>> rows;
    const bool row_per_type = results.size() > 1 && o.repeat > 1;
    for (const TypeResult& r : results) {
        if (rows.empty() || row_per_type) rows.push_back(lead);
        for (const cv::Mat& stage : r.stages) rows.back().push_back({stage, title(r, stage)});
    }
    // One scale for what pooling compares: the pooled stages and the panel they came from.
    std::vector<Panel*> group;
    for (auto& row : rows)
        for (size_t i = lead.size() - 1; i < row.size(); ++i) group.push_back(&row[i]);
    share_scale(group, o);
    return rows;
}

}  // namespace imgpool::cli
