#pragma once
// Reading and writing images and numeric arrays, behind one small interface:
// probe the header, decode, encode. Colour channels are RGB(A) everywhere in
// imgpool (OpenCV's BGR order is converted at this edge); .npy keeps its order.
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

namespace imgpool::io {

using Bytes = std::vector<unsigned char>;

// pgm and ppm: the PNM files of one and three channels (P2/P5, P3/P6); pnm: either, or a
// bitmap (P1/P4, read as one channel).
enum class Format { png, jpeg, tiff, bmp, webp, pnm, pgm, ppm, npy, csv, gif, other, unknown };

// "png", "jpg", "tif", "npy", ...; the canonical extension without the dot.
const char* extension(Format f);
// By extension (case-insensitive): .png, .jpg/.jpeg, .tif/.tiff, .bmp, .webp, .pgm, .ppm,
// .pnm, .npy, .csv/.txt, .gif; other extensions OpenCV writes -> other (.pbm among them:
// bitmaps are read, by their content, but never written).
Format format_from_path(const std::string& path);
// By the leading magic bytes; csv when the bytes look like numeric text.
Format sniff(const Bytes& head);
// sniff(), except that text it does not recognise counts as CSV when the file's name says
// .csv or .txt (`name_hint`), so that its errors name the line and column, and that a PGM
// or PPM named .pnm is pnm.
Format detect(const Bytes& data, Format name_hint);

struct Info {
    Format format = Format::unknown;
    int width = 0, height = 0, channels = 0;
    int depth = CV_8U;  // cv depth of the decoded pixels
    int orientation = 1;  // EXIF orientation 1..8 (already applied to width/height)
    int pages = 1;        // TIFF pages (images in the IFD chain); decode() reads the first
};

// Reads only the header (csv is parsed whole). Throws IoError. The few variants described
// by decoding them (TIFF's LogLuv and others left to OpenCV, animated WebP) are not decoded
// when their header's size is over `max_pixels` (0: no limit): the Info then holds that size
// alone (channels 0), for the caller to refuse the file, instead of a decompression bomb.
Info probe(const Bytes& data, Format name_hint = Format::unknown, long long max_pixels = 0);

// Decodes images (any format OpenCV reads, keeping 16-bit depth and alpha, applying
// EXIF orientation), .npy and .csv. Throws IoError with the reason.
cv::Mat decode(const Bytes& data, Format name_hint = Format::unknown);

// decode() for `data`, read from the file `path` and described by probe() as `probed`,
// taking the bytes: a PNG in a regular file is read again from `path` in pieces once `data`
// is freed, so the file's bytes and its pixels are never all in memory together (anything
// else is decoded from `data`). Throws IoError as decode() does, and "changed while being
// read" if the PNG read again does not match `probed`.
cv::Mat decode_file(Bytes&& data, const std::string& path, const Info& probed, Format name_hint = Format::unknown);

struct EncodeOptions {
    int quality = -1;  // JPEG/WebP quality 1..100; -1 = the codec's default (JPEG 95, WebP lossless)
    // PNG zlib level 0..9 (with libpng's adaptive filters); -1 = OpenCV's default, tuned for
    // speed: level 1, the RLE strategy and the Sub filter. Large images are deflated in
    // pieces on cv::parallel_for_ (the same pixels and filters; not cv::imencode's bytes).
    int png_compression = -1;
};

// Why `format` cannot hold `m` exactly (depth, channels), or nothing if it can.
std::optional<std::string> cannot_hold(Format format, const cv::Mat& m);
std::optional<std::string> cannot_hold(Format format, int depth, int channels);

// Encodes `m` (RGB(A) order). Throws IoError if the format cannot hold it exactly
// (see cannot_hold) or encoding fails.
Bytes encode(const cv::Mat& m, Format format, const EncodeOptions& opt = {});

// Whole-file helpers. read_file throws IoError ("no such file", "is a directory",
// "permission denied"). write_file_atomic writes a temporary file in the same
// directory and renames it into place, so the output appears whole or not at all;
// it refuses to replace an existing file unless `overwrite`.
Bytes read_file(const std::string& path);
void write_file_atomic(const std::string& path, const Bytes& data, bool overwrite);

}  // namespace imgpool::io
