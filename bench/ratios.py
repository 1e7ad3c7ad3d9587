#!/usr/bin/env python3
"""Runs imgpool_bench and prints ratios, never absolute times as verdicts.

    python3 bench/ratios.py                                # build-bench/bench/imgpool_bench
    python3 bench/ratios.py --bench build-2x2/bench/imgpool_bench --repetitions 7
    python3 bench/ratios.py --passes 4 --repetitions 3     # best over 4 runs of the whole set
    python3 bench/ratios.py --json a.json b.json           # tables from earlier runs (merged)

For every imgpool row: its speed-up over the OpenCV call that does the same job (OpenCV
time / imgpool time), its share of the read pass's bandwidth (imgpool bytes/s / read bytes/s
over the same image and threads), and its two-thread scaling. Then the targets of
docs/performance.md, each met or not. Each time is the best of all repetitions of all
passes (each repetition is itself a mean over many iterations): on a shared machine the
best is the one least disturbed by other processes, and passes run minutes apart dodge
longer disturbances. The repetitions of all rows run in a random order (Google Benchmark's
random interleaving), so that a slow minute falls on every row alike rather than on the
rows whose turn it was: a ratio's two rows are then measured over the same stretch of time.
"""
import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

# imgpool cases whose OpenCV counterpart has another name.
BASELINE = {"avg2x2_u8_even": "avg2x2_u8"}
# The read pass over the same image (in the caches, or from memory for the _dram rows), and
# each case's traffic floor: for 2x2 the 4:1 pass (the read plus a quarter-size write, no
# arithmetic), for stride 1 the faster copy pass (the read plus a same-size write, with plain
# or with non-temporal stores).
# Codec rows (decode/encode of one file against OpenCV's): single-threaded by nature.
CODEC_ROWS = ("tiff_",)
SIZES = {"u8": 3840 * 2160 * 3, "f32": 3840 * 2160 * 3 * 4}


def ceiling(kind, case):
    d = dtype(case)
    if d is None:
        return ""
    return f"{kind}_{d}" + ("_dram" if case.endswith("_dram") else "")


def floor_of(case):
    """The names of the passes with the case's traffic; the fastest of them is its floor."""
    if "2x2" in case:
        return [ceiling("quarter", case)]
    if re.search(r"\d+x\d+s1_", case) and "median" not in case:
        return [ceiling("copy", case), ceiling("copy_nt", case)]
    return []


def floor_time(t, case, n):
    times = [t[(f, "read", n)] for f in floor_of(case) if (f, "read", n) in t]
    return min(times) if times else None


def run(bench, repetitions, extra):
    cmd = [bench, "--benchmark_format=json", f"--benchmark_repetitions={repetitions}",
           "--benchmark_enable_random_interleaving=true"] + extra
    print("running:", " ".join(cmd), file=sys.stderr)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def dtype(case):
    m = re.search(r"_(u8|f32)(_|$)", case)
    return m.group(1) if m else None


