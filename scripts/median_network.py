#!/usr/bin/env python3
"""Makes and checks the 5x5 median network of lib/src/median_net_u8.cpp (median25).

Input: the 25 cells of a window as five columns, each already sorted (akd: rank k of column d).
Each rank row across the columns is sorted (9 compare-exchanges), which keeps the columns
sorted; in a matrix sorted along rows and columns, cell (i, j) has at least (i+1)(j+1) cells
at or below it and (5-i)(5-j) at or above it, so only the 13 cells with both counts <= 13 can
be the median (rank 13 of 25), and it is their median (6 cells are surely below, 6 above).
The rows' candidate runs are merged (Batcher's odd-even merge, padded with +infinity) and
every min/max that does not reach the median is dropped.

The network is checked on every input of 0s and 1s with sorted columns; by the 0-1 principle
(a min/max network commutes with every threshold) it is then right for all inputs.

Usage: python3 scripts/median_network.py   (prints the C++ body; exit 1 if a check fails)
"""
import itertools
import sys

SORT5 = [(0, 1), (3, 4), (2, 4), (2, 3), (0, 3), (0, 2), (1, 4), (1, 3), (1, 2)]  # as sort5() in C++
INF = 'INF'
ops = []  # (name, 'min' | 'max', x, y) in order


def new(op, x, y):
    name = 't%d' % len(ops)
    ops.append((name, op, x, y))
    return name


def mn(x, y):
    return y if x == INF else x if y == INF else new('min', x, y)


def mx(x, y):
    return INF if INF in (x, y) else new('max', x, y)


def odd_even_merge(a, b):
    """Batcher's merge of two sorted lists of one power-of-two length."""
    if len(a) == 1:
        return [mn(a[0], b[0]), mx(a[0], b[0])]
    even, odd = odd_even_merge(a[0::2], b[0::2]), odd_even_merge(a[1::2], b[1::2])
    out = [even[0]]
    for i in range(1, len(a)):
        out += [mn(odd[i - 1], even[i]), mx(odd[i - 1], even[i])]
    return out + [odd[-1]]


def merge(a, b):
    n = 1
    while n < max(len(a), len(b)):
        n *= 2
    return odd_even_merge(a + [INF] * (n - len(a)), b + [INF] * (n - len(b)))[:len(a) + len(b)]


def main():
    for bits in range(32):  # sort5 itself
        v = [(bits >> i) & 1 for i in range(5)]
        for a, b in SORT5:
            v[a], v[b] = min(v[a], v[b]), max(v[a], v[b])
        if v != sorted(v):
            sys.exit('sort5 is wrong')
    grid = [['a%d%d' % (k, d) for d in range(5)] for k in range(5)]
    for row in grid:
        for a, b in SORT5:
            row[a], row[b] = mn(row[a], row[b]), mx(row[a], row[b])
    runs = [[grid[i][j] for j in range(5) if (i + 1) * (j + 1) <= 13 and (5 - i) * (5 - j) <= 13] for i in range(5)]
    assert sum(map(len, runs)) == 13
    median = merge(merge(runs[0], runs[1]), merge(merge(runs[3], runs[4]), runs[2]))[6]
    needed, kept = {median}, []
    for op in reversed(ops):
        if op[0] in needed:
            kept.append(op)
            needed.update(op[2:])
    kept.reverse()

    def run(cells):
        env = dict(cells)
        for name, op, x, y in kept:
            env[name] = min(env[x], env[y]) if op == 'min' else max(env[x], env[y])
        return env[median]

    for ones in itertools.product(range(6), repeat=5):  # ones[d]: how many 1s column d ends with
        cells = {'a%d%d' % (k, d): int(k >= 5 - ones[d]) for d in range(5) for k in range(5)}
        if run(cells) != sorted(cells.values())[12]:
            sys.exit('the network is wrong for columns ending in %s ones' % (ones,))
    for name, op, x, y in kept:
        print('    const V %s = %s(%s, %s);' % (name, 'mn' if op == 'min' else 'mx', x, y))
    print('    return %s;' % median)
    print('checked on all %d sorted 0-1 inputs: %d min/max' % (6 ** 5, len(kept)), file=sys.stderr)


if __name__ == '__main__':
    main()
