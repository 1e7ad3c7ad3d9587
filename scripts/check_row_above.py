#!/usr/bin/env python3
"""Checks the stride-1 engine's 16-bit averages from the row above (Lanes16Above in
lib/src/sliding_u8.cpp) against plain integer division, for every sum a row can have and
every result the row above can have left, on windows near the limit where that holds.

For a window of kx x ky cells (D = kx ky > 256), N = window sum + D/2. The row above
stored qa = round_div (floor(Na/D), with ties to even one less where Na = q D and q is
odd); consecutive rows differ by at most B = 255 kx. The engine knows N only mod 2^16 and
computes q = qa - e + floor(o / D), o = (N - (qa - e) D) mod 2^16, e = ceil(B / D), the
division by one multiply and a shift where Lanes16Above::one_mul finds one exact over o's
range, else by Granlund & Montgomery. This script enumerates, for each qa, every N within
B of a sum the row above could have had, and prints each window's count of wrong results
by both divisions: 0 wherever the engine's fits() accepts the window (for one multiply,
where one_mul accepts it), and, to show those bounds are tight, non-zero just beyond.

Offline (the C++ tests do not need Python): python3 scripts/check_row_above.py
Needs numpy (Debian: python3-numpy). Runs in about ten seconds.
"""
import sys

import numpy as np


def o_max(D, kx, ties):  # as Lanes16Above::o_max
    B = 255 * kx
    return (B + D - 1) // D * D + B + D - 1 + (1 if ties else 0)


def fits(D, kx, ties):  # as Lanes16Above::fits
    return D > 256 and o_max(D, kx, ties) < 0x10000


def one_mul(D, kx, ties, check=True):  # as Lanes16Above::one_mul; check=False: the first m < 2^16
    for s in range(16, -1, -1):
        p = 1 << (16 + s)
        m = (p + D - 1) // D
        if m < 0x10000 and (not check or o_max(D, kx, ties) * (m * D - p) < p):
            return m, s
    return None


def gm16(D):  # Divisor::mul16, shift16
    l = 0
    while (1 << l) < D:
        l += 1
    return ((1 << (16 + l)) // D + 1) - 0x10000, l - 1


def stored(N, D, ties):  # round_div's result for N = sum + D/2
    q = N // D
    if ties:
        q = np.where((q * D == N) & (q % 2 == 1), q - 1, q)
    return q


def wrong(kx, ky, ties):
    D, B = kx * ky, 255 * kx
    e = (B + D - 1) // D
    mul, shift = gm16(D)
    one = one_mul(D, kx, ties) or one_mul(D, kx, ties, check=False)
    n_min, n_max = D // 2, 255 * D + D // 2
    bad = [0, 0]  # Granlund & Montgomery, one multiply
    for qa in range(256):
        # The sums the row above may have had for qa, then every sum within B of them.
        lo, hi = qa * D, qa * D + D - 1
        if ties and qa % 2 == 1:
            lo += 1  # q D itself went down to qa - 1
        if ties and qa % 2 == 0:
            hi += 1  # (qa + 1) D came down to qa
        lo, hi = max(lo, n_min), min(hi, n_max)
        if lo > hi:
            continue
        N = np.arange(max(lo - B, n_min), min(hi + B, n_max) + 1, dtype=np.int64)
        base = (qa - e) & 0xFFFF
        o = ((N & 0xFFFF) - base * D) & 0xFFFF
        t = (o * mul) >> 16
        f_gm = (((o - t) >> 1) + t) >> shift
        f_one = (o * one[0]) >> (16 + one[1])
        for i, f in enumerate((f_gm, f_one)):
            q = (base + f) & 0xFFFF
            if ties:
                q = np.where((f * D) & 0xFFFF == o, q - (q & 1), q)
            bad[i] += int(np.count_nonzero(q != stored(N, D, ties)))
    return bad


def main():
    windows = [(k, k) for k in range(17, 106)]
    windows += [(kx, 3) for kx in range(86, 132)] + [(3, ky) for ky in (86, 150, 257)]
    windows += [(16, 17), (40, 20), (60, 64), (126, 4), (127, 4), (90, 91), (100, 99), (101, 100)]
    failures = 0
    for kx, ky in windows:
        for ties in ([False, True] if kx * ky % 2 == 0 else [False]):
            D = kx * ky
            ok, one = fits(D, kx, ties), one_mul(D, kx, ties) is not None
            bad_gm, bad_one = wrong(kx, ky, ties)
            if ok and (bad_gm or (one and bad_one)):
                failures += 1
            if ok and one and bad_one == 0 and (kx, ky) not in ((17, 17), (63, 63)) and fits((kx + 1) * ky, kx + 1, ties):
                continue  # only the edge of the limit, windows without one multiply and a few more are printed
            print(f"{kx}x{ky} {'ties ' if ties else ''}fits={ok} wrong={bad_gm}; one multiply: {'yes' if one else 'no'}, wrong={bad_one}")
    print("FAILED" if failures else "every window that fits is exact")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
