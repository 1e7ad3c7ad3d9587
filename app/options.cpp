#include "options.hpp"

#include <algorithm>
#include <optional>
#include <filesystem>
#include <map>
#include <opencv2/core.hpp>

#include "cli_values.hpp"
#include "imgpool/pool.hpp"

namespace imgpool::cli {
namespace {

std::map<std::string, std::vector<std::string>>& choices_registry() {
    static std::map<std::string, std::vector<std::string>> flags;
    return flags;
}

template <class T>
using Choices = std::vector<std::pair<std::string, T>>;

// The value a spelling (case-insensitive) names among `choices`.
template <class T>
std::optional<T> lookup(const Choices<T>& choices, const std::string& text) {
    const std::string lower = CLI::detail::to_lower(text);
    for (const auto& [name, value] : choices)
        if (lower == name) return value;
    return std::nullopt;
}

template <class T>
std::string spellings(const Choices<T>& choices) {
    std::string list;
    for (const auto& [name, value] : choices) list += (list.empty() ? "" : ", ") + name;
    return list;
}

template <class T>
void record_choices(const std::string& flag, const Choices<T>& choices) {
    for (const auto& [name, value] : choices) choices_registry()[flag].push_back(name);
}

// Binds a "N|WxH" flag; every axis must be at least `min`.
CLI::Option* add_extent(CLI::App& app, const std::string& names, Extent& target, int min, const std::string& help) {
    auto* opt = app.add_option_function<std::string>(
        names, [&target](const std::string& s) { target = *parse_extent(s); }, help);
    opt->type_name("N|WxH");
    opt->check(CLI::Validator(
        [min](std::string& s) -> std::string {
            const auto e = parse_extent(s);
            if (!e && s.find_first_not_of("0123456789x") == std::string::npos && s.size() > 9)
                return "'" + s + "' is too large";
            if (!e) return "'" + s + "' is not N or WxH (e.g. 2, or 3x2 for 3 wide, 2 tall)";
            if (e->w < min || e->h < min)
                return "'" + s + "' must be at least " + std::to_string(min) + " on each axis";
            return {};
        },
        ""));
    return opt;
}

// CLI11's help lists every exclusion beside each flag; the groups and the footer say it
// once instead, so each flag shows only its placeholder and default.
class Formatter : public CLI::Formatter {
public:
    std::string make_option_opts(const CLI::Option* opt) const override {
        std::string out;
        if (opt->get_type_size() != 0 && !opt->get_type_name().empty()) out += " " + get_label(opt->get_type_name());
        if (opt->get_type_size() != 0 && !opt->get_default_str().empty()) out += "=" + opt->get_default_str();
        if (opt->get_required()) out += " " + get_label("REQUIRED");
        return out;
    }
};

// Binds a flag whose text `parse` turns into a value (nullopt: malformed, which CLI11
// reports as "--flag: '<text>' is not <expected>"); `store` keeps it.
template <class Parse, class Store>
CLI::Option* add_parsed(CLI::App& app, const std::string& names, Parse parse, Store store, const std::string& help,
                        const std::string& type_name, const std::string& expected) {
    return app
        .add_option_function<std::string>(
            names, [parse, store](const std::string& s) { store(*parse(s)); }, help)
        ->type_name(type_name)
        ->check(CLI::Validator(
            [parse, expected](std::string& s) -> std::string {
                return parse(s) ? "" : "'" + s + "' is not " + expected;
            },
            ""));
}

// An enumerated flag. The text stays as typed (so --print-config shows "avg", not a number)
// and the spellings are recorded for the shell completions.
template <class T>
CLI::Option* add_choice(CLI::App& app, const std::string& flag, T& target, const Choices<T>& choices,
                        const std::string& help) {
    record_choices(flag, choices);
    return add_parsed(
        app, flag, [choices](const std::string& s) { return lookup(choices, s); }, [&target](T v) { target = v; },
        help, "", "one of " + spellings(choices));
}

const char* kFooter = R"(Sizes are width first (like cv::Size and ImageMagick geometry): -k 3x2 is a window
3 wide and 2 tall, PyTorch's kernel_size=(2, 3). Padding L,T,R,B is left, top, right, bottom.

Examples:
  imgpool cat.png                              max 2x2 stride 2 -> cat.max-2x2-s2x2.png
  imgpool cat.png -t avg -k 3 -s 2 -p same -o small.png
  imgpool cat.png --grayscale --resize 224x224 -k 2 -o cat112.png
  imgpool cat.png -t max,avg,min -k 4 --compare sheet.png   before/after picture
  imgpool cat.png --grayscale --filter edge --relu --colormap magma --compare cnn.png
  imgpool a.csv -k 2 --print                   pooled numbers as NumPy prints them
  imgpool a.npy -t avg -k 3 -s 1 -p 1 --count-pad -o b.npy    PyTorch AvgPool2d(3, 1, 1)
  imgpool a.npy --output-size 7x7 -t avg -o b.npy             PyTorch AdaptiveAvgPool2d(7)
  imgpool photo.jpg --global -t avg --json     one value per channel, as JSON
  cat in.png | imgpool - -t min -k 4 -o - > out.png

Exit status: 0 success; 1 an input or output failed (unreadable, corrupt, unwritable,
existing without --overwrite); 2 a usage error (bad flag or value).
Semantics (output sizes, padding, rounding): docs/semantics.md.)";

}  // namespace

