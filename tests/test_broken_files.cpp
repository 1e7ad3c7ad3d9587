// The real binary on every file of tests/broken/ (made by tests/make_broken_files.py):
// a broken or hostile file gives exit 1, one stderr line naming the file and the reason,
// no output file, the input untouched, in bounded time and memory. The few files that
// are valid after all (a wrong extension, a multi-page TIFF, NaN data) give their result.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "support.hpp"

namespace fs = std::filesystem;

namespace {

// AddressSanitizer and ThreadSanitizer reserve terabytes of address space for their shadow
// memory, and take several times the resident memory.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

std::string broken_dir() { return std::string(IMGPOOL_FIXTURES) + "/../broken"; }

struct Case {
    const char* kind;  // the test case that runs it
    const char* file;  // in tests/broken/
    const char* args;  // after the file name
    int code;
    // exit 1: what the error line says after "imgpool: error: <file>: "
    // exit 0: the exact stdout (with --print), or the output file written beside the input
    const char* expect;
    const char* warning = "";  // exit 0 with --print: the one stderr line expected, if any
};

// Messages as the lead's code words them; a change of wording is a deliberate edit here.
const Case kCases[] = {
    {"empty", "empty.png", "-k 2", 1, "empty file"},
    {"empty", "empty.jpg", "-k 2", 1, "empty file"},
    {"empty", "empty.tif", "-k 2", 1, "empty file"},
    {"empty", "empty.npy", "-k 2", 1, "empty file"},
    {"empty", "csv_empty.csv", "-k 2", 1, "empty file"},

    {"png", "png_cut_8_signature_only.png", "-k 2", 1, "truncated PNG header"},
    {"png", "png_cut_20_in_header.png", "-k 2", 1, "truncated PNG header"},
    {"png", "png_cut_33_no_pixel_data.png", "-k 2", 1, "truncated PNG header"},
    {"png", "png_cut_half.png", "-k 2", 1, "corrupt or unsupported PNG data"},
    {"png", "png_cut_no_end.png", "-k 2", 1, "corrupt or unsupported PNG data"},

    {"jpeg", "jpeg_cut_3_marker_only.jpg", "-k 2", 1, "truncated JPEG header"},
    {"jpeg", "jpeg_cut_before_frame.jpg", "-k 2", 1, "truncated JPEG header"},
    {"jpeg", "jpeg_cut_at_scan.jpg", "-k 2", 1, "truncated JPEG data"},
    {"jpeg", "jpeg_cut_half.jpg", "-k 2", 1, "truncated JPEG data"},
    {"jpeg", "jpeg_cut_no_end.jpg", "-k 2", 1, "truncated JPEG data"},

    {"tiff", "tiff_cut_8_header_only.tif", "-k 2", 1, "truncated TIFF header"},
    {"tiff", "tiff_cut_half.tif", "-k 2", 1, "truncated TIFF header"},
    {"tiff", "tiff_cut_in_directory.tif", "-k 2", 1, "truncated TIFF header"},
    {"tiff", "tiff_strip_first_cut_half.tif", "-k 2", 1, "corrupt or unsupported TIFF data"},
    {"tiff", "tiff_strip_first_valid.tif", "-k 2", 0, "tiff_strip_first_valid.max-2x2-s2x2.tif"},
    // Under --max-pixels: refused when the one strip runs out, not after decoding 300 MB.
    {"tiff", "tiff_bomb_10000x10000.tif", "-k 2", 1,
     "corrupt or unsupported TIFF data: LZWDecode: Not enough data at scanline 0"},

    // PNG has CRCs, so every flip is noticed; JPEG has none (see make_broken_files.py).
    {"flipped", "png_flip_in_header.png", "-k 2", 1, "corrupt or unsupported PNG data"},
    {"flipped", "png_flip_in_pixels.png", "-k 2", 1, "corrupt or unsupported PNG data"},
    {"flipped", "jpeg_flip_in_scan.jpg", "-k 2", 1, "corrupt JPEG data: premature end of data segment"},
    {"flipped", "jpeg_flip_in_frame_header.jpg", "-k 2", 1, "corrupt or unsupported JPEG data: bogus marker length"},
    {"flipped", "tiff_flip_in_directory.tif", "-k 2", 1, "corrupt TIFF header"},
    // OpenCV 4.6 returned an image of garbage for this one.
    {"flipped", "tiff_flip_in_pixels.tif", "-k 2", 1, "corrupt or unsupported TIFF data: Using code not yet in table"},

    {"text", "text_named.png", "-k 2", 1, "not an image or array file (unrecognised content)"},
    {"text", "text_named.jpg", "-k 2", 1, "not an image or array file (unrecognised content)"},
    {"text", "text_named.tif", "-k 2", 1, "not an image or array file (unrecognised content)"},
    {"text", "text_named.npy", "-k 2", 1, "not an image or array file (unrecognised content)"},

    // The content decides the format, not the name: these work, and the default output
    // name takes the extension of the real format.
    {"wrong extension", "png_valid_named.jpg", "-k 2", 0, "png_valid_named.max-2x2-s2x2.png"},
    {"wrong extension", "jpeg_valid_named.png", "-k 2", 0, "jpeg_valid_named.max-2x2-s2x2.jpg"},

    // Refused from the header by --max-pixels (default 128M) before anything is decoded.
    {"bomb", "png_bomb_100000x100000.png", "-k 2", 1,
     "100000x100000 is 10000000000 pixels, over the limit of 128000000 (--max-pixels)"},
    {"bomb", "png_bomb_20000x20000.png", "-k 2", 1,
     "20000x20000 is 400000000 pixels, over the limit of 128000000 (--max-pixels)"},
    {"bomb", "jpeg_bomb_65000x65000.jpg", "-k 2", 1,
     "65000x65000 is 4225000000 pixels, over the limit of 128000000 (--max-pixels)"},
    {"bomb", "tiff_bomb_20000x20000.tif", "-k 2", 1,
     "20000x20000 is 400000000 pixels, over the limit of 128000000 (--max-pixels)"},
    {"bomb", "tiff_palette_bomb_20000x20000.tif", "-k 2", 1,
     "20000x20000 is 400000000 pixels, over the limit of 128000000 (--max-pixels)"},
    {"bomb", "npy_shape_bomb.npy", "-k 2", 1,
     "100000x100000 is 10000000000 pixels, over the limit of 128000000 (--max-pixels)"},

    // LogLuv, which OpenCV decodes: refused from the header, not decoded.
    {"bomb", "tiff_logluv_bomb_20000x20000.tif", "-k 2", 1,
     "20000x20000 is 400000000 pixels, over the limit of 128000000 (--max-pixels)"},
    // RLE: 1 KB. Once probed by decoding it, which took 2.9 GB and 3 s before this message.
    {"bomb", "bmp_rle_bomb_18000x18000.bmp", "-k 2", 1,
     "18000x18000 is 324000000 pixels, over the limit of 128000000 (--max-pixels)"},

    {"npy", "npy_bad_magic.npy", "-k 2", 1, "not an image or array file (unrecognised content)"},
    {"npy", "npy_bad_version.npy", "-k 2", 1, "unsupported .npy format version 9.0"},
    {"npy", "npy_header_unparsable.npy", "-k 2", 1, "npy header does not parse"},
    {"npy", "npy_header_not_a_dict.npy", "-k 2", 1, "npy header does not parse"},
    {"npy", "npy_header_length_beyond_file.npy", "-k 2", 1, "truncated header"},
    {"npy", "npy_dtype_object.npy", "-k 2", 1, "unsupported dtype '|O' (object)"},
    {"npy", "npy_dtype_complex.npy", "-k 2", 1, "unsupported dtype '<c16' (complex)"},
    {"npy", "npy_dtype_unicode.npy", "-k 2", 1, "unsupported dtype '<U3' (unicode string)"},
    {"npy", "npy_dtype_bytes.npy", "-k 2", 1, "unsupported dtype '|S3' (byte string)"},
    {"npy", "npy_dtype_structured.npy", "-k 2", 1, "unsupported dtype (structured)"},
    {"npy", "npy_shape_negative.npy", "-k 2", 1, "negative dimension in shape"},
    {"npy", "npy_shape_overflowing.npy", "-k 2", 1, "shape (4294967296, 4294967296) is too large"},
    {"npy", "npy_shape_overflowing_int64.npy", "-k 2", 1, "shape dimension is too large"},
    {"npy", "npy_shape_too_big_for_data.npy", "-k 2", 1, "shape (10, 10) does not match 32 bytes of data"},
    {"npy", "npy_shape_data_left_over.npy", "-k 1", 1, "shape (1, 2) does not match 32 bytes of data"},
    {"npy", "npy_shape_4d.npy", "-k 2", 1, "expected a 2-D (H, W) or 3-D (H, W, C) array, got 4-D"},
    {"npy", "npy_shape_empty.npy", "-k 2", 1, "shape (0, 4) has a zero-size dimension"},
    {"npy", "npy_shape_too_many_channels.npy", "-k 2", 1, "1000 channels, at most 512"},

    {"csv", "csv_ragged.csv", "-k 2", 1, "line 3: row 3 has 2 values, expected 3"},
    {"csv", "csv_not_a_number.csv", "-k 2", 1, "line 2, column 2: 'five' is not a number"},
    {"csv", "csv_comments_only.csv", "-k 2", 1, "empty: no numbers"},
    {"csv", "csv_binary.csv", "-k 2", 1, "not an image or array file (unrecognised content)"},

    // OpenCV 4.6 has no GIF decoder: refused as soon as it is recognised, before any plan or
    // notice (without -o there was once a notice that GIF cannot hold the result first).
    {"gif", "gif_valid.gif", "-k 2 -o out.png", 1, "GIF is not supported by OpenCV 4.6; convert it to PNG first"},
    {"gif", "gif_valid.gif", "-k 2", 1, "GIF is not supported by OpenCV 4.6; convert it to PNG first"},
    {"gif", "gif_named.png", "-k 2 -o out.png", 1, "GIF is not supported by OpenCV 4.6; convert it to PNG first"},

    // The first page is read (8x6, all 10), with a warning; the second (16x16, all 200) is not.
    {"multi-page", "tiff_two_pages.tif", "-k 2 --print", 0,
     "[[10 10 10 10]\n [10 10 10 10]\n [10 10 10 10]]\n",
     "imgpool: tiff_two_pages.tif: warning: 2 pages; pooling the first\n"},

    // NaN propagates (any NaN among the cells makes the result NaN); infinities follow IEEE.
    {"nan", "nan_inf_valid.npy", "-t max -k 2 --print", 0, "[[nan inf]\n [ 8.  9.]]\n"},
    {"nan", "nan_inf_valid.npy", "-t avg -k 2 --print", 0, "[[ nan  inf]\n [  4. -inf]]\n"},
    {"nan", "csv_nan_inf_valid.csv", "-t max -k 2 --print", 0, "[[nan inf]\n [ 8.  9.]]\n"},
    {"nan", "csv_nan_inf_valid.csv", "-t min -k 2 --print", 0, "[[ nan   2.]\n [  0. -inf]]\n"},
};

std::set<std::string> listing(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
    return names;
}

// Address space for imgpool and the shell that starts it: a decoder that tries to
// allocate a blow-up fails instead of taking the machine. Not under the sanitizers.
constexpr rlim_t kAddressSpace = rlim_t(1) << 30;  // 1 GiB; imgpool needs about 300 MB of it
// The bound on resident memory per run (imgpool uses about 60 MB).
constexpr long kResidentKiB = 200 * 1024;

struct AddressSpaceLimit {
    rlimit saved{};
    AddressSpaceLimit() {
        getrlimit(RLIMIT_AS, &saved);
        if (kSanitized) return;
        rlimit lowered = saved;
        lowered.rlim_cur = std::min(saved.rlim_max, kAddressSpace);
        setrlimit(RLIMIT_AS, &lowered);
    }
    ~AddressSpaceLimit() { setrlimit(RLIMIT_AS, &saved); }
};

long children_max_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_CHILDREN, &u);
    return u.ru_maxrss;
}

