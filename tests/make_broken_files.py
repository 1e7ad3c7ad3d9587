#!/usr/bin/python3
"""Writes the corpus of broken and hostile input files under tests/broken/.

Run with Debian's /usr/bin/python3 (NumPy 1.24, OpenCV 4.6 bindings); the output is
committed and tests/test_broken_files.cpp runs the real imgpool binary on every file.
What each file must do (exit status, reason) is written in that test, not here.

The files are small (the largest is a few KB) and the same bytes on every run.
"""
import os
import shutil
import struct
import zlib

import cv2
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "broken")


def write(name, data):
    if isinstance(data, str):
        data = data.encode("ascii")
    with open(os.path.join(ROOT, name), "wb") as f:
        f.write(data)


def flip(data, at, count=1):
    """The bytes with `count` bytes from `at` inverted (XOR 0xFF)."""
    b = bytearray(data)
    for i in range(at, at + count):
        b[i] ^= 0xFF
    return bytes(b)


def encode(ext, image, params=()):
    ok, buf = cv2.imencode(ext, image, list(params))
    assert ok, ext
    return buf.tobytes()


# A small picture with detail in every channel, so that codecs produce real data.
y, x = np.mgrid[0:24, 0:32]
PICTURE = np.dstack([(x * 8) % 256, (y * 10) % 256, ((x + y) * 5) % 256]).astype(np.uint8)
PNG = encode(".png", PICTURE)
JPEG = encode(".jpg", PICTURE, (cv2.IMWRITE_JPEG_QUALITY, 90))
TIFF = encode(".tif", PICTURE)  # LZW-compressed; libtiff puts the directory (IFD) at the end


# ---- PNG -----------------------------------------------------------------------------

