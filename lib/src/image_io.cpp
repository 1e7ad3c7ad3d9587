// Format detection, decoding and encoding (PNG, JPEG, WebP and TIFF with their libraries
// directly, as OpenCV 4.6 would; the other formats, and the TIFF variants OpenCV converts
// in its own ways, through OpenCV's codecs in a plugin loaded only when needed), what each
// format can hold, and whole-file I/O.
#include "imgpool/image_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string_view>
#include <system_error>
#include <utility>

#include "exif.hpp"
#include "imgpool/csv.hpp"
#include "imgpool/error.hpp"
#include "imgpool/npy.hpp"
#include "jpeg_decode.hpp"
#include "jpeg_encode.hpp"
#include "opencv_plugin.hpp"
#include "png_codec.hpp"
#include "tiff_codec.hpp"
#include "webp_codec.hpp"

namespace imgpool::io {

using namespace std::literals;
namespace fs = std::filesystem;

std::string detail::format_name(Format f) {
    switch (f) {
        case Format::png: return "PNG";
        case Format::jpeg: return "JPEG";
        case Format::tiff: return "TIFF";
        case Format::bmp: return "BMP";
        case Format::webp: return "WebP";
        case Format::pnm: return "PNM";
        case Format::pgm: return "PGM";
        case Format::ppm: return "PPM";
        case Format::npy: return "NPY";
        case Format::csv: return "CSV";
        case Format::gif: return "GIF";
        case Format::other: return "image";
        case Format::unknown: break;
    }
    return "unknown";
}

namespace {

bool is_pnm(Format f) { return f == Format::pnm || f == Format::pgm || f == Format::ppm; }

using detail::format_name;

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return s;
}

bool is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool is_letter(unsigned char c) {
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

// Formats OpenCV reads that imgpool has no name for (EXR, HDR, PFM, PAM, Sun raster, JPEG 2000).
bool is_other_image(const detail::ByteView& b) {
    return b.matches(0, "\x76\x2f\x31\x01"sv) || b.matches(0, "#?RADIANCE"sv) || b.matches(0, "#?RGBE"sv) ||
           ((b.matches(0, "PF"sv) || b.matches(0, "Pf"sv) || b.matches(0, "P7"sv)) && b.has(2, 1) &&
            is_space(static_cast<unsigned char>(b.u8(2)))) ||
           b.matches(0, "\x59\xa6\x6a\x95"sv) || b.matches(0, "\0\0\0\x0cjP  \r\n\x87\n"sv) ||
           b.matches(0, "\xff\x4f\xff\x51"sv);
}

// A word allowed in numeric text ("e" of an exponent, nan, inf); `cut` accepts a
// prefix when the word was cut off by the scan limit.
bool is_number_word(const std::string& w, bool cut) {
    for (const char* ok : {"e", "nan", "inf", "infinity"})
        if (w == ok || (cut && std::string_view(ok).substr(0, w.size()) == w)) return true;
    return false;
}

// Whether the bytes look like numeric text: numbers (digits, signs, '.', exponents,
// nan, inf) separated by commas or whitespace, and '#' comments. Looks at 64 KiB.
bool looks_numeric(const Bytes& b) {
    const std::size_t n = std::min<std::size_t>(b.size(), 64 * 1024);
    bool values = false;
    const bool bom = b.size() >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF;  // UTF-8 byte-order mark
    for (std::size_t i = bom ? 3 : 0; i < n;) {
        const unsigned char c = b[i];
        if (c == '#') {  // a comment runs to the end of the line and may hold any text
            for (; i < n && b[i] != '\n'; ++i)
                if (b[i] == 0) return false;
        } else if (is_letter(c)) {
            std::size_t j = i;
            while (j < n && is_letter(b[j])) ++j;
            const std::string word = lower(std::string(reinterpret_cast<const char*>(b.data()) + i, j - i));
            if (!is_number_word(word, j == n && n < b.size())) return false;
            values = values || word != "e";
            i = j;
        } else if (c >= '0' && c <= '9') {
            values = true;
            ++i;
        } else if ("+-.,"sv.find(char(c)) != std::string_view::npos || is_space(c)) {
            ++i;
        } else {
            return false;
        }
    }
    return values;
}

// The name of a format OpenCV reads that imgpool has no Format for, for messages.
std::string other_format_name(const detail::ByteView& b) {
    if (b.matches(0, "\x76\x2f\x31\x01"sv)) return "EXR";
    if (b.matches(0, "#?RADIANCE"sv) || b.matches(0, "#?RGBE"sv)) return "HDR";
    if (b.matches(0, "P7"sv)) return "PAM";
    if (b.matches(0, "PF"sv) || b.matches(0, "Pf"sv)) return "PFM";
    if (b.matches(0, "\x59\xa6\x6a\x95"sv)) return "Sun raster";
    return "JPEG 2000";
}

cv::Mat decode_image(Format f, const Bytes& data) {
    cv::Mat img;
    switch (f) {
        // Not cv::imdecode for JPEG: it accepts truncated and corrupt data (libjpeg only
        // warns on stderr). decode_jpeg refuses them.
        case Format::jpeg: img = detail::decode_jpeg(data); break;
        case Format::png: img = detail::decode_png(data); break;
        case Format::webp: img = detail::decode_webp(data); break;
        case Format::tiff: {
            std::optional<cv::Mat> native = detail::decode_tiff(data);
            img = native ? std::move(*native) : detail::plugin_decode(data, format_name(f));
            break;
        }
        case Format::other: img = detail::plugin_decode(data, other_format_name(detail::ByteView(data))); break;
        default: img = detail::plugin_decode(data, format_name(f)); break;
    }
    // IMREAD_UNCHANGED ignores EXIF orientation, except in TIFF, whose decoder applies
    // its Orientation tag itself (verified with OpenCV 4.6), as decode_tiff does.
    if (f != Format::tiff) img = detail::apply_orientation(img, detail::file_orientation(f, detail::ByteView(data)));
    return img;
}

// ---- What each format holds ----

// Channel counts `f` holds exactly at `depth`; empty when it does not hold the depth.
// Every entry round-trips exactly through cv::imencode/imdecode in OpenCV 4.6; the
// rest is refused by imencode or silently converted.
std::vector<int> held_channels(Format f, int depth) {
    const bool u8 = depth == CV_8U, u8_16 = u8 || depth == CV_16U;
    switch (f) {
        case Format::png:  // imencode refuses 2 channels
            if (u8_16) return {1, 3, 4};
            break;
        case Format::jpeg:  // 4 channels come back as 3
            if (u8) return {1, 3};
            break;
        case Format::webp:  // 1 channel comes back as 3
            if (u8) return {3, 4};
            break;
        case Format::bmp:  // 4 channels come back as 3 (alpha lost)
            if (u8) return {1, 3};
            break;
        case Format::pnm:  // P5 or P6 by the channel count
            if (u8_16) return {1, 3};
            break;
        case Format::pgm:
            if (u8_16) return {1};
            break;
        case Format::ppm:
            if (u8_16) return {3};
            break;
        case Format::tiff:
            if (u8_16) return {1, 3, 4};
            if (depth == CV_32F) return {1, 4};  // 3-channel float is written as lossy LogLuv
            if (depth == CV_8S || depth == CV_16S || depth == CV_32S || depth == CV_64F) return {1};
            break;
        case Format::csv: return {1};
        default: break;
    }
    return {};
}

bool holds(Format f, int depth, int channels) {
    const auto held = held_channels(f, depth);
    return std::find(held.begin(), held.end(), channels) != held.end();
}

std::string depth_name(int depth) {
    switch (depth) {
        case CV_8U: return "8-bit unsigned";
        case CV_8S: return "8-bit signed";
        case CV_16U: return "16-bit unsigned";
        case CV_16S: return "16-bit signed";
        case CV_32S: return "32-bit signed";
        case CV_32F: return "32-bit float";
        case CV_64F: return "64-bit float";
        case CV_16F: return "16-bit float";
        default: return "depth " + std::to_string(depth);
    }
}

// The depths a format holds, for messages.
std::string depths_held(Format f) {
    switch (f) {
        case Format::png:
        case Format::pnm:
        case Format::pgm:
        case Format::ppm: return "8- or 16-bit unsigned data";
        case Format::tiff: return "8-, 16- and 32-bit integer and 32- and 64-bit float data";
        default: return "8-bit unsigned data";
    }
}

// "a", "a or b", "a, b or c".
std::string join_or(const std::vector<std::string>& items) {
    std::string s;
    for (std::size_t i = 0; i < items.size(); ++i)
        s += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + items[i];
    return s;
}

std::string channels_phrase(const std::vector<int>& held) {
    std::vector<std::string> counts;
    for (int c : held) counts.push_back(std::to_string(c));
    return join_or(counts) + (held.size() == 1 && held[0] == 1 ? " channel" : " channels");
}

// The formats to suggest instead: .npy always (it holds everything), the lossless image
// formats that hold this data, and for a PGM or PPM its sibling.
std::string alternatives(Format rejected, int depth, int channels) {
    std::vector<std::string> names{".npy"};
    for (Format f : {Format::png, Format::tiff, Format::pgm, Format::ppm})
        if (f != rejected && (!is_pnm(f) || is_pnm(rejected)) && holds(f, depth, channels))
            names.push_back("."s + extension(f));
    return join_or(names);
}

// ---- Encoding ----

int checked_quality(const EncodeOptions& opt) {
    if (opt.quality != -1 && (opt.quality < 1 || opt.quality > 100)) throw IoError("quality must be 1..100");
    return opt.quality;
}

Bytes encode_image(const cv::Mat& m, Format f, const EncodeOptions& opt) {
    switch (f) {
        case Format::png:
            if (opt.png_compression < -1 || opt.png_compression > 9) throw IoError("PNG compression must be 0..9");
            return detail::encode_png(m, opt.png_compression);
        case Format::jpeg: return detail::encode_jpeg(m, checked_quality(opt));
        case Format::webp: return detail::encode_webp(m, checked_quality(opt));
        case Format::tiff: return detail::encode_tiff(m);
        default: break;
    }
    // P5 or P6 by channel count (".ppm" refuses gray; cannot_hold has checked PGM and PPM);
    // BMP with OpenCV's defaults.
    const std::string ext = is_pnm(f) ? ".pnm" : "."s + extension(f);
    return detail::plugin_encode(m, ext, format_name(f));
}

// ---- Files ----

std::string errno_text(int e) {
    return std::error_code(e, std::generic_category()).message();
}

std::string read_reason(int e) {
    switch (e) {
        case ENOENT:
        case ENOTDIR: return "no such file";
        case EISDIR: return "is a directory";
        case EACCES:
        case EPERM: return "permission denied";
        default: return errno_text(e);
    }
}

std::string write_reason(int e) {
    switch (e) {
        case ENOENT:
        case ENOTDIR: return "no such directory";
        case EISDIR: return "is a directory";
        case EACCES:
        case EPERM: return "permission denied";
        default: return errno_text(e);  // "No space left on device", "Read-only file system", ...
    }
}

const char* const exists_reason = "exists (use --overwrite to replace it)";

// Closes a file descriptor when it goes out of scope.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

// A uniquely named temporary file beside the target (".name.XXXXXX"), removed when
// this object dies unless kept. Created with O_EXCL and mode 0666 so the umask applies
// as for any new file (mkstemp would force 0600).
class TempFile {
public:
    explicit TempFile(const fs::path& target) {
        static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        thread_local std::mt19937_64 rng{std::random_device{}()};
        const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
        const std::string stem = "." + target.filename().string().substr(0, 200) + ".";
        for (int attempt = 0; attempt < 100; ++attempt) {
            std::string name = stem;
            for (int i = 0; i < 6; ++i) name += chars[rng() % (sizeof chars - 1)];
            path_ = (dir / name).string();
            fd_.fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd_.fd >= 0) return;
            if (errno != EEXIST) break;
        }
        const int e = errno;
        path_.clear();  // nothing was created
        throw IoError(write_reason(e));
    }
    ~TempFile() {
        if (!path_.empty()) ::unlink(path_.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    const std::string& path() const { return path_; }

    // Writes everything, then fsyncs and closes so a later rename publishes whole data.
    void write_and_close(const Bytes& data) {
        for (std::size_t done = 0; done < data.size();) {
            const ssize_t n = ::write(fd_.fd, data.data() + done, data.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw IoError(write_reason(errno));
            done += std::size_t(n);
        }
        if (::fsync(fd_.fd) != 0) throw IoError(write_reason(errno));
        const int fd = std::exchange(fd_.fd, -1);
        if (::close(fd) != 0) throw IoError(write_reason(errno));  // NFS reports write errors here
    }

    void keep() { path_.clear(); }  // renamed into place: nothing left to remove

private:
    std::string path_;
    Fd fd_;
};

// Puts the finished temporary file at `target` unless something is there already, even
// if it appeared after the first check: link() refuses to replace.
void publish_without_replacing(TempFile& tmp, const fs::path& target) {
    if (::link(tmp.path().c_str(), target.c_str()) == 0) return;  // tmp's name is removed by its destructor
    const int e = errno;
    if (e == EEXIST) throw IoError(exists_reason);
    if (e != EPERM && e != EOPNOTSUPP && e != ENOSYS) throw IoError(write_reason(e));
    // A file system without hard links: rename, but refusing to replace.
    if (::renameat2(AT_FDCWD, tmp.path().c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0)
        throw IoError(errno == EEXIST ? exists_reason : write_reason(errno));
    tmp.keep();
}

// Makes the new directory entry durable. Best effort: the data is already written.
void sync_directory(const fs::path& target) {
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd >= 0) ::fsync(d.fd);
}

}  // namespace

// ---- Formats ----

const char* extension(Format f) {
    switch (f) {
        case Format::png: return "png";
        case Format::jpeg: return "jpg";
        case Format::tiff: return "tif";
        case Format::bmp: return "bmp";
        case Format::webp: return "webp";
        case Format::pnm: return "pnm";
        case Format::pgm: return "pgm";
        case Format::ppm: return "ppm";
        case Format::npy: return "npy";
        case Format::csv: return "csv";
        case Format::gif: return "gif";
        case Format::other:
        case Format::unknown: break;
    }
    return "";
}

Format format_from_path(const std::string& path) {
    const std::string dotted = fs::path(path).extension().string();
    if (dotted.size() < 2) return Format::unknown;
    const std::string ext = lower(dotted.substr(1));
    static const std::pair<const char*, Format> known[] = {
        {"png", Format::png},   {"jpg", Format::jpeg},  {"jpeg", Format::jpeg}, {"jpe", Format::jpeg},
        {"tif", Format::tiff},  {"tiff", Format::tiff}, {"bmp", Format::bmp},   {"dib", Format::bmp},
        {"webp", Format::webp}, {"pgm", Format::pgm},   {"ppm", Format::ppm},   {"pnm", Format::pnm},
        {"npy", Format::npy},   {"csv", Format::csv},   {"txt", Format::csv},
        {"gif", Format::gif}};
    for (const auto& [name, format] : known)
        if (ext == name) return format;
    // The other extensions OpenCV 4.6 writes (cv::haveImageWriter, which would load the codecs).
    for (const char* name : {"pbm", "jp2", "pam", "pfm", "sr", "ras", "exr", "hdr", "pic"})
        if (ext == name) return Format::other;
    return Format::unknown;
}

Format sniff(const Bytes& head) {
    const detail::ByteView b(head);
    if (b.matches(0, "\x89PNG\r\n\x1a\n"sv)) return Format::png;
    if (b.matches(0, "\xff\xd8\xff"sv)) return Format::jpeg;
    if (b.matches(0, "II*\0"sv) || b.matches(0, "MM\0*"sv) || b.matches(0, "II+\0"sv) || b.matches(0, "MM\0+"sv))
        return Format::tiff;  // classic or BigTIFF
    if (b.matches(0, "BM"sv)) return Format::bmp;
    if (b.matches(0, "RIFF"sv) && b.matches(8, "WEBP"sv)) return Format::webp;
    if (b.has(0, 3) && b.u8(0) == 'P' && b.u8(1) >= '1' && b.u8(1) <= '6' &&
        is_space(static_cast<unsigned char>(b.u8(2)))) {
        const char kind = char(b.u8(1));
        return kind == '2' || kind == '5' ? Format::pgm : kind == '3' || kind == '6' ? Format::ppm : Format::pnm;
    }
    if (b.matches(0, "GIF87a"sv) || b.matches(0, "GIF89a"sv)) return Format::gif;
    if (b.matches(0, "\x93NUMPY"sv)) return Format::npy;
    if (is_other_image(b)) return Format::other;
    if (looks_numeric(head)) return Format::csv;
    return Format::unknown;
}

Format detect(const Bytes& data, Format name_hint) {
    const Format f = sniff(data);
    if (is_pnm(f) && name_hint == Format::pnm) return Format::pnm;
    if (f != Format::unknown || name_hint != Format::csv) return f;
    const std::size_t n = std::min<std::size_t>(data.size(), 64 * 1024);
    return std::find(data.begin(), data.begin() + long(n), 0) == data.begin() + long(n) ? Format::csv : f;
}

// ---- Decoding ----

cv::Mat decode(const Bytes& data, Format name_hint) {
    if (data.empty()) throw IoError("empty file");
    const Format f = detect(data, name_hint);
    switch (f) {
        case Format::npy: return npy::decode(data);
        case Format::csv: return csv::decode(std::string(data.begin(), data.end()));
        case Format::gif: throw IoError("GIF is not supported by OpenCV 4.6; convert it to PNG first");
        case Format::unknown: throw IoError("not an image or array file (unrecognised content)");
        default: return decode_image(f, data);
    }
}

cv::Mat decode_file(Bytes&& data, const std::string& path, const Info& probed, Format name_hint) {
    Bytes bytes = std::move(data);
    if (probed.format != Format::png) return decode(bytes, name_hint);
    // Only a regular file can be read again (not a pipe such as <(...)); O_NONBLOCK so that
    // opening a FIFO does not wait for a writer.
    Fd fd{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
    struct stat st {};
    if (fd.fd < 0 || ::fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode)) return decode(bytes, name_hint);
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(::fdopen(fd.fd, "rb"), std::fclose);
    if (!file) throw IoError(read_reason(errno));
    fd.fd = -1;  // the FILE closes it
    Bytes().swap(bytes);
    const cv::Mat img = detail::apply_orientation(detail::decode_png(file.get()), probed.orientation);
    if (img.cols != probed.width || img.rows != probed.height || img.channels() != probed.channels ||
        img.depth() != probed.depth)
        throw IoError("changed while being read");
    return img;
}

// ---- Encoding ----

std::optional<std::string> cannot_hold(Format format, const cv::Mat& m) {
    return cannot_hold(format, m.depth(), m.channels());
}

std::optional<std::string> cannot_hold(Format format, int depth, int channels) {
    switch (format) {
        case Format::npy: return std::nullopt;  // npy holds everything
        case Format::other:  // JPEG 2000, HDR, EXR, Sun raster, PBM...: each loses some depths, unchecked
            return "imgpool writes results only where they are known to stay exact (PNG, JPEG, TIFF, WebP, "
                   "BMP, PGM, PPM, .csv): write " + alternatives(format, depth, channels);
        case Format::unknown: return "unknown file format: use an extension such as .npy, .png or .tif"s;
        case Format::gif: return "OpenCV 4.6 cannot write GIF: write " + alternatives(format, depth, channels);
        default: break;
    }
    const std::vector<int> held = held_channels(format, depth);
    const std::string name = format_name(format), instead = ": write " + alternatives(format, depth, channels);
    if (held.empty()) return name + " holds " + depths_held(format) + "; this result is " + depth_name(depth) + instead;
    if (std::find(held.begin(), held.end(), channels) != held.end()) return std::nullopt;
    // Only TIFF's channel counts depend on the depth; say which depth it is then.
    const std::string what = format == Format::tiff ? depth_name(depth) + " data with " : "";
    return name + " holds " + what + channels_phrase(held) + "; this result has " + std::to_string(channels) +
           (channels == 1 ? " channel" : " channels") + instead;
}

Bytes encode(const cv::Mat& m, Format format, const EncodeOptions& opt) {
    if (m.empty()) throw IoError("nothing to write (empty result)");
    if (auto why = cannot_hold(format, m)) throw IoError(*why);
    switch (format) {
        case Format::npy: return npy::encode(m);
        case Format::csv: {
            const std::string text = csv::encode(m);
            return Bytes(text.begin(), text.end());
        }
        default: return encode_image(m, format, opt);
    }
}

// ---- Files ----

Bytes read_file(const std::string& path) {
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) throw IoError(read_reason(errno));
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) throw IoError(read_reason(errno));
    if (S_ISDIR(st.st_mode)) throw IoError("is a directory");
    Bytes data;
    if (S_ISREG(st.st_mode)) data.reserve(std::size_t(st.st_size));
    unsigned char buf[1 << 16];
    for (;;) {
        const ssize_t n = ::read(f.fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw IoError(read_reason(errno));
        if (n == 0) return data;
        data.insert(data.end(), buf, buf + n);
    }
}

void write_file_atomic(const std::string& path, const Bytes& data, bool overwrite) {
    const fs::path target(path);
    std::error_code ec;
    if (!target.has_filename() || fs::is_directory(target, ec)) throw IoError("is a directory");
    if (!overwrite && fs::exists(fs::symlink_status(target, ec))) throw IoError(exists_reason);

    TempFile tmp(target);
    tmp.write_and_close(data);
    if (overwrite) {
        if (::rename(tmp.path().c_str(), target.c_str()) != 0) throw IoError(write_reason(errno));
        tmp.keep();
    } else {
        publish_without_replacing(tmp, target);
    }
    sync_directory(target);
}

}  // namespace imgpool::io