const std::map<std::string, std::vector<std::string>>& flag_choices() { return choices_registry(); }

void setup_cli(CLI::App& app, Options& o) {
    choices_registry()["--colormap"] = colormap_names();
    choices_registry()["--filter"] = builtin_kernel_names();
    choices_registry()["--format"] = {"png", "jpg", "tif", "webp", "bmp", "ppm", "pgm", "pnm", "npy", "csv"};
    app.description("Pool an image or array: slide a window over it and keep one value per window, per channel.");
    app.footer(kFooter);
    app.set_version_flag("--version", std::string("imgpool ") + IMGPOOL_VERSION + " (OpenCV " + CV_VERSION + ")");
    auto formatter = std::make_shared<Formatter>();
    formatter->column_width(30);
    app.formatter(formatter);

    app.add_option("INPUT", o.inputs,
                   "image (PNG, JPEG, TIFF, WebP, BMP, PNM...), .npy, .csv/.txt, or - for stdin; "
                   "several files, directories or quoted globs (\"data/*.jpg\") make a batch run")
        ->type_name("");

    const std::string pooling = "Pooling";
    const Choices<PoolType> types = {{"max", PoolType::max}, {"avg", PoolType::avg},       {"mean", PoolType::avg},
                                     {"min", PoolType::min}, {"median", PoolType::median}, {"mode", PoolType::mode},
                                     {"lp", PoolType::lp},   {"sum", PoolType::sum}};
    record_choices("--type", types);
    app.add_option_function<std::vector<std::string>>(
           "-t,--type",
           [&o, types](const std::vector<std::string>& given) {
               o.types.clear();
               for (const std::string& s : given) o.types.push_back(*lookup(types, s));
           },
           "max, avg, min, median, mode (most frequent, ties to the smallest), lp, sum; "
           "several as max,avg,min: one output each")
        ->type_name("TYPE[,TYPE...]")
        ->delimiter(',')
        ->check(CLI::Validator(
            [types](std::string& s) -> std::string {
                return lookup(types, s) ? "" : "'" + s + "' is not one of " + spellings(types);
            },
            ""))
        ->default_str("max")
        ->group(pooling);
    app.add_option("--power", o.pool.power, "p of the lp norm (sum |x|^p)^(1/p), >= 1")
        ->type_name("P")
        ->check(CLI::Validator(
            [](std::string& s) -> std::string {
                double v = 0;
                try {
                    v = std::stod(s);
                } catch (...) {
                    return "'" + s + "' is not a number";
                }
                return v >= 1 && v < 1e300 ? "" : "'" + s + "' must be a number >= 1";
            },
            ""))
        ->default_str("2")
        ->group(pooling);
    app.add_option("--repeat", o.repeat, "pool N times over (the sheet shows every stage)")
        ->type_name("N")
        ->check(CLI::Range(1, 64).description(""))
        ->default_str("1")
        ->group(pooling);
    auto* global = app.add_flag("--global", o.global, "one value per channel (global pooling)")->group(pooling);
    auto* adaptive = add_extent(app, "--output-size", o.pool.output_size, 1,
                                "adaptive pooling to this output size, with PyTorch's bins")
                         ->type_name("WxH")
                         ->group(pooling);

    const std::string window = "Window (not with --global or --output-size)";
    std::vector<CLI::Option*> window_flags = {
        add_extent(app, "-k,--size", o.pool.window, 1, "window size")->default_str("2"),
        add_extent(app, "-s,--stride", o.pool.stride, 1, "step between windows (default: the size)"),
        add_parsed(
            app, "-p,--padding", parse_padding, [&o](Padding v) { o.pool.padding = v; },
            "valid (none), same (TF/Keras: output ceil(n/stride)), N, WxH, or L,T,R,B", "PAD",
            "valid, same, N, WxH or L,T,R,B")
            ->default_str("valid"),
        app.add_flag("--ceil", o.pool.ceil_mode, "ceil mode: keep a partial last window (PyTorch ceil_mode)"),
        add_extent(app, "--dilation", o.pool.dilation, 1, "spacing of the window's cells (default 1)"),
        app.add_flag("--count-pad", o.pool.count_pad,
                     "avg: padding counts as zeros in the divisor (PyTorch count_include_pad=True)"),
        add_choice<Border>(app, "--border", o.pool.border,
                           {{"ignore", Border::ignore}, {"zero", Border::zero}, {"replicate", Border::replicate},
                            {"edge", Border::replicate}, {"reflect", Border::reflect}},
                           "padded cells: ignore (take no part, as TF), or fill with zero, replicate, reflect")
            ->type_name("MODE")
            ->default_str("ignore"),
    };
    for (auto* f : window_flags) {
        f->group(window);
        f->excludes(global);
        f->excludes(adaptive);
    }
    global->excludes(adaptive);

    const std::string values = "Values";
    add_choice<Rounding>(app, "--round", o.pool.rounding, {{"even", Rounding::half_even}, {"up", Rounding::half_up}},
                         "integer results of averages: even (ties to even, np.rint) or up")
        ->type_name("even|up")
        ->default_str("even")
        ->group(values);
    add_choice<int>(app, "--depth", o.pool.depth,
                    {{"auto", -1}, {"u8", CV_8U}, {"s8", CV_8S}, {"u16", CV_16U}, {"s16", CV_16S}, {"s32", CV_32S},
                     {"f32", CV_32F}, {"f64", CV_64F}},
                    "result depth: auto (the input's; f64 for sum), u8, s8, u16, s16, s32, f32, f64")
        ->type_name("DEPTH")
        ->default_str("auto")
        ->group(values);

    const std::string pre = "Pre-steps (in this order, before pooling)";
    app.add_flag("--grayscale", o.grayscale, "Rec.601 luma, as OpenCV's cvtColor")->group(pre);
    app.add_option_function<std::string>(
           "--resize", [&o](const std::string& s) { o.resize = *parse_extent(s); },
           "resize to exactly WxH (area when shrinking, linear when enlarging)")
        ->type_name("WxH")
        ->check(CLI::Validator(
            [](std::string& s) -> std::string {
                const auto e = parse_extent(s);
                if (!e || s.find('x') == std::string::npos) return "'" + s + "' is not WxH";
                return e->w >= 1 && e->h >= 1 ? "" : "'" + s + "' must be at least 1x1";
            },
            ""))
        ->group(pre);
    add_choice<Interp>(app, "--interp", o.interp,
                       {{"auto", Interp::automatic}, {"nearest", Interp::nearest}, {"linear", Interp::linear},
                        {"area", Interp::area}, {"cubic", Interp::cubic}, {"lanczos", Interp::lanczos}},
                       "resize interpolation: auto, nearest, linear, area, cubic, lanczos")
        ->type_name("MODE")
        ->default_str("auto")
        ->group(pre);

    app.add_option("--filter", o.filter,
                   "filter first, as a CNN layer (correlation per channel): edge, emboss, sharpen, sobel-x, "
                   "sobel-y, blur, laplacian, identity, or a kernel .csv/.npy")
        ->type_name("NAME|FILE")
        ->group(pre);
    add_choice<FilterPadding>(app, "--filter-padding", o.filter_padding,
                              {{"same", FilterPadding::same}, {"valid", FilterPadding::valid}},
                              "same (zeros, as Keras Conv2D padding='same') or valid")
        ->type_name("same|valid")
        ->default_str("same")
        ->group(pre);
    app.add_flag("--relu", o.relu, "then clamp negatives to 0 (detect), before pooling (condense)")->group(pre);

    const std::string pictures = "Pictures";
    app.add_option("--compare", o.compare,
                   "write a before/after sheet: the input, (filter, detect,) then each pooled stage, "
                   "side by side at one display height, titled, with pixel axes")
        ->type_name("FILE")
        ->group(pictures);
    add_parsed(
        app, "--colormap", colormap_named, [&o](Colormap c) { o.colormap = c; },
        "single-channel panels of the sheet: gray, magma, viridis, inferno, jet, ...", "NAME",
        "a colormap (" + [] {
            std::string names;
            for (const auto& n : colormap_names()) names += (names.empty() ? "" : ", ") + n;
            return names;
        }() + ")")
        ->group(pictures);
    app.add_option_function<std::string>(
           "--range", [&o](const std::string& s) {
               const auto comma = s.find(',');
               o.range = {true, std::stod(s.substr(0, comma)), std::stod(s.substr(comma + 1))};
           },
           "fixed value range LO,HI shown as black..white (default: each panel's min..max)")
        ->type_name("LO,HI")
        ->check(CLI::Validator(
            [](std::string& s) -> std::string {
                const auto comma = s.find(',');
                try {
                    size_t used = 0;
                    if (comma == std::string::npos) throw std::invalid_argument(s);
                    const double lo = std::stod(s.substr(0, comma), &used);
                    if (used != comma) throw std::invalid_argument(s);
                    const std::string rest = s.substr(comma + 1);
                    const double hi = std::stod(rest, &used);
                    if (used != rest.size()) throw std::invalid_argument(s);
                    return lo < hi ? "" : "'" + s + "' needs LO < HI";
                } catch (const std::exception&) {
                    return "'" + s + "' is not LO,HI (e.g. 0,255)";
                }
            },
            ""))
        ->group(pictures);
    app.add_flag("--upscale", o.upscale, "write the result enlarged back to the pooled image's input size (nearest)")
        ->group(pictures);

    const std::string out = "Output";
    app.add_option("-o,--output", o.output,
                   "output file (by extension: images, .npy, .csv), or - for stdout; default: "
                   "INPUT_STEM.TYPE-WxH-sWxH.EXT beside the input")
        ->type_name("FILE")
        ->group(out);
    app.add_flag("--overwrite", o.overwrite, "replace an existing output (never the input)")->group(out);
    app.add_option("--format", o.format, "output format for -o - or the default name: png, jpg, tif, webp, bmp, pgm, ppm, pnm, npy, csv")
        ->type_name("EXT")
        ->group(out);
    app.add_option("--quality", o.quality, "JPEG/WebP quality")->type_name("1-100")->check(CLI::Range(1, 100).description(""))->group(out);
    app.add_option("--png-compression", o.png_compression,
                   "PNG zlib level (0 none .. 9 smallest); default: OpenCV's, level 1 tuned for speed")
        ->type_name("0-9")
        ->check(CLI::Range(0, 9).description(""))
        ->group(out);
    app.add_flag("--print", o.print, "print the result as NumPy prints it (no file unless -o)")->group(out);
    app.add_flag("--json", o.json, "print one JSON object describing the run (no file unless -o)")->group(out);
    add_parsed(
        app, "--max-pixels", parse_pixel_count, [&o](long long v) { o.max_pixels = v; },
        "refuse images (input, resized, or result) of more pixels than N, read from the header before "
        "decoding: a plain number or with M or G (millions, billions); 0 = no limit",
        "N", "a pixel count (e.g. 128M, 2G, 4000000)")
        ->default_str("128M")
        ->group(out);

    const std::string batch = "Batch runs (several inputs, directories, globs, --files-from; -o DIR)";
    app.add_flag("-r,--recursive", o.recursive, "descend into directories, mirroring their tree under -o")->group(batch);
    app.add_option("--files-from", o.files_from, "read input paths from FILE, one per line (- for stdin)")
        ->type_name("FILE")
        ->group(batch);
    app.add_option("--ext", o.extensions, "in directories, only files with these extensions (e.g. png,jpg)")
        ->type_name("EXT[,EXT...]")
        ->delimiter(',')
        ->group(batch);
    app.add_option("--name", o.name, "output file name under -o DIR: {stem} {ext} {tag} {type}")
        ->type_name("TEMPLATE")
        ->default_str("{stem}.{tag}{ext}")
        ->group(batch);
    app.add_option("-j,--jobs", o.jobs, "files processed at once (default: every core)")
        ->type_name("N")
        ->check(CLI::Range(1, 1024).description(""))
        ->group(batch);
    app.add_option("--threads", o.threads,
                   "threads pooling each image (default: every core; in batch runs cores / jobs, so that jobs "
                   "times threads never exceed the cores); 1 = single-threaded")
        ->type_name("N")
        ->check(CLI::Range(1, 1024).description(""))
        ->group(batch);
    app.add_flag("--fail-fast", o.fail_fast, "stop at the first file that fails")->group(batch);
    app.add_flag("--skip-existing", o.skip_existing, "leave files whose outputs exist (resume a run)")
        ->group(batch)
        ->excludes("--overwrite");
    app.add_option_function<std::string>(
           "--shard",
           [&o](const std::string& s) {
               const auto slash = s.find('/');
               o.shard_index = std::stoi(s.substr(0, slash));
               o.shard_count = std::stoi(s.substr(slash + 1));
           },
           "take share I of N (1-based) of the files, by a stable hash of each output's path")
        ->type_name("I/N")
        ->check(CLI::Validator(
            [](std::string& s) -> std::string {
                const auto slash = s.find('/');
                if (slash == std::string::npos) return "'" + s + "' is not I/N (e.g. 2/8)";
                const auto i = parse_extent(s.substr(0, slash)), n = parse_extent(s.substr(slash + 1));
                if (!i || !n || s.find('x') != std::string::npos) return "'" + s + "' is not I/N (e.g. 2/8)";
                return i->w >= 1 && i->w <= n->w ? "" : "'" + s + "' needs 1 <= I <= N";
            },
            ""))
        ->group(batch);

    app.add_option("--completion", o.completion, "print a bash or zsh completion script")->group("");

    // Settings a script keeps in a file: `size = "3x3"`, `type = "avg"`, one long flag name per
    // line (TOML or INI). A key that is no flag is an error, not silently ignored.
    app.set_config("--config", "", "read flags from FILE (TOML: long flag names as keys, e.g. type = \"avg\")")
        ->type_name("FILE")
        ->group(out);
    app.allow_config_extras(CLI::config_extras_mode::error);
    app.add_flag("--print-config", o.print_config, "print the settings in effect, in --config's format, and exit")
        ->group(out);

    app.add_flag("--dry-run", o.dry_run, "say what would be written and its size; decodes no pixels")->group(out);
    auto* verbose = app.add_flag("-v,--verbose", o.verbose, "more detail on stderr, and the codecs' own messages (-vv: even more)")->group(out);
    app.add_flag("-q,--quiet", o.quiet, "errors only on stderr")->group(out)->excludes(verbose);
}

