#!/usr/bin/python3
"""Writes the committed seed corpus of each fuzzer under fuzz/corpus/<target>/.

Run with Debian's /usr/bin/python3 (NumPy, OpenCV 4.6 bindings), after
tests/make_broken_files.py (some invalid seeds are copied from tests/broken/). A few
valid and a few invalid inputs per target, all small; the same bytes on every run.
"""
import io
import os
import shutil

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BROKEN = os.path.join(HERE, "..", "tests", "broken")
ROOT = os.path.join(HERE, "corpus")


def write(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def broken(target, *names):
    for name in names:
        with open(os.path.join(BROKEN, name), "rb") as f:
            write(target, name, f.read())


def npy_bytes(a, version=None):
    f = io.BytesIO()
    if version is None:
        np.save(f, a)
    else:
        np.lib.format.write_array(f, a, version=version)
    return f.getvalue()


def encode(ext, image, params=()):
    ok, buf = cv2.imencode(ext, image, list(params))
    assert ok, ext
    return buf.tobytes()


def npy_seeds():
    write("npy", "u1_2x3.npy", npy_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3)))
    write("npy", "f4_2x2x3.npy", npy_bytes(np.linspace(-1, 1, 12, dtype=np.float32).reshape(2, 2, 3)))
    write("npy", "i2_big_endian_fortran.npy", npy_bytes(np.asfortranarray(np.arange(6, dtype=">i2").reshape(3, 2))))
    write("npy", "bool_2x2.npy", npy_bytes(np.array([[True, False], [False, True]])))
    write("npy", "f8_nan_inf.npy", npy_bytes(np.array([[np.nan, np.inf], [-np.inf, -0.0]])))
    write("npy", "i8_v2.npy", npy_bytes(np.arange(4, dtype=np.int64).reshape(2, 2), version=(2, 0)))
    broken("npy", "npy_bad_magic.npy", "npy_shape_too_big_for_data.npy", "npy_dtype_complex.npy",
           "npy_header_unparsable.npy", "npy_shape_negative.npy")


def csv_seeds():
    write("csv", "worked_example.csv", "2,3,4,2\n8,5,5,1\n6,7,9,4\n3,1,4,5\n")
    write("csv", "spaces_comments.txt", "# a comment\n1.5 -2e3  3\n\n4 5 6 # trailing\n")
    write("csv", "nan_inf.csv", "nan,inf,-inf\n1,-0,1e-310\n")
    write("csv", "bom_crlf.csv", "\ufeff1,2\r\n3,4\r\n")
    write("csv", "precision.csv", "0.1,1.7976931348623157e308,4.9e-324\n")
    broken("csv", "csv_ragged.csv", "csv_not_a_number.csv", "csv_comments_only.csv")


def image_seeds():
    y, x = np.mgrid[0:6, 0:8]
    rgb = np.dstack([x * 30, y * 40, (x + y) * 15]).astype(np.uint8)
    gray = rgb[:, :, 0].copy()
    write("image", "rgb.png", encode(".png", rgb))
    write("image", "rgba16.png", encode(".png", np.dstack([rgb, gray]).astype(np.uint16) * 257))
    write("image", "gray.jpg", encode(".jpg", gray))
    write("image", "rgb.jpg", encode(".jpg", rgb))
    write("image", "f32.tif", encode(".tif", gray.astype(np.float32) / 7))
    write("image", "rgb.tif", encode(".tif", rgb))  # LZW with the horizontal predictor
    write("image", "rgba16.tif", encode(".tif", np.dstack([rgb, gray]).astype(np.uint16) * 257))
    write("image", "rgb.bmp", encode(".bmp", rgb))
    write("image", "rgb.webp", encode(".webp", rgb))
    write("image", "rgb.ppm", encode(".ppm", rgb))
    write("image", "gray16.pgm", encode(".pgm", gray.astype(np.uint16) * 200))
    write("image", "u1.npy", npy_bytes(gray))
    write("image", "values.csv", "1,2,3\n4,5,6\n")
    # Regression (found by this fuzzer): "8#2" is 8 then 2 to OpenCV, not 8 and a comment.
    write("image", "pnm_hash_after_number.pgm", b"P5 8#2\n6 255\n" + bytes(range(16)))
    broken("image", "gif_valid.gif", "png_cut_half.png", "png_flip_in_pixels.png", "jpeg_cut_half.jpg",
           "tiff_cut_half.tif", "tiff_two_pages.tif", "tiff_flip_in_pixels.tif", "text_named.png")


def cli_seeds():
    lines = {
        "window.txt": ["in.png", "-t", "avg", "-k", "3x2", "-s", "1", "-p", "same", "-o", "out.png"],
        "print.txt": ["a.csv", "-k", "2", "--print"],
        "adaptive.txt": ["x.npy", "--output-size", "7x7", "-t", "avg", "--depth", "f64"],
        "global_types.txt": ["a.png", "--global", "-t", "max,avg,lp", "--power", "3"],
        "padding.txt": ["a.png", "--border", "reflect", "-p", "1,2,3,4", "--dilation", "2", "--ceil"],
        "count_pad.txt": ["a.png", "-t", "avg", "-k", "3", "-s", "2", "-p", "1", "--count-pad", "--round", "up"],
        "pipeline.txt": ["a.png", "--grayscale", "--resize", "224x224", "--interp", "area", "--filter", "edge",
                         "--relu", "--compare", "s.png", "--colormap", "magma", "--repeat", "3"],
        "stdio.txt": ["-", "-o", "-", "--format", "png", "--max-pixels", "1M"],
        "batch.txt": ["dir", "a.png", "-o", "out", "-j", "2", "--shard", "1/3", "-r", "--ext", "png,jpg",
                      "--name", "{stem}.{tag}{ext}", "--skip-existing"],
        "bad_size.txt": ["a.png", "-k", "0"],
        "bad_ceil_same.txt": ["a.png", "--ceil", "-p", "same"],
        "bad_count_pad.txt": ["a.png", "--count-pad", "-t", "max"],
        "help.txt": ["--help"],
        "long_name.txt": ["q" * 300 + ".png", "-o", "x" * 300 + "/"],  # regression: was an uncaught exception
    }
    for name, args in lines.items():
        write("cli", name, "\n".join(args))


def pool_seeds():
    rng = np.random.default_rng(6)
    for i, n in enumerate([16, 64, 200, 600, 1500]):
        write("pool", "random_%d.bin" % i, rng.integers(0, 256, n, dtype=np.uint8).tobytes())


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    npy_seeds()
    csv_seeds()
    image_seeds()
    cli_seeds()
    pool_seeds()
    for target in sorted(os.listdir(ROOT)):
        print("%s: %d seeds" % (target, len(os.listdir(os.path.join(ROOT, target)))))


if __name__ == "__main__":
    main()
