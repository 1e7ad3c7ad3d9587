#!/usr/bin/env python3
"""Writes sample_images/circle64.png: a 64x64 8-bit grayscale image of a white disc on
black, off centre, for the repeated-pooling and translation-invariance demos.

Pure standard library (zlib + struct), so it runs anywhere: python3 scripts/make_sample_shapes.py
"""
import os
import struct
import zlib

SIZE, CX, CY, R = 64, 27.5, 30.5, 16.0


def disc(x, y):
    # 4x4 supersampling for a smooth edge; the values are deterministic.
    inside = sum((x + (i + 0.5) / 4 - CX) ** 2 + (y + (j + 0.5) / 4 - CY) ** 2 <= R * R
                 for i in range(4) for j in range(4))
    return round(inside * 255 / 16)


def png(width, height, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "sample_images", "circle64.png")
    with open(out, "wb") as f:
        f.write(png(SIZE, SIZE, [[disc(x, y) for x in range(SIZE)] for y in range(SIZE)]))
    print("wrote", os.path.normpath(out))