static std::string type_list(const std::vector<PoolType>& types) {
    std::string s;
    for (PoolType t : types) s += (s.empty() ? "" : ",") + std::string(to_string(t));
    return s;
}

// A glob pattern that is not itself the name of a file.
static bool is_glob(const std::string& s) {
    std::error_code ec;  // a name too long for the system is no glob: read_file reports it
    return s.find_first_of("*?[") != std::string::npos && !std::filesystem::exists(s, ec);
}

void finish_options(const CLI::App& app, Options& o) {
    auto given = [&](const char* name) { return app.get_option(name)->count() > 0; };
    if (o.inputs.empty() && o.files_from.empty()) throw CLI::RequiredError("INPUT");
    // -o naming a directory (existing, or written with a trailing /) is a batch run too, so
    // `xargs imgpool -o DIR` works when xargs passes a single file.
    std::error_code ec;  // not throwing: a name too long for the system is an I/O error later (exit 1)
    const bool output_dir = !o.output.empty() && o.output != "-" &&
                            (o.output.back() == '/' || std::filesystem::is_directory(o.output, ec));
    o.batch = o.inputs.size() > 1 || !o.files_from.empty() || output_dir ||
              std::any_of(o.inputs.begin(), o.inputs.end(),
                          [&ec](const std::string& s) { return std::filesystem::is_directory(s, ec) || is_glob(s); });
    if (!o.batch) o.input = o.inputs[0];
    if (o.batch) {
        if (std::count(o.inputs.begin(), o.inputs.end(), "-"))
            throw CLI::ValidationError("INPUT", "- (stdin) takes one input, not a batch");
        if (o.output.empty() || o.output == "-")
            throw CLI::ValidationError("--output", "a batch run (several inputs, a directory, a glob or --files-from) needs -o DIR");
        for (const char* single : {"--print", "--compare", "--upscale"})
            if (given(single)) throw CLI::ValidationError(single, "applies to one input, not a batch run");
    } else {
        for (const char* batch_only : {"--recursive", "--ext", "--name", "--jobs", "--fail-fast", "--skip-existing", "--shard"})
            if (given(batch_only))
                throw CLI::ValidationError(batch_only, "applies to batch runs (several inputs, a directory, a glob or --files-from)");
    }
    if (o.name.find('/') != std::string::npos || o.name.find("{stem}") == std::string::npos)
        throw CLI::ValidationError("--name", "'" + o.name + "' must contain {stem} and no '/'");
    auto listed = [&](PoolType t) { return std::find(o.types.begin(), o.types.end(), t) != o.types.end(); };
    if (o.global) o.pool.scope = Scope::global;
    if (given("--output-size")) o.pool.scope = Scope::adaptive;
    for (size_t i = 0; i < o.types.size(); ++i)
        if (std::find(o.types.begin(), o.types.begin() + long(i), o.types[i]) != o.types.begin() + long(i))
            throw CLI::ValidationError("--type", std::string(to_string(o.types[i])) + " is listed twice");
    // An option is rejected only when none of the listed types can use it.
    if (given("--power") && !listed(PoolType::lp))
        throw CLI::ValidationError("--power", "applies to -t lp only, not " + type_list(o.types));
    if (o.pool.count_pad && !listed(PoolType::avg))
        throw CLI::ValidationError("--count-pad", "applies to -t avg only, not " + type_list(o.types));
    if (o.output == "-" && o.types.size() > 1)
        throw CLI::ValidationError("--output", "-o - writes one result; " + type_list(o.types) + " would be several");
    if ((given("--colormap") || given("--range")) && o.compare.empty())
        throw CLI::ValidationError(given("--colormap") ? "--colormap" : "--range", "applies to --compare pictures only");
    if (given("--filter-padding") && o.filter.empty())
        throw CLI::ValidationError("--filter-padding", "applies to --filter only");
    if (o.pool.count_pad && o.pool.border != Border::ignore)
        throw CLI::ValidationError("--count-pad", "cannot be combined with --border: filled cells always count");
    if (o.pool.ceil_mode && o.pool.padding.same)
        throw CLI::ValidationError("--ceil", "does not apply to --padding same (it always covers the input)");
    if (given("--interp") && !o.resize) throw CLI::ValidationError("--interp", "applies to --resize only");
    if (o.output == "-" && (o.print || o.json))
        throw CLI::ValidationError("--output", "-o - writes the result to stdout; it cannot be combined with --print or --json");
    if (o.print && o.json) throw CLI::ValidationError("--print", "choose --print or --json, not both");
    if (o.input == "-" && o.output.empty() && !o.print && !o.json && !o.global && o.compare.empty())
        throw CLI::ValidationError("--output", "reading stdin: give -o FILE or -o -, or --print/--json/--compare");
    if (!o.format.empty() && o.format[0] == '.') o.format.erase(0, 1);
}

PoolParams params_for(const Options& o, PoolType type) {
    PoolParams p = o.pool;
    p.type = type;
    if (type != PoolType::avg) p.count_pad = false;
    return p;
}

std::string flag_for_param(const std::string& param) {
    static const std::map<std::string, std::string> flags = {
        {"window", "--size"},       {"stride", "--stride"},   {"padding", "--padding"},
        {"dilation", "--dilation"}, {"ceil_mode", "--ceil"},  {"count_pad", "--count-pad"},
        {"border", "--border"},     {"power", "--power"},     {"output_size", "--output-size"},
        {"depth", "--depth"},       {"grayscale", "--grayscale"}, {"resize", "--resize"},
        {"filter", "--filter"},     {"compare", "--compare"},
    };
    const auto it = flags.find(param);
    return it == flags.end() ? param : it->second;
}

}  // namespace imgpool::cli