def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width, height):
    """A PNG whose header claims width x height RGB pixels; its one IDAT holds the first
    rows only (a megabyte of zeros, compressed to about a kilobyte)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * (1 << 20), 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def png_files():
    write("png_valid_named.jpg", PNG)  # a wrong extension: the content decides, so it works
    write("png_cut_8_signature_only.png", PNG[:8])
    write("png_cut_20_in_header.png", PNG[:20])
    write("png_cut_33_no_pixel_data.png", PNG[:33])  # signature + IHDR, nothing else
    write("png_cut_half.png", PNG[: len(PNG) // 2])
    write("png_cut_no_end.png", PNG[:-12])  # every pixel there, the IEND chunk missing
    write("png_flip_in_header.png", flip(PNG, 18))  # the width; the IHDR CRC no longer matches
    write("png_flip_in_pixels.png", flip(PNG, len(PNG) // 2, 4))  # inside IDAT: bad CRC
    write("png_bomb_100000x100000.png", png_bomb(100000, 100000))
    write("png_bomb_20000x20000.png", png_bomb(20000, 20000))


# ---- JPEG ----------------------------------------------------------------------------

def jpeg_marker(data, marker):
    at = data.find(bytes([0xFF, marker]))
    assert at > 0, hex(marker)
    return at


def jpeg_files():
    sos = jpeg_marker(JPEG, 0xDA)
    sof = jpeg_marker(JPEG, 0xC0)
    scan = sos + 2 + struct.unpack(">H", JPEG[sos + 2 : sos + 4])[0]  # first byte of entropy-coded data
    write("jpeg_valid_named.png", JPEG)  # a wrong extension again: works
    write("jpeg_cut_3_marker_only.jpg", JPEG[:3])
    write("jpeg_cut_before_frame.jpg", JPEG[:sof])  # headers, but no frame header (size)
    write("jpeg_cut_at_scan.jpg", JPEG[:scan])  # every header, no pixel data
    write("jpeg_cut_half.jpg", JPEG[: (scan + len(JPEG)) // 2])
    write("jpeg_cut_no_end.jpg", JPEG[:-2])  # every pixel there, the EOI marker missing
    # JPEG has no checksums: most flipped bytes in the pixel data give wrong pixels that
    # no decoder can notice (tried here: 9 of 39 flips were noticed). These two are: the
    # entropy-coded data runs out early, and the frame header breaks.
    write("jpeg_flip_in_scan.jpg", flip(JPEG, scan + 160, 8))
    write("jpeg_flip_in_frame_header.jpg", flip(JPEG, sof + 9))  # component count: 3 -> 252
    # A frame header claiming 65000x65000 (4.2 gigapixels) in front of a 32x24 scan.
    bomb = bytearray(JPEG)
    bomb[sof + 5 : sof + 9] = struct.pack(">HH", 65000, 65000)
    write("jpeg_bomb_65000x65000.jpg", bytes(bomb))


# ---- TIFF ----------------------------------------------------------------------------

def tiff_strip_first(image):
    """An uncompressed 8-bit gray TIFF with its directory before the pixels, so that
    cutting the file loses pixels, not the directory. Little-endian, one strip."""
    h, w = image.shape
    tags = [  # (tag, type, count, value); type 3 = SHORT, 4 = LONG
        (256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
        (273, 4, 1, 0), (277, 3, 1, 1), (278, 4, 1, h), (279, 4, 1, w * h)]
    ifd_size = 2 + 12 * len(tags) + 4
    pixels_at = 8 + ifd_size
    out = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", len(tags))
    for tag, kind, count, value in tags:
        value = pixels_at if tag == 273 else value
        packed = struct.pack("<HI", value, 0)[:4] if kind == 3 else struct.pack("<I", value)
        out += struct.pack("<HHI", tag, kind, count) + packed
    return out + struct.pack("<I", 0) + image.tobytes()


def tiff_with_size(data, width, height):
    """The little-endian TIFF with its ImageWidth and ImageLength entries set (as LONG)."""
    b = bytearray(data)
    ifd = struct.unpack("<I", b[4:8])[0]
    for e in range(struct.unpack("<H", b[ifd : ifd + 2])[0]):
        at = ifd + 2 + 12 * e
        tag = struct.unpack("<H", b[at : at + 2])[0]
        if tag in (256, 257):
            b[at + 2 : at + 4] = struct.pack("<H", 4)
            b[at + 8 : at + 12] = struct.pack("<I", width if tag == 256 else height)
    return bytes(b)


def tiff_with_photometric(data, photometric):
    """The little-endian TIFF with its PhotometricInterpretation entry set."""
    b = bytearray(data)
    ifd = struct.unpack("<I", b[4:8])[0]
    for e in range(struct.unpack("<H", b[ifd : ifd + 2])[0]):
        at = ifd + 2 + 12 * e
        if struct.unpack("<H", b[at : at + 2])[0] == 262:
            b[at + 8 : at + 10] = struct.pack("<H", photometric)
    return bytes(b)


def tiff_palette(width, height, rows, stored):
    """An uncompressed 8-bit palette TIFF (little-endian, a gray ramp colour map) whose
    header says width x height in strips of `rows`, and whose one strip holds `stored` bytes."""
    colour_map = struct.pack("<768H", *([i * 257 for i in range(256)] * 3))
    pixels = bytes(i % 256 for i in range(stored))
    tags = [  # (tag, type, count, value); type 3 = SHORT, 4 = LONG
        (256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 3),
        (273, 4, 1, 0), (277, 3, 1, 1), (278, 4, 1, rows), (279, 4, 1, len(pixels)), (320, 3, 768, 0)]
    ifd_size = 2 + 12 * len(tags) + 4
    map_at = 8 + ifd_size
    pixels_at = map_at + len(colour_map)
    out = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", len(tags))
    for tag, kind, count, value in tags:
        value = pixels_at if tag == 273 else map_at if tag == 320 else value
        packed = struct.pack("<HI", value, 0)[:4] if kind == 3 and count == 1 else struct.pack("<I", value)
        out += struct.pack("<HHI", tag, kind, count) + packed
    return out + struct.pack("<I", 0) + colour_map + pixels


def tiff_files():
    write("tiff_cut_8_header_only.tif", TIFF[:8])
    write("tiff_cut_half.tif", TIFF[: len(TIFF) // 2])  # the directory at the end is lost
    write("tiff_cut_in_directory.tif", TIFF[:-40])
    gray = tiff_strip_first(PICTURE[:, :, 1].copy())
    write("tiff_strip_first_valid.tif", gray)  # the uncut file, to show the cuts below are the cause
    write("tiff_strip_first_cut_half.tif", gray[: len(gray) // 2])  # the pixels cut in half
    write("tiff_flip_in_directory.tif", flip(TIFF, struct.unpack("<I", TIFF[4:8])[0] + 2 + 2, 2))  # a tag type
    write("tiff_flip_in_pixels.tif", flip(TIFF, 100, 4))  # LZW codes: libtiff notices
    # Headers claiming more pixels than the one LZW strip holds: over --max-pixels, refused
    # from the header; under it, refused when the first strip runs out.
    write("tiff_bomb_20000x20000.tif", tiff_with_size(TIFF, 20000, 20000))
    write("tiff_bomb_10000x10000.tif", tiff_with_size(TIFF, 10000, 10000))
    # A palette TIFF (probed from its directory with the native decoder's rules, once probed
    # by decoding) claiming 20000x20000 over 100 bytes.
    write("tiff_palette_bomb_20000x20000.tif", tiff_palette(20000, 20000, 1, 100))
    # A LogLuv TIFF (a variant probed by decoding it, under the limit) claiming 20000x20000
    # (under OpenCV's own limit of 2^30 pixels) in one 8-bit strip: refused from the header.
    write("tiff_logluv_bomb_20000x20000.tif", tiff_with_photometric(tiff_with_size(gray, 20000, 20000), 32844))
    # Two pages of different sizes: imgpool reads the first page only.
    ok, buf = cv2.imencodemulti(".tif", [np.full((6, 8), 10, np.uint8), np.full((16, 16), 200, np.uint8)]) \
        if hasattr(cv2, "imencodemulti") else (False, None)
    if not ok:  # OpenCV 4.6 has imwritemulti only
        tmp = os.path.join(ROOT, ".multipage.tif")
        assert cv2.imwritemulti(tmp, [np.full((6, 8), 10, np.uint8), np.full((16, 16), 200, np.uint8)])
        with open(tmp, "rb") as f:
            buf = f.read()
        os.remove(tmp)
    write("tiff_two_pages.tif", bytes(buf))


# ---- Other images and text -----------------------------------------------------------

def gif_4x4():
    """A valid GIF89a written by hand (OpenCV 4.6 has no GIF codec): a 4x4 screen, black,
    with one white pixel drawn at the top left."""
    return (b"GIF89a" + struct.pack("<HH", 4, 4) + b"\x80\x00\x00"  # screen, 2-colour table
            + b"\x00\x00\x00\xff\xff\xff"  # black, white
            + b"\x2c" + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00"  # image descriptor
            + b"\x02\x02\x44\x01\x00"  # LZW min code size 2, one sub-block
            + b"\x3b")


def bmp_rle_bomb(width, height):
    """An 8-bit RLE BMP claiming width x height pixels whose pixel data is the two bytes
    "end of bitmap": 1 KB that OpenCV decodes to width x height x 3 bytes (a colour palette)."""
    palette = b"".join(bytes([i, i * 7 % 256, i * 13 % 256, 0]) for i in range(256))
    rle = b"\x00\x01"
    offset = 14 + 40 + len(palette)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(rle), 2835, 2835, 256, 0)
    return b"BM" + struct.pack("<IHHI", offset + len(rle), 0, 0, offset) + info + palette + rle


def other_files():
    write("bmp_rle_bomb_18000x18000.bmp", bmp_rle_bomb(18000, 18000))  # under OpenCV's own 1 GB BMP limit
    for ext in ("png", "jpg", "tif", "npy"):
        write("empty." + ext, b"")
        write("text_named." + ext, "This is a text file, not an image.\n")
    write("gif_valid.gif", gif_4x4())
    write("gif_named.png", gif_4x4())


# ---- .npy ----------------------------------------------------------------------------

def npy(header, data=b"", version=(1, 0)):
    """A .npy file with this header text (padded as NumPy pads it) and data bytes."""
    text = header.encode("latin1")
    size_format = "<H" if version[0] == 1 else "<I"
    prefix = 10 if version[0] == 1 else 12
    pad = -(prefix + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    return b"\x93NUMPY" + bytes(version) + struct.pack(size_format, len(text)) + text + data


def npy_header(descr, shape):
    return "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)


def npy_files():
    four = np.arange(4, dtype="<f8").tobytes()
    write("npy_bad_magic.npy", b"\x93NUMPZ" + npy(npy_header("<f8", "(2, 2)"), four)[6:])
    write("npy_bad_version.npy", npy(npy_header("<f8", "(2, 2)"), four, version=(9, 0)))
    write("npy_header_unparsable.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2", four))
    write("npy_header_not_a_dict.npy", npy("[1, 2, 3]", four))
    write("npy_header_length_beyond_file.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", 60000) + b"{'descr'")
    write("npy_dtype_object.npy", npy(npy_header("|O", "(2, 2)"), b"\0" * 32))
    write("npy_dtype_complex.npy", npy(npy_header("<c16", "(2, 2)"), b"\0" * 64))
    write("npy_dtype_unicode.npy", npy(npy_header("<U3", "(2, 2)"), b"\0" * 48))
    write("npy_dtype_bytes.npy", npy(npy_header("|S3", "(2, 2)"), b"\0" * 12))
    write("npy_dtype_structured.npy", npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 2), }",
                                          b"\0" * 16))
    write("npy_shape_negative.npy", npy(npy_header("<f8", "(-1, 4)"), four))
    write("npy_shape_overflowing.npy", npy(npy_header("<f8", "(4294967296, 4294967296)"), four))
    write("npy_shape_overflowing_int64.npy", npy(npy_header("<f8", "(99999999999999999999, 2)"), four))
    write("npy_shape_too_big_for_data.npy", npy(npy_header("<f8", "(10, 10)"), four))  # 100 values claimed, 4 there
    write("npy_shape_data_left_over.npy", npy(npy_header("<f8", "(1, 2)"), four))  # 2 claimed, 4 there
    write("npy_shape_4d.npy", npy(npy_header("<f8", "(1, 2, 2, 1)"), four))
    write("npy_shape_empty.npy", npy(npy_header("<f8", "(0, 4)")))
    write("npy_shape_too_many_channels.npy", npy(npy_header("|u1", "(1, 1, 1000)"), b"\0" * 1000))
    write("npy_shape_bomb.npy", npy(npy_header("|u1", "(100000, 100000)"), b"\0" * 16))
    # float data with NaN and infinities: valid (docs/semantics.md, "NaN")
    values = np.array([[1, np.nan, 2, 3], [4, 5, np.inf, 6], [7, 8, 9, -np.inf], [0, 1, 2, 3]], np.float32)
    with open(os.path.join(ROOT, "nan_inf_valid.npy"), "wb") as f:
        np.save(f, values)


# ---- .csv ----------------------------------------------------------------------------

def csv_files():
    write("csv_ragged.csv", "1,2,3\n4,5,6\n7,8\n")
    write("csv_not_a_number.csv", "1,2,3\n4,five,6\n")
    write("csv_comments_only.csv", "# a header comment, and no values\n\n   \n")
    write("csv_empty.csv", "")
    write("csv_binary.csv", b"1,2\n\0\0\x01\x02\n")
    write("csv_nan_inf_valid.csv", "1,nan,2,3\n4,5,inf,6\n7,8,9,-inf\n0,1,2,3\n")


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    os.makedirs(ROOT)
    png_files()
    jpeg_files()
    tiff_files()
    other_files()
    npy_files()
    csv_files()
    print("wrote %d files to %s" % (len(os.listdir(ROOT)), ROOT))


if __name__ == "__main__":
    main()