def best_times(data, field="real_time"):
    """{(case, impl, threads): seconds}, the best repetition; skipped rows left out.
    field "cpu_time" is the benchmark thread's CPU time: a fair measure of the work of a
    one-thread row on a loaded machine (never of a two-thread row: the helper thread is not in it)."""
    best = {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        m = re.match(r"(.+)/(imgpool|opencv|read)/threads:(\d+)", b["run_name"])
        if not m:
            continue
        unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
        key = (m.group(1), m.group(2), int(m.group(3)))
        t = b[field] * unit
        best[key] = min(t, best.get(key, t))
    return best


def fmt(x, digits=2):
    return "—" if x is None else f"{x:.{digits}f}"


def tables(t):
    cases = sorted({c for (c, impl, _) in t if impl == "imgpool"}, key=order)
    threads = sorted({n for (_, _, n) in t})
    rows = []
    for c in cases:
        for n in threads:
            mine = t.get((c, "imgpool", n))
            if mine is None:
                continue
            cv = t.get((BASELINE.get(c, c), "opencv", n))
            read = t.get((ceiling("read", c), "read", n))
            floor = floor_time(t, c, n)
            one = t.get((c, "imgpool", 1))
            rows.append({
                "case": c, "threads": n, "ms": mine * 1e3, "cv_ms": cv * 1e3 if cv else None,
                "speedup": cv / mine if cv else None,
                "of_read": read / mine if read else None,
                "of_floor": floor / mine if floor else None,
                "scaling": one / mine if (one and n != 1) else None,
            })
    return rows


def order(case):
    # 2x2 first, then stride 1 by type and window, then global.
    m = re.match(r"(max|min|avg)(\d+)x\d+s1", case)
    if "2x2" in case:
        return (0, case)
    if m:
        return (1, m.group(1), int(m.group(2)), case)
    return (2, case)


def print_reads(t):
    print("| ceiling | threads | ms | GB/s of input |")
    print("|---|---:|---:|---:|")
    for (c, impl, n), sec in sorted(t.items()):
        if impl == "read":
            print(f"| {c} | {n} | {fmt(sec * 1e3, 3)} | {fmt(SIZES.get(dtype(c), 0) / sec / 1e9, 1)} |")


def print_table(rows):
    print("| case | threads | imgpool ms | OpenCV ms | speed-up vs OpenCV | share of read pass | share of traffic floor | 2 threads / 1 thread |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} | {r['threads']} | {fmt(r['ms'])} | {fmt(r['cv_ms'])} | {fmt(r['speedup'])}x | "
              f"{fmt(r['of_read'])} | {fmt(r['of_floor'])} | {fmt(r['scaling']) + 'x' if r['scaling'] else ''} |")


def print_targets(t):
    def get(c, impl="imgpool", n=1):
        return t.get((c, impl, n))

    def ratio(num, den):
        return num / den if (num is not None and den is not None) else None

    checks = []

    def target(text, value, ok):
        checks.append((text, value, None if value is None else ok(value)))

    # The bandwidth is memory's (a read pass over 256 MiB): the _dram rows, whose
    # every pass reads its input from memory. In the caches the tables show it too.
    for c in ("max2x2_u8", "avg2x2_u8"):
        target(f"{c}, 1 thread, input from memory: >= 0.8 of the read pass's bandwidth",
               ratio(get("read_u8_dram", "read"), get(c + "_dram")), lambda v: v >= 0.8)
    target("max2x2_u8, 1 thread: >= 3x faster than dilate + subsample",
           ratio(get("max2x2_u8", "opencv"), get("max2x2_u8")), lambda v: v >= 3)
    target("avg2x2_u8, 1 thread: at least as fast as INTER_AREA",
           ratio(get("avg2x2_u8", "opencv"), get("avg2x2_u8")), lambda v: v >= 1)
    target("avg2x2_f32, 1 thread: on par with INTER_AREA (>= 0.9x)",
           ratio(get("avg2x2_f32", "opencv"), get("avg2x2_f32")), lambda v: v >= 0.9)
    for op in ("max", "min", "avg"):
        target(f"{op} stride 1, 1 thread: 63x63 within 1.5x of 3x3 (time ratio)",
               ratio(get(f"{op}63x63s1_u8"), get(f"{op}3x3s1_u8")), lambda v: v <= 1.5)
    for op in ("max", "min"):
        for k, want in ((3, 2), (63, 5)):
            c = f"{op}{k}x{k}s1_u8"
            target(f"{c}, 1 thread: >= {want}x faster than {'dilate' if op == 'max' else 'erode'}",
                   ratio(get(c, "opencv"), get(c)), lambda v, w=want: v >= w)
    for k in (3, 5, 9, 15, 31, 63):
        c = f"avg{k}x{k}s1_u8"
        target(f"{c}, 1 thread: >= 2x faster than blur", ratio(get(c, "opencv"), get(c)), lambda v: v >= 2)
    # Two threads: >= 1.7x unless the row is bound by bandwidth, taken here as reaching
    # 0.8 of the two-thread read pass, or of its traffic floor's (the read plus the writes
    # it must make: where no core count helps).
    for c in sorted({c for (c, impl, _) in t if impl == "imgpool"}, key=order):
        one, two = get(c), get(c, n=2)
        ceilings = [get(ceiling("read", c), "read", 2), floor_time(t, c, 2)]
        bound = two is not None and any(x is not None and x / two >= 0.8 for x in ceilings)
        if c.startswith(CODEC_ROWS):
            continue  # one libtiff stream: no pooling to split, shown for comparison only
        target(f"{c}: 2 threads >= 1.7x 1 thread" + (" (bandwidth-bound)" if bound else ""),
               ratio(one, two), lambda v, b=bound: v >= 1.7 or b)

    print("| target | measured | verdict |")
    print("|---|---:|---|")
    for text, value, ok in checks:
        print(f"| {text} | {fmt(value)} | {'—' if ok is None else ('met' if ok else 'MISSED')} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=str(Path(__file__).resolve().parent.parent / "build-bench/bench/imgpool_bench"))
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--passes", type=int, default=1, help="runs of the whole set; the best of all counts")
    ap.add_argument("--json", nargs="+", help="read saved --benchmark_format=json outputs instead of running")
    ap.add_argument("--save", help="also write the raw JSON here")
    ap.add_argument("--time", choices=("real", "cpu"), default="real",
                    help="wall-clock time (default), or the main thread's CPU time (one-thread rows on a busy machine)")
    ap.add_argument("args", nargs="*", help="more arguments for the benchmark, after -- (e.g. -- --benchmark_filter=2x2)")
    a = ap.parse_args()
    if a.json:
        runs = [json.loads(Path(f).read_text()) for f in a.json]
        data = runs[0]
        for r in runs[1:]:
            data["benchmarks"] += r["benchmarks"]
    else:
        data = run(a.bench, a.repetitions, a.args)
        for _ in range(a.passes - 1):
            data["benchmarks"] += run(a.bench, a.repetitions, a.args)["benchmarks"]
    if a.save:
        Path(a.save).write_text(json.dumps(data, indent=1))
    ctx = data.get("context", {})
    print(f"{ctx.get('date', '')}, {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
          f"load average {', '.join(f'{x:.2f}' for x in ctx.get('load_avg', []))}; best of "
          f"{a.repetitions * a.passes if not a.json else 'all'} repetitions"
          f"{'; CPU time of the benchmark thread, not wall-clock' if a.time == 'cpu' else ''}\n")
    t = best_times(data, a.time + "_time")
    print_reads(t)
    print()
    print_table(tables(t))
    print()
    print_targets(t)


if __name__ == "__main__":
    main()
