#!/usr/bin/env python3
"""Deterministic photo-like test images for the benchmarks (bench/batch.sh, bench/process.sh).

    photo.py OUT W H I [QUALITY]            image number I; the format from OUT's extension
                                           (.jpg: QUALITY, default 90, 4:2:0; .png; .npy: float32 gray)
    photo.py --many DIR COUNT W H I EXT     COUNT images img_0000.EXT ..., numbers I, I+1, ...

Image number I is drawn from the seed 20240 + I (bench/batch.sh's set is numbers 0, 1, ...).
The same number gives the same pixels on every run and machine with the same numpy and OpenCV
(Debian 12's python3-numpy and python3-opencv): the benchmark inputs never change between runs.
"""
import os
import sys

import cv2
import numpy as np


def photo(i, w, h):
    """A deterministic image that compresses like a photo: smooth colour fields, a
    gradient, soft-edged shapes, texture at several scales in some regions, sensor noise."""
    rng = np.random.default_rng(20240 + i)
    img = cv2.resize(rng.uniform(30, 225, (6, 10, 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    img += (np.arange(w, dtype=np.float32) / w - 0.5)[None, :, None] * rng.uniform(-40, 40, 3).astype(np.float32)
    shapes = np.zeros((h, w, 3), np.float32)
    mask = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(15, 30))):
        col = tuple(float(c) for c in rng.uniform(0, 255, 3))
        kind = rng.integers(0, 3)
        if kind == 0:
            c, r = (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(20, 250) * w / 1920)
            cv2.circle(shapes, c, max(r, 1), col, -1, cv2.LINE_AA)
            cv2.circle(mask, c, max(r, 1), 1.0, -1, cv2.LINE_AA)
        elif kind == 1:
            p = rng.integers(0, [w, h, w, h])
            pts = np.array([[p[0], p[1]], [p[2], p[1]], [p[2], p[3]], [p[0], p[3]]], np.int32)
            cv2.fillConvexPoly(shapes, pts, col, cv2.LINE_AA)
            cv2.fillConvexPoly(mask, pts, 1.0, cv2.LINE_AA)
        else:
            a, b = (int(rng.integers(0, w)), int(rng.integers(0, h))), (int(rng.integers(0, w)), int(rng.integers(0, h)))
            t = int(rng.integers(2, 12))
            cv2.line(shapes, a, b, col, t, cv2.LINE_AA)
            cv2.line(mask, a, b, 1.0, t, cv2.LINE_AA)
    mask = cv2.GaussianBlur(mask, (0, 0), 1.2)[..., None]
    img = img * (1 - mask) + cv2.GaussianBlur(shapes, (0, 0), 1.2) * mask
    amount = np.clip(cv2.resize(rng.uniform(0, 1, (4, 6)).astype(np.float32) ** 2, (w, h), interpolation=cv2.INTER_CUBIC), 0, 1)
    tex = sum(a * cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), s)
              for a, s in ((30, 0.8), (45, 2.0), (60, 5.0)))
    img += (tex * amount)[..., None]
    img += rng.normal(0, 3.0, (h, w, 3)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def write(path, img, quality=90):
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npy":
        # Numeric data, not an image: one float32 channel in 0..1.
        np.save(path, (cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) / np.float32(255)).astype(np.float32))
        return
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if ext in (".jpg", ".jpeg") else []
    if not cv2.imwrite(path, img, params):
        raise RuntimeError(f"cannot write {path}")


def main(argv):
    if argv[:1] == ["--many"]:
        out, count, w, h, first, ext = argv[1], int(argv[2]), int(argv[3]), int(argv[4]), int(argv[5]), argv[6]
        for i in range(count):
            write(os.path.join(out, f"img_{i:04d}.{ext}"), photo(first + i, w, h))
    elif len(argv) in (4, 5):
        out, w, h, i = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
        write(out, photo(i, w, h), int(argv[4]) if len(argv) == 5 else 90)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
