#pragma once
// Comparison sheets: panels side by side, each enlarged by a whole-number factor so a
// pooled pixel is an even block, with a title and pixel-axis ticks.
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "imgpool/display.hpp"

namespace imgpool {

struct Panel {
    cv::Mat image;      // any depth; see to_display()
    std::string title;  // e.g. "input 224x224", "max 2x2 /2 -> 112x112"
};

struct SheetStyle {
    std::string font_file;  // a TrueType font; empty or unreadable: OpenCV's Hershey font
    Colormap colormap = Colormap::none;
    DisplayRange range;
};

// Where a panel's pixels landed: the sheet region `rect` shows the panel's image scaled
// by up/down (whole numbers: nearest-neighbour enlargement when up > 1, area reduction
// when down > 1; one of them is 1).
struct Placement {
    cv::Rect rect;
    int up = 1;
    int down = 1;
};

struct Sheet {
    cv::Mat picture;                 // CV_8UC3, RGB order
    std::vector<Placement> panels;  // in the order given, row by row
};

// Lays out `rows` of panels (usually one row). The first panel sets the display height:
// enlarged by a whole factor when small, reduced by a whole divisor by area when large;
// every other panel gets the whole factor (or divisor) that brings it closest to that height.
// Precisely: the first panel of the first row, h0 rows tall, is enlarged by
// up = ceil(256 / h0) when h0 < 256 (4x4 -> 256 tall, 224 -> 448), reduced by area by
// down = ceil(h0 / 768) when h0 > 768, else shown 1:1; H is its displayed height. Every
// other panel of height h gets up = max(1, round(H / h)) (exact nearest-neighbour blocks),
// or down = round(h / H) when h > 1.5 H. Each panel has a title above and pixel-axis
// ticks (in its own pixel coordinates) left and below, on a white RGB picture.
// Throws imgpool::Error("compare", ...) for no panels, an empty image, or a sheet larger
// than 16000 px on a side or 200 megapixels.
Sheet compare_sheet(const std::vector<std::vector<Panel>>& rows, const SheetStyle& style);

}  // namespace imgpool
