#!/usr/bin/env bash
# The one command behind docs/performance.md: builds the benchmark tools from this checkout,
# runs every benchmark, and writes the results (raw output, Markdown tables, the plot) into one
# directory. Opt-in, never part of the test suite; run it on a quiet machine.
#
#   bash bench/all.sh                     # results in bench-results/<UTC date-time>/ (~15 min on 2 cores)
#   bash bench/all.sh --update-docs       # and put the tables and plot into docs/performance.md
#   BENCH_QUICK=1 bash bench/all.sh       # short settings everywhere: checks the script, not numbers
#
# Settings (environment):
#   BENCH_BUILD_DIR  build directory (default: a temporary one, removed at the end)
#   BENCH_RESULTS    results directory (default: bench-results/<UTC date-time> in this checkout)
#   BENCH_PYTHON     Python with cv2, numpy and matplotlib (default /usr/bin/python3)
#   BENCH_QUICK      1: few repetitions and files (a smoke run; the numbers mean little)
#   BENCH_TIME       real (default) or cpu: the time the plot shows; cpu (the benchmark thread's
#                    CPU time) only to read a run made on a busy machine
# and those of bench/process.sh and bench/batch.sh, passed through (BENCH_NICE, BENCH_TMPDIR...).
#
# Steps, each logged in the results directory: machine.txt; build.log; pool_bench.json and
# ratios.md and ratios-cpu.md (bench/ratios.py); windows.md and cost_vs_window.png (bench/plot_windows.py);
# process.txt and process.md (bench/process.sh); batch.txt (bench/batch.sh, 40 images);
# performance-generated.md (all of it as docs/performance.md's generated sections).
#
# Exit status: 0 when every step ran, 1 when a step failed (the others still run; see its log),
# 2 for a bad argument or setting.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly PY=${BENCH_PYTHON:-/usr/bin/python3}
readonly QUICK=${BENCH_QUICK:-0}
UPDATE_DOCS=0
for arg in "$@"; do
    case $arg in
        --update-docs) UPDATE_DOCS=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "all.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
    esac
done
readonly TIME=${BENCH_TIME:-real}
[[ $QUICK == 0 || $QUICK == 1 ]] || { echo "all.sh: BENCH_QUICK must be 0 or 1" >&2; exit 2; }
[[ $TIME == real || $TIME == cpu ]] || { echo "all.sh: BENCH_TIME must be real or cpu" >&2; exit 2; }

STAMP=$(date -u +%Y%m%d-%H%M%S)
RESULTS=${BENCH_RESULTS:-$ROOT/bench-results/$STAMP}
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
if [[ -n ${BENCH_BUILD_DIR:-} ]]; then
    BUILD=$BENCH_BUILD_DIR
else
    BUILD=$(mktemp -d "${TMPDIR:-/tmp}/imgpool-bench-build.XXXXXX")
    trap 'rm -rf "$BUILD"' EXIT
fi
trap 'exit 130' INT TERM

status=0
step() { echo "== $* ($(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1 /proc/loadavg))"; }
fail() { echo "   FAILED: $*" >&2; status=1; }

if ((QUICK)); then
    BENCH_ARGS=(--repetitions 1 -- --benchmark_min_time=0.05)
    PROCESS_ENV=(BENCH_RUNS=2 BENCH_STARTUP_RUNS=10 BENCH_LOOP_FILES=10)
    BATCH_ENV=(BENCH_COUNT=10 BENCH_RUNS=1)
else
    # Two passes of 5 repetitions, minutes apart: the best of them dodges a burst of load.
    BENCH_ARGS=(--repetitions 5 --passes 2)
    PROCESS_ENV=()
    BATCH_ENV=(BENCH_COUNT=40 BENCH_RUNS=3)
fi

step "machine"
bash "$ROOT/bench/machine.sh" | tee "$RESULTS/machine.txt"
echo "checkout: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' with uncommitted changes')" |
    tee -a "$RESULTS/machine.txt"
((QUICK == 0)) || echo "BENCH_QUICK=1: short settings, a smoke run" | tee -a "$RESULTS/machine.txt"

step "build in $BUILD (log: build.log)"
# Release, no tests: only imgpool, the benchmark and the two process peers (target bench_tools).
if ! { cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DIMGPOOL_BUILD_BENCH=ON \
    -DIMGPOOL_BUILD_TESTS=OFF && ninja -C "$BUILD" bench_tools; } >"$RESULTS/build.log" 2>&1; then
    tail -n 20 "$RESULTS/build.log" >&2
    echo "all.sh: the build failed; nothing measured" >&2
    exit 1
fi
echo "imgpool: $BUILD/imgpool, $("$BUILD/imgpool" --version | head -n1), $(ldd "$BUILD/imgpool" | wc -l) shared libraries" |
    tee -a "$RESULTS/machine.txt"

