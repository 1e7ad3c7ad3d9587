// Flag parsing in process: value syntax, one-line errors naming the flag, combinations.
#include <doctest/doctest.h>

#include "cli_values.hpp"
#include "naming.hpp"
#include "options.hpp"
#include "report.hpp"

using namespace imgpool;
using namespace imgpool::cli;

namespace {

// Parses `args` like the real front end; returns "" or the error message.
std::string parse(std::vector<std::string> args, Options* out = nullptr) {
    CLI::App app{"imgpool", "imgpool"};
    Options o;
    setup_cli(app, o);
    std::reverse(args.begin(), args.end());  // CLI11 takes them in reverse order
    try {
        app.parse(args);
        finish_options(app, o);
    } catch (const CLI::ParseError& e) {
        return e.what();
    }
    if (out) *out = o;
    return "";
}

}  // namespace

TEST_CASE("parse_extent: N or WxH, width first") {
    CHECK(parse_extent("3") == Extent{3, 3});
    CHECK(parse_extent("3x2") == Extent{3, 2});
    CHECK(parse_extent("0") == Extent{0, 0});
    CHECK(parse_extent("3X2") == Extent{3, 2});  // any case, like the enumerated flags
    for (const char* bad : {"", "x", "3x", "x2", "3x2x1", "-1", "+2", "2.5", "a", "99999999999"})
        CHECK_MESSAGE(!parse_extent(bad), bad);
}

TEST_CASE("parse_pixel_count: N, NM, NG") {
    CHECK(parse_pixel_count("4000000") == 4000000LL);
    CHECK(parse_pixel_count("128M") == 128000000LL);
    CHECK(parse_pixel_count("2g") == 2000000000LL);
    CHECK(parse_pixel_count("0") == 0LL);
    for (const char* bad : {"", "M", "-1", "1.5M", "12x", "99999999999999999999", "9999999999G"})
        CHECK_MESSAGE(!parse_pixel_count(bad), bad);
}

TEST_CASE("parse_padding: valid, same, N, WxH, L,T,R,B") {
    auto eq = [](std::optional<Padding> p, Padding q) {
        return p && p->same == q.same && p->left == q.left && p->top == q.top && p->right == q.right &&
               p->bottom == q.bottom;
    };
    CHECK(eq(parse_padding("valid"), Padding::valid()));
    CHECK(eq(parse_padding("same"), Padding::tf_same()));
    CHECK(eq(parse_padding("SAME"), Padding::tf_same()));
    CHECK(eq(parse_padding("2"), Padding::symmetric(2)));
    CHECK(eq(parse_padding("1x2"), Padding{false, 1, 2, 1, 2}));
    CHECK(eq(parse_padding("1,2,3,4"), Padding{false, 1, 2, 3, 4}));
    for (const char* bad : {"1,2,3", "1,2,3,4,5", "-1", "same ", "1,,2,3", "full"})
        CHECK_MESSAGE(!parse_padding(bad), bad);
    CHECK(to_text(Padding::explicit_(1, 2, 3, 4)) == "1,2,3,4");
    CHECK(to_text(Padding::valid()) == "valid");
}

TEST_CASE("default output name: <stem>.<type>-<W>x<H>-s<W>x<H>.<ext>, plus what differs from the defaults") {
    Options o;
    auto name = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "dir/cat.png");
        REQUIRE(parse(args, &o) == "");
        return default_output_name(o, params_for(o, o.types[0]), ".png");
    };
    CHECK(name({}) == "dir/cat.max-2x2-s2x2.png");
    CHECK(name({"-t", "avg", "-k", "3x2", "-s", "1"}) == "dir/cat.avg-3x2-s1x1.png");
    CHECK(name({"-t", "avg", "--output-size", "7x5"}) == "dir/cat.avg-out7x5.png");
    CHECK(name({"--global"}) == "dir/cat.max-global.png");
    CHECK(name({"-p", "same", "--repeat", "4"}) == "dir/cat.max-2x2-s2x2-same-x4.png");
    CHECK(name({"-p", "1", "--ceil", "--dilation", "2", "--border", "reflect"}) ==
          "dir/cat.max-2x2-s2x2-p1-d2-ceil-reflect.png");
    CHECK(name({"-t", "avg", "-p", "1x0", "--count-pad", "--round", "up", "--depth", "f32"}) ==
          "dir/cat.avg-2x2-s2x2-p1x0-countpad-up-f32.png");
    CHECK(name({"-p", "0,0,1,1"}) == "dir/cat.max-2x2-s2x2-p0,0,1,1.png");
    CHECK(name({"-t", "lp", "--power", "3"}) == "dir/cat.lp-2x2-s2x2-pow3.png");
    CHECK(name({"--grayscale", "--resize", "224x224", "--filter", "edge", "--relu"}) ==
          "dir/cat.max-2x2-s2x2-gray-r224x224-fedge-relu.png");
    CHECK(name({"--resize", "224x224", "--interp", "lanczos"}) == "dir/cat.max-2x2-s2x2-r224x224-lanczos.png");
    // every setting that changes the result changes the name
    CHECK(name({"--dilation", "2"}) != name({}));
}