void run_case(const Case& c) {
    const std::string what = std::string(c.file) + " " + c.args;
    INFO(what);
    test::TempDir dir;
    const std::string input = dir / c.file;
    fs::copy_file(broken_dir() + "/" + c.file, input);
    const std::vector<unsigned char> before = test::read_bytes(input);

    const long rss_before = children_max_rss_kib();
    const auto start = std::chrono::steady_clock::now();
    test::Run r;
    {
        AddressSpaceLimit limit;
        r = test::cli(std::string("'") + c.file + "' " + c.args, dir.path.string());
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const long rss_after = children_max_rss_kib();

    // A hang guard, not a performance assertion: each run takes about 0.1 s (0.3 s under
    // the sanitizers); only a hang or a runaway decoder comes near this bound.
    CHECK(seconds < 10);
    // ru_maxrss of children is the largest child so far; it grew only if one of ours set it.
    if (!kSanitized && rss_after > rss_before) CHECK(rss_after < kResidentKiB);

    CHECK(test::read_bytes(input) == before);  // the input is never touched
    INFO("stdout: " << r.out);
    INFO("stderr: " << r.err);
    CHECK(r.code == c.code);
    const bool print = std::string(c.args).find("--print") != std::string::npos;
    // Exactly one line: the error, or "wrote ..."; none when the result is printed
    // (except a warning, checked below).
    if (!print) CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    if (c.code == 1) {
        const std::string prefix = std::string("imgpool: error: ") + c.file + ": ";
        CHECK(r.err.rfind(prefix, 0) == 0);
        CHECK(r.err.find(c.expect) != std::string::npos);
        CHECK(r.out.empty());
        CHECK(listing(dir.path) == std::set<std::string>{c.file});  // no output, no temporary file
    } else if (print) {
        CHECK(r.out == c.expect);
        CHECK(r.err == c.warning);
        CHECK(listing(dir.path) == std::set<std::string>{c.file});  // --print alone writes nothing
    } else {
        CHECK(listing(dir.path) == std::set<std::string>{c.file, c.expect});
        CHECK(r.err.find(std::string("wrote ") + c.expect) != std::string::npos);
    }
}

void run_kind(const std::string& kind) {
    int n = 0;
    for (const Case& c : kCases)
        if (kind == c.kind) {
            run_case(c);
            ++n;
        }
    CHECK(n > 0);
}

}  // namespace