step "pool_bench: engines against OpenCV and the read pass (ratios.md)"
if [[ -x $BUILD/bench/imgpool_bench ]]; then
    "$PY" "$ROOT/bench/ratios.py" --bench "$BUILD/bench/imgpool_bench" --save "$RESULTS/pool_bench.json" \
        "${BENCH_ARGS[@]}" >"$RESULTS/ratios.md" 2>"$RESULTS/ratios.log" || fail "ratios.py (ratios.log)"
    # The same run by CPU time, for information: on a busy machine it still shows the work of
    # the one-thread rows (not of the two-thread rows, whose helper thread it leaves out).
    "$PY" "$ROOT/bench/ratios.py" --json "$RESULTS/pool_bench.json" --time cpu >"$RESULTS/ratios-cpu.md" 2>>"$RESULTS/ratios.log" ||
        fail "ratios.py --time cpu (ratios.log)"
    step "cost against window size (windows.md, cost_vs_window.png; by $TIME time)"
    "$PY" "$ROOT/bench/plot_windows.py" --json "$RESULTS/pool_bench.json" --time "$TIME" --out "$RESULTS/cost_vs_window.png" \
        >"$RESULTS/windows.md" 2>"$RESULTS/windows.log" || fail "plot_windows.py (windows.log)"
else
    fail "imgpool_bench not built (apt-get install libbenchmark-dev)"
fi

step "whole processes (process.txt, process.md)"
env "${PROCESS_ENV[@]}" IMGPOOL="$BUILD/imgpool" BENCH_TOOLS="$BUILD/bench" BENCH_PYTHON="$PY" \
    BENCH_MARKDOWN="$RESULTS/process.md" bash "$ROOT/bench/process.sh" >"$RESULTS/process.txt" 2>"$RESULTS/process.log" ||
    fail "process.sh (process.log)"

step "batch throughput, quick setting (batch.txt)"
env "${BATCH_ENV[@]}" IMGPOOL="$BUILD/imgpool" BENCH_PYTHON="$PY" bash "$ROOT/bench/batch.sh" \
    >"$RESULTS/batch.txt" 2>"$RESULTS/batch.log" || fail "batch.sh (batch.log)"

# ---- docs/performance.md's generated sections ----
# Each section sits between <!-- BEGIN all.sh: NAME --> and <!-- END all.sh: NAME --> in the
# page; performance-generated.md holds them all, for pasting or for --update-docs.
section() {  # section NAME: the body of one generated section, on stdout
    case $1 in
        machine) sed 's/^/- /' "$RESULTS/machine.txt" ;;
        ratios) cat "$RESULTS/ratios.md" 2>/dev/null || echo "(pool_bench did not run)" ;;
        ratios_cpu)
            echo "<details><summary>The same run by CPU time of the benchmark thread (one-thread rows only)</summary>"
            echo
            cat "$RESULTS/ratios-cpu.md" 2>/dev/null || echo "(pool_bench did not run)"
            echo
            echo "</details>"
            ;;
        windows)
            cat "$RESULTS/windows.md" 2>/dev/null || echo "(no plot data)"
            echo
            echo "![Cost against window size](performance/cost_vs_window.png)"
            ;;
        process) cat "$RESULTS/process.md" 2>/dev/null || echo "(process.sh did not run)" ;;
        batch) echo '```text'; cat "$RESULTS/batch.txt" 2>/dev/null || echo "(batch.sh did not run)"; echo '```' ;;
    esac
}
SECTIONS=(machine ratios ratios_cpu windows process batch)
for name in "${SECTIONS[@]}"; do
    echo "<!-- BEGIN all.sh: $name -->"
    section "$name"
    echo "<!-- END all.sh: $name -->"
    echo
done >"$RESULTS/performance-generated.md"

if ((UPDATE_DOCS)); then
    step "docs/performance.md: replacing the generated sections, and the plot"
    "$PY" - "$ROOT/docs/performance.md" "$RESULTS/performance-generated.md" <<'PY' || fail "updating docs/performance.md"
import re, sys
page_path, gen_path = sys.argv[1], sys.argv[2]
page, gen = open(page_path).read(), open(gen_path).read()
pattern = r"<!-- BEGIN all\.sh: (\w+) -->.*?<!-- END all\.sh: \1 -->"
new = {m.group(1): m.group(0) for m in re.finditer(pattern, gen, re.S)}
missing = [n for n in new if f"<!-- BEGIN all.sh: {n} -->" not in page]
if missing:
    sys.exit(f"docs/performance.md lacks the sections {missing}")
open(page_path, "w").write(re.sub(pattern, lambda m: new[m.group(1)], page, flags=re.S))
PY
    if [[ -f $RESULTS/cost_vs_window.png ]]; then
        mkdir -p "$ROOT/docs/performance" && cp "$RESULTS/cost_vs_window.png" "$ROOT/docs/performance/"
    fi
    echo "   review with: git -C '$ROOT' diff docs/performance.md; then edit the prose to match"
fi

step "done: $RESULTS"
sed -n '/^Ratios and targets/,$p' "$RESULTS/process.txt" 2>/dev/null || true
grep -E 'MISSED|missed' "$RESULTS/ratios.md" 2>/dev/null | sed 's/^/   pool_bench: /' || true
exit "$status"