TEST_CASE("flags bind to the parameters") {
    Options o;
    REQUIRE(parse({"in.png", "-t", "AVG", "-k", "3x2", "-s", "1", "-p", "1,0,1,0", "--ceil", "--count-pad",
                   "--round", "up", "--depth", "f32", "-o", "out.npy"},
                  &o) == "");
    CHECK(o.types == std::vector<PoolType>{PoolType::avg});
    CHECK(o.pool.window == Extent{3, 2});
    CHECK(o.pool.stride == Extent{1, 1});
    CHECK(o.pool.padding.left == 1);
    CHECK(o.pool.padding.top == 0);
    CHECK(o.pool.ceil_mode);
    CHECK(o.pool.count_pad);
    CHECK(o.pool.rounding == Rounding::half_up);
    CHECK(o.pool.depth == CV_32F);
    CHECK(o.output == "out.npy");
    REQUIRE(parse({"in.png", "--output-size", "7x5", "-t", "lp", "--power", "3"}, &o) == "");
    CHECK(o.pool.scope == Scope::adaptive);
    CHECK(o.pool.output_size == Extent{7, 5});
    CHECK(o.pool.power == 3);
    REQUIRE(parse({"in.png", "--global"}, &o) == "");
    CHECK(o.pool.scope == Scope::global);
    REQUIRE(parse({"in.png"}, &o) == "");  // defaults: max 2x2 stride = size, valid
    CHECK(o.types == std::vector<PoolType>{PoolType::max});
    CHECK(o.repeat == 1);
    CHECK(o.pool.window == Extent{2, 2});
    CHECK(o.pool.scope == Scope::window);
}

TEST_CASE("bad values and contradictions name the flag") {
    struct Row { std::vector<std::string> args; std::string starts; };
    const Row rows[] = {
        {{"a.png", "-k", "0"}, "--size: '0' must be at least 1"},
        {{"a.png", "-k", "3x"}, "--size: '3x' is not N or WxH"},
        {{"a.png", "-s", "-1"}, "--stride"},
        {{"a.png", "-p", "1,2,3"}, "--padding: '1,2,3' is not valid, same, N, WxH or L,T,R,B"},
        {{"a.png", "-t", "lp", "--power", "0.5"}, "--power: '0.5' must be a number >= 1"},
        {{"a.png", "--power", "3"}, "--power: applies to -t lp only, not max"},
        {{"a.png", "--output-size", "0x4"}, "--output-size: '0x4' must be at least 1"},
        {{"a.png", "-t", "biggest"}, "--type: 'biggest' is not one of max, avg, mean, min, median, mode, lp, sum"},
        {{"a.png", "--border", "wrap"}, "--border: 'wrap' is not one of"},
        {{"a.png", "--depth", "u32"}, "--depth: 'u32' is not one of"},
        {{"a.png", "--global", "-k", "3"}, "--global excludes --size"},
        {{"a.png", "--output-size", "3", "--ceil"}, "--output-size excludes --ceil"},
        {{"a.png", "--global", "--output-size", "3"}, "--global excludes --output-size"},
        {{"a.png", "--count-pad"}, "--count-pad: applies to -t avg only, not max"},
        {{"a.png", "-t", "avg", "--count-pad", "--border", "zero"}, "--count-pad: cannot be combined with --border"},
        {{"a.png", "-p", "same", "--ceil"}, "--ceil: does not apply to --padding same"},
        {{"a.png", "-o", "-", "--print"}, "--output: -o - writes the result to stdout"},
        {{"-"}, "--output: reading stdin"},
        {{"a.png", "--quality", "0"}, "--quality"},
        {{"a.png", "--png-compression", "10"}, "--png-compression"},
        {{"a.png", "--png-compression", "-1"}, "--png-compression"},
        {{"a.png", "--interp", "area"}, "--interp: applies to --resize only"},
        {{"a.png", "--resize", "10"}, "--resize: '10' is not WxH"},
        {{"a.png", "--frobnicate"}, "The following argument was not expected: --frobnicate"},
        {{}, "INPUT is required"},
    };
    for (const Row& r : rows) {
        const std::string msg = parse(r.args);
        INFO("args: " << (r.args.empty() ? "" : r.args.back()) << " -> " << msg);
        CHECK(msg.rfind(r.starts, 0) == 0);
    }
}