TEST_CASE("broken files: every file in tests/broken has a case, and every case a file") {
    std::set<std::string> files = listing(broken_dir()), named;
    for (const Case& c : kCases) named.insert(c.file);
    CHECK(files == named);
}

TEST_CASE("broken files: zero-byte files") { run_kind("empty"); }
TEST_CASE("broken files: truncated PNG") { run_kind("png"); }
TEST_CASE("broken files: truncated JPEG") { run_kind("jpeg"); }
TEST_CASE("broken files: truncated TIFF") { run_kind("tiff"); }
TEST_CASE("broken files: flipped bytes") { run_kind("flipped"); }
TEST_CASE("broken files: text with an image extension") { run_kind("text"); }
TEST_CASE("broken files: a wrong extension works (the content decides)") { run_kind("wrong extension"); }
TEST_CASE("broken files: decompression bombs are refused from the header") { run_kind("bomb"); }
TEST_CASE("broken files: .npy with a bad magic, header, dtype or shape") { run_kind("npy"); }
TEST_CASE("broken files: .csv ragged, not numbers, no values") { run_kind("csv"); }
TEST_CASE("broken files: GIF is refused, OpenCV cannot read it") { run_kind("gif"); }
TEST_CASE("broken files: a multi-page TIFF gives its first page") { run_kind("multi-page"); }
TEST_CASE("broken files: NaN and infinities in float data") { run_kind("nan"); }

// Found by fuzz/fuzz_cli: std::filesystem::is_directory threw on such a name while the
// flags were checked, and imgpool died of an uncaught exception (exit 134).
TEST_CASE("broken files: a name too long for the system is an I/O error, not a crash") {
    test::TempDir dir;
    test::write_text(dir / "a.csv", "1,2\n3,4\n");
    const std::string name(300, 'q');
    for (const std::string& args : {name + ".png -k 2", "a.csv -k 1 -o " + name + ".npy"}) {
        INFO(args.substr(0, 20));
        const test::Run r = test::cli(args, dir.path.string());
        CHECK(r.code == 1);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.rfind("imgpool: error: " + name, 0) == 0);
        CHECK(r.err.find("File name too long") != std::string::npos);
    }
    CHECK(listing(dir.path) == std::set<std::string>{"a.csv"});
}
