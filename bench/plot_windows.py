#!/usr/bin/env python3
"""Cost of stride-1 pooling against the window size: imgpool's max, min and avg and OpenCV's
dilate, erode and blur on the same 3840x2160 RGB image, from imgpool_bench's stride-1 rows
(pool_bench.cpp: 3, 5, 9, 15, 31, 63).

    python3 bench/plot_windows.py --bench build/bench/imgpool_bench     # runs those rows
    python3 bench/plot_windows.py --json results/pool_bench.json        # or reads a saved run

Draws docs/performance/cost_vs_window.png (or --out) and prints the numbers as a Markdown
table. Each point is the best repetition (see ratios.py). Needs matplotlib (python3-matplotlib);
the Agg backend, so no display is needed.
"""
import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ratios import best_times, run  # noqa: E402  (the same reading of the benchmark's JSON)

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"(max|min|avg)(\d+)x\2s1_u8")
OPENCV_NAME = {"max": "dilate", "min": "erode", "avg": "blur"}
COLOUR = {"max": "tab:red", "min": "tab:blue", "avg": "tab:green"}


def series(t, threads):
    """{(op, impl): [(k, ms), ...]} for the stride-1 u8 rows at this thread count."""
    out = {}
    for (case, impl, n), sec in t.items():
        m = ROW.fullmatch(case)
        if m and n == threads and impl in ("imgpool", "opencv"):
            out.setdefault((m.group(1), impl), []).append((int(m.group(2)), sec * 1e3))
    return {key: sorted(v) for key, v in out.items()}


def print_table(s, threads, what):
    sizes = sorted({k for v in s.values() for k, _ in v})
    print(f"Stride-1 pooling of a 3840x2160 RGB u8 image, {threads} thread(s), ms {what} (best repetition):\n")
    print("| window | " + " | ".join(f"{k}x{k}" for k in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for op in ("max", "min", "avg"):
        for impl in ("imgpool", "opencv"):
            pts = dict(s.get((op, impl), []))
            if not pts:
                continue
            name = f"imgpool {op}" if impl == "imgpool" else f"OpenCV {OPENCV_NAME[op]}"
            print(f"| {name} | " + " | ".join(f"{pts[k]:.1f}" if k in pts else "—" for k in sizes) + " |")


def plot(s, threads, out, subtitle):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    for op in ("max", "min", "avg"):
        for impl, style in (("imgpool", "-o"), ("opencv", "--s")):
            pts = s.get((op, impl))
            if not pts:
                continue
            label = f"imgpool {op}" if impl == "imgpool" else f"OpenCV {OPENCV_NAME[op]}"
            ax.plot([k for k, _ in pts], [ms for _, ms in pts], style, color=COLOUR[op], label=label,
                    markersize=5, linewidth=1.5, alpha=1.0 if impl == "imgpool" else 0.7)
    sizes = sorted({k for v in s.values() for k, _ in v})
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([f"{k}x{k}" for k in sizes])
    ax.set_xlabel("window (stride 1, SAME size output)")
    ax.set_ylabel("ms per 3840x2160 RGB u8 image (log)")
    ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.yaxis.set_minor_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_title(f"Stride-1 pooling cost against window size, {threads} thread{'s' if threads > 1 else ''}\n{subtitle}",
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(ncol=2, fontsize=9)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(f"\nwrote {out}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=str(ROOT / "build/bench/imgpool_bench"))
    ap.add_argument("--json", nargs="+", help="saved --benchmark_format=json outputs instead of running")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--time", choices=("real", "cpu"), default="real",
                    help="wall-clock (default) or the benchmark thread's CPU time (fairer on a busy machine, 1 thread)")
    ap.add_argument("--out", default=str(ROOT / "docs/performance/cost_vs_window.png"))
    a = ap.parse_args()
    if a.json:
        data = json.loads(Path(a.json[0]).read_text())
        for f in a.json[1:]:
            data["benchmarks"] += json.loads(Path(f).read_text())["benchmarks"]
    else:
        data = run(a.bench, a.repetitions,
                   [rf"--benchmark_filter=^(max|min|avg)[0-9]+x[0-9]+s1_u8/(imgpool|opencv)/threads:{a.threads}$"])
    s = series(best_times(data, a.time + "_time"), a.threads)
    if not s:
        sys.exit("plot_windows.py: no stride-1 rows in the benchmark's output")
    ctx = data.get("context", {})
    subtitle = (f"{ctx.get('date', '')[:16]}, {ctx.get('num_cpus', '?')} CPUs, load average "
                f"{', '.join(f'{x:.1f}' for x in ctx.get('load_avg', []))}"
                f"{'; CPU time, not wall-clock' if a.time == 'cpu' else ''}")
    print_table(s, a.threads, "of CPU time" if a.time == "cpu" else "wall-clock")
    plot(s, a.threads, Path(a.out), subtitle)


if __name__ == "__main__":
    main()