TEST_CASE("several types: each option must be usable by at least one of them") {
    Options o;
    REQUIRE(parse({"in.png", "-t", "max,avg,min", "--count-pad", "-p", "1"}, &o) == "");
    CHECK(o.types == std::vector<PoolType>{PoolType::max, PoolType::avg, PoolType::min});
    CHECK(params_for(o, PoolType::avg).count_pad);
    CHECK(!params_for(o, PoolType::max).count_pad);  // dropped where it does not apply
    CHECK(parse({"in.png", "-t", "max,lp", "--power", "3"}) == "");
    CHECK(parse({"in.png", "-t", "max,min", "--power", "3"}).rfind("--power: applies to -t lp only, not max,min", 0) == 0);
    CHECK(parse({"in.png", "-t", "max,max"}).rfind("--type: max is listed twice", 0) == 0);
    CHECK(parse({"in.png", "-t", "max,avg", "-o", "-"}).rfind("--output: -o - writes one result", 0) == 0);
    CHECK(parse({"in.png", "--colormap", "magma"}).rfind("--colormap: applies to --compare", 0) == 0);
    CHECK(parse({"in.png", "--compare", "s.png", "--colormap", "nope"}).rfind("--colormap: 'nope' is not a colormap (", 0) == 0);
    CHECK(parse({"in.png", "--compare", "s.png", "--range", "5,1"}).rfind("--range: '5,1' needs LO < HI", 0) == 0);
    CHECK(parse({"in.png", "--repeat", "0"}).rfind("--repeat", 0) == 0);
    CHECK(parse({"in.png", "--filter-padding", "valid"}).rfind("--filter-padding: applies to --filter only", 0) == 0);
    REQUIRE(parse({"in.png", "--compare", "s.png", "--range", "-1.5,2e3", "--colormap", "Magma"}, &o) == "");
    CHECK(o.range.fixed);
    CHECK(o.range.lo == -1.5);
    CHECK(o.range.hi == 2000);
    CHECK(o.colormap == Colormap::magma);
}

TEST_CASE("batch flags need a batch run, and a batch run needs -o DIR") {
    for (const char* flag : {"--recursive", "--fail-fast", "--skip-existing"})
        CHECK(parse({"in.png", flag}).find("applies to batch runs") != std::string::npos);
    CHECK(parse({"in.png", "-j", "2"}).rfind("--jobs: applies to batch runs", 0) == 0);
    CHECK(parse({"a.png", "b.png"}).rfind("--output: a batch run", 0) == 0);
    CHECK(parse({"a.png", "b.png", "-o", "out", "--print"}).rfind("--print: applies to one input", 0) == 0);
    CHECK(parse({"a.png", "b.png", "-o", "out", "--shard", "0/3"}).rfind("--shard: '0/3' needs 1 <= I <= N", 0) == 0);
    CHECK(parse({"a.png", "b.png", "-o", "out", "--shard", "2"}).rfind("--shard: '2' is not I/N", 0) == 0);
    CHECK(parse({"a.png", "b.png", "-o", "out", "--skip-existing", "--overwrite"}).find("excludes") != std::string::npos);
    Options o;
    REQUIRE(parse({"a.png", "b.png", "-o", "out", "--shard", "2/5", "--ext", "png,JPG"}, &o) == "");
    CHECK(o.batch);
    CHECK(o.shard_index == 2);
    CHECK(o.shard_count == 5);
    CHECK(o.extensions == std::vector<std::string>{"png", "JPG"});
    REQUIRE(parse({"a.png"}, &o) == "");
    CHECK(!o.batch);
    CHECK(o.input == "a.png");
}

TEST_CASE("library parameter names map to flags") {
    CHECK(flag_for_param("window") == "--size");
    CHECK(flag_for_param("padding") == "--padding");
    CHECK(flag_for_param("border") == "--border");
}

TEST_CASE("sheet titles say what each stage did") {
    PoolParams p;
    CHECK(stage_title(p, {112, 112}) == "max 2x2 /2 -> 112x112");
    p.type = PoolType::avg;
    p.window = {3, 2};
    p.stride = {1, 1};
    p.padding = Padding::symmetric(1);
    p.count_pad = true;
    p.ceil_mode = true;
    CHECK(stage_title(p, {5, 4}) == "avg 3x2 /1 pad 1,1,1,1 ceil count-pad -> 5x4");
    p = {};
    p.padding = Padding::tf_same();
    p.dilation = {2, 2};
    p.border = Border::reflect;
    CHECK(stage_title(p, {8, 8}) == "max 2x2 /2 same dil 2 reflect -> 8x8");
    p.stride = {2, 1};
    CHECK(stage_title(p, {8, 8}) == "max 2x2 /2x1 same dil 2 reflect -> 8x8");
    p = {};
    p.scope = Scope::global;
    CHECK(stage_title(p, {1, 1}) == "max global -> 1x1");
    p.scope = Scope::adaptive;
    CHECK(stage_title(p, {7, 5}) == "max adaptive -> 7x5");
}
