#!/usr/bin/env bash
# shellcheck disable=SC2317  # the row_* functions are called through FN[]
# Batch pooling throughput of imgpool against peers measured in the same run.
# Opt-in benchmark, not part of the test suite. See bench/README.md.
#
# The job, for every peer: 2x2 average pooling (halve each side) of every JPEG in a
# generated set, JPEG output at quality 90, two workers on two cores.
#
#   bash bench/batch.sh                      # 200 JPEGs of 1920x1080, best of 3 runs
#   BENCH_COUNT=40 BENCH_RUNS=1 bash bench/batch.sh    # quick look
#   IMGPOOL=/tmp/bench-build/imgpool BENCH_PROFILE=1 bash bench/batch.sh
#
# Settings (environment):
#   IMGPOOL        binary to measure (default: build/imgpool of this checkout)
#   BENCH_COUNT    images in the set (default 200)
#   BENCH_SIZE     WxH of each image (default 1920x1080)
#   BENCH_RUNS     timed runs per row; the table shows the best and the median (default 3)
#   BENCH_PYTHON   Python with cv2 and numpy (default /usr/bin/python3, Debian's)
#   BENCH_PROFILE  1: afterwards, where imgpool's time goes per image at -j1
#   BENCH_TMPDIR   where the temporary set and outputs go (default: $TMPDIR or /tmp)
#   BENCH_NICE     run at this niceness, e.g. -10 (root) on a machine others are using
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly COUNT=${BENCH_COUNT:-200}
readonly SIZE=${BENCH_SIZE:-1920x1080}
readonly RUNS=${BENCH_RUNS:-3}
readonly PROFILE=${BENCH_PROFILE:-0}
readonly PY=${BENCH_PYTHON:-/usr/bin/python3}
readonly QUALITY=90
readonly WORKERS=2
IMGPOOL_SRC=${IMGPOOL:-$ROOT/build/imgpool}

die() { echo "batch.sh: $*" >&2; exit 2; }
note() { echo "  note: $*"; }
[[ $COUNT =~ ^[1-9][0-9]*$ ]] || die "BENCH_COUNT must be a positive integer, not '$COUNT'"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, not '$RUNS'"
[[ $SIZE =~ ^([1-9][0-9]*)x([1-9][0-9]*)$ ]] || die "BENCH_SIZE must be WxH, not '$SIZE'"
readonly W=${BASH_REMATCH[1]} H=${BASH_REMATCH[2]}
((W >= 2 && H >= 2)) || die "BENCH_SIZE must be at least 2x2"
[[ -x $IMGPOOL_SRC ]] || die "no imgpool binary at $IMGPOOL_SRC (build it, or set IMGPOOL)"
if [[ -n ${BENCH_NICE:-} ]]; then
    [[ $BENCH_NICE =~ ^-?[0-9]+$ ]] || die "BENCH_NICE must be an integer, not '$BENCH_NICE'"
    renice -n "$BENCH_NICE" -p $$ >/dev/null || die "cannot renice to $BENCH_NICE"  # children inherit it
fi

WORK=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/imgpool-bench.XXXXXX")
readonly WORK
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
readonly IN=$WORK/in
mkdir -p "$IN" "$WORK/bin" "$WORK/log"

have() { command -v "$1" >/dev/null 2>&1; }
have_py_cv2() { have "$PY" && "$PY" -c 'import cv2, numpy' >/dev/null 2>&1; }

# Others may rebuild build/imgpool while this runs: measure a copy, so every run of
# every row uses the same binary (its libraries are the system's).
cp "$IMGPOOL_SRC" "$WORK/bin/imgpool"
IMGPOOL_BIN=$WORK/bin/imgpool
"$IMGPOOL_BIN" --version >/dev/null 2>&1 || IMGPOOL_BIN=$IMGPOOL_SRC

# ---- Python helper: generate the set, the cv2 peer, the floor, per-stage timings ----
cp "$ROOT/bench/photo.py" "$WORK/photo.py"  # the image generator, shared with bench/process.sh
cat >"$WORK/helper.py" <<'PY'
import os, sys, time
import cv2
import numpy as np

from photo import photo  # bench/photo.py, copied beside this helper

Q = [cv2.IMWRITE_JPEG_QUALITY, 90]


def gen_one(args):
    i, out, w, h = args
    if not cv2.imwrite(os.path.join(out, f"img_{i:04d}.jpg"), photo(i, w, h), Q):
        raise RuntimeError(f"cannot write image {i}")


# The per-file jobs of the peers. Each worker process is single-threaded in OpenCV,
# as imgpool is at -j2 (it sets cv::setNumThreads(cores / jobs)).
def job_resize(paths):  # the Python peer: decode, INTER_AREA to half size (2x2 mean), encode
    src, dst = paths
    img = cv2.imread(src, cv2.IMREAD_COLOR)
    h, w = img.shape[:2]
    small = cv2.resize(img, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    if not cv2.imwrite(dst, small, Q):
        raise RuntimeError(f"cannot write {dst}")


def job_floor(paths):  # decode the whole file, encode as many pixels as the result has, no pooling
    src, dst = paths
    img = cv2.imread(src, cv2.IMREAD_COLOR)
    h, w = img.shape[:2]
    if not cv2.imwrite(dst, np.ascontiguousarray(img[: h // 2, : w // 2]), Q):
        raise RuntimeError(f"cannot write {dst}")


def job_recode(paths):  # decode and re-encode the whole file, no pooling
    src, dst = paths
    if not cv2.imwrite(dst, cv2.imread(src, cv2.IMREAD_COLOR), Q):
        raise RuntimeError(f"cannot write {dst}")


def one_thread():
    cv2.setNumThreads(1)


def batch(job, src, dst, workers):
    import multiprocessing as mp
    names = sorted(n for n in os.listdir(src) if n.endswith(".jpg"))
    pairs = [(os.path.join(src, n), os.path.join(dst, n)) for n in names]
    pool = mp.Pool(workers, initializer=one_thread)
    for _ in pool.imap_unordered(job, pairs, chunksize=4):
        pass
    pool.close()
    pool.join()


def stages(src):
    """Per-image CPU time of each step in one process, one OpenCV thread, with the same
    libjpeg (libjpeg62-turbo) imgpool links. CPU time, not wall: other load hardly moves it."""
    cv2.setNumThreads(1)
    names = sorted(n for n in os.listdir(src) if n.endswith(".jpg"))
    t = dict(read=0.0, decode=0.0, pool=0.0, encode=0.0)
    for n in names:
        t0 = time.thread_time()
        with open(os.path.join(src, n), "rb") as f:
            data = np.frombuffer(f.read(), np.uint8)
        t1 = time.thread_time()
        img = cv2.imdecode(data, cv2.IMREAD_COLOR)
        t2 = time.thread_time()
        small = cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA)
        t3 = time.thread_time()
        ok, _ = cv2.imencode(".jpg", small, Q)
        t4 = time.thread_time()
        t["read"] += t1 - t0
        t["decode"] += t2 - t1
        t["pool"] += t3 - t2
        t["encode"] += t4 - t3
    for k, v in t.items():
        print(f"{k} {1000 * v / len(names):.2f}")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "gen":
        import multiprocessing as mp
        out, n, w, h, workers = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
        pool = mp.Pool(workers)
        pool.map(gen_one, [(i, out, w, h) for i in range(n)], chunksize=1)
        pool.close()
        pool.join()
    elif mode == "stages":
        stages(sys.argv[2])
    else:
        jobs = dict(resize=job_resize, floor=job_floor, recode=job_recode)
        batch(jobs[mode], sys.argv[2], sys.argv[3], int(sys.argv[4]))
PY

# ---- The set ----
echo "imgpool batch benchmark: $COUNT JPEGs of ${W}x$H, quality $QUALITY; $WORKERS workers; $(nproc) cores"
echo "  binary: $IMGPOOL_SRC ($("$IMGPOOL_BIN" --version 2>&1 | awk 'NR == 1'), sha256 $(sha256sum "$IMGPOOL_BIN" | cut -c1-12), built $(date -r "$IMGPOOL_SRC" '+%F %T %Z'); checkout at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
t0=$(date +%s.%N)
if have_py_cv2; then
    "$PY" "$WORK/helper.py" gen "$IN" "$COUNT" "$W" "$H" "$WORKERS"
    gen_how="$PY + cv2/numpy, seeded"
elif have convert && have identify; then  # identify: not just a stand-in named convert
    # Fallback: ImageMagick's seeded plasma (smooth colour fields) plus Gaussian noise.
    for ((i = 0; i < COUNT; i++)); do
        printf -v name 'img_%04d.jpg' "$i"
        convert -seed "$((20240 + i))" -size "${W}x$H" plasma:fractal -blur 0x1 \
            -attenuate 0.15 +noise Gaussian -sampling-factor 2x2 -quality "$QUALITY" "$IN/$name"
    done
    gen_how="ImageMagick plasma + noise, seeded"
else
    die "need $PY with cv2 and numpy, or ImageMagick's convert, to make the test images"
fi
t1=$(date +%s.%N)
set_bytes=$(du -cb "$IN"/*.jpg | tail -n1 | cut -f1)
awk -v b="$set_bytes" -v n="$COUNT" -v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" -v how="$gen_how" \
    'BEGIN { printf "  set: %d files, %.1f MB (%.0f KB each), made in %.1f s with %s\n", n, b/1e6, b/n/1024, s, how }'
cat "$IN"/*.jpg >/dev/null  # in the page cache for every row alike

# ---- Timing ----
# Each row is a bash function taking a fresh, empty output directory (called through FN).
export IMGPOOL_BIN IN PY WORK QUALITY WORKERS
row_imgpool_j1() { "$IMGPOOL_BIN" "$IN" -o "$1" -t avg -k 2 --quality "$QUALITY" -q -j 1; }
row_imgpool_j2() { "$IMGPOOL_BIN" "$IN" -o "$1" -t avg -k 2 --quality "$QUALITY" -q -j "$WORKERS"; }
row_python() { "$PY" "$WORK/helper.py" resize "$IN" "$1" "$WORKERS"; }
row_vips() {
    # One vips process per file (VIPS_CONCURRENCY=1: one thread each), subsample_mode=on:
    # 4:2:0 chroma like the others (vips turns it off at Q >= 90 otherwise).
    VIPS_CONCURRENCY=1 parallel --will-cite -j "$WORKERS" --halt now,fail=1 \
        vips shrink {} "$1/{/}[Q=$QUALITY,subsample_mode=on]" 2 2 ::: "$IN"/*.jpg
}
row_magick() {
    # -X: the files split evenly over $WORKERS mogrify processes, one thread each;
    # 4:2:0 chroma like the others.
    parallel --will-cite -j "$WORKERS" -X --halt now,fail=1 \
        mogrify -limit thread 1 -path "$1" -quality "$QUALITY" -sampling-factor 2x2 -scale 50% ::: "$IN"/*.jpg
}
row_floor() { "$PY" "$WORK/helper.py" floor "$IN" "$1" "$WORKERS"; }
row_recode() { "$PY" "$WORK/helper.py" recode "$IN" "$1" "$WORKERS"; }
export -f row_imgpool_j1 row_imgpool_j2 row_python row_vips row_magick row_floor row_recode

# shellcheck source=bench/timing.sh
source "$ROOT/bench/timing.sh"

declare -A FN RUNLOG BEST MEDIAN CPU BG OUTKB STATUS
ORDER=()
add() { ORDER+=("$1"); FN[$1]=$2; STATUS[$1]=ok; }     # add KEY FUNCTION: a row to time
skip() { ORDER+=("$1"); STATUS[$1]="skipped: $2"; }  # skip KEY REASON
failed() { STATUS[$1]="failed (log: $(tail -n 3 "$WORK/log/$1" | tr '\n' ' '))"; }

# run_once KEY: one timed run of the row into a fresh output directory; appends the
# wall time, the CPU time of all its processes and the other processes' load.
run_once() {
    local key=$1 fn=${FN[$1]} out=$WORK/out.$1 wall cpu bg made
    rm -rf "$out" && mkdir -p "$out"
    if have hyperfine; then
        if ! hyperfine --shell=bash --style none --runs 1 --export-json "$WORK/$key.json" \
            "$fn '$out'" >"$WORK/log/$key" 2>&1; then
            failed "$key"
            return 0
        fi
        read -r wall cpu < <("$(have "$PY" && echo "$PY" || echo python3)" -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(r["times"][0], r["user"] + r["system"])' "$WORK/$key.json")
        bg=n/a
    else
        local c0 c1 b0 b1 t0 t1
        children_cpu c0
        b0=$(busy_jiffies) t0=$(date +%s.%N)
        if ! "$fn" "$out" >"$WORK/log/$key" 2>&1; then
            failed "$key"
            return 0
        fi
        t1=$(date +%s.%N) b1=$(busy_jiffies)
        children_cpu c1
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
        cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')
        # Other processes' CPU during the run, as a share of the machine's cores.
        bg=$(awk -v a="$b0" -v b="$b1" -v c="$cpu" -v t="$wall" -v hz="$TICK" -v n="$(nproc)" \
            'BEGIN { o = (b - a) / hz - c; if (o < 0) o = 0; printf "%.0f", 100 * o / (t * n) }')
    fi
    made=$(find "$out" -type f -name '*.jpg' | wc -l)
    if ((made != COUNT)); then
        STATUS[$key]="failed: wrote $made of $COUNT files"
        return 0
    fi
    OUTKB[$key]=$(du -cb "$out" | tail -n1 | awk -v n="$COUNT" '{ printf "%.0f", $1 / n / 1024 }')
    RUNLOG[$key]+="$wall $cpu $bg"$'\n'
    rm -rf "$out"
}

# Row after row within a round, RUNS rounds: a burst of other load falls on several rows
# rather than on every run of one row.
run_all() {
    local r key
    for ((r = 1; r <= RUNS; r++)); do
        for key in "${ORDER[@]}"; do
            if [[ ${STATUS[$key]} == ok ]]; then run_once "$key"; fi
        done
    done
    for key in "${ORDER[@]}"; do
        [[ ${STATUS[$key]} == ok ]] || continue
        # The best run's wall time, CPU time and other load; the median wall time.
        read -r "BEST[$key]" "CPU[$key]" "BG[$key]" < <(printf '%s' "${RUNLOG[$key]}" | sort -g | awk 'NR == 1')
        MEDIAN[$key]=$(printf '%s' "${RUNLOG[$key]}" | sort -g |
            awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    done
}

declare -A LABEL=(
    [imgpool-j1]="imgpool -j1"
    [imgpool-j2]="imgpool -j2"
    [python]="python cv2 INTER_AREA, Pool(2)"
    [vips]="vips shrink 2 2, parallel -j2"
    [magick]="mogrify -scale 50%, parallel -j2 -X"
    [floor]="floor: decode + encode, Pool(2)"
    [recode]="(info) full re-encode, Pool(2)"
)

echo "  timing: best of $RUNS runs (rounds over the rows) with $(have hyperfine && echo hyperfine || echo 'bash date +%s.%N'), niceness $(nice); load before start: $(cut -d' ' -f1-3 /proc/loadavg)"
add imgpool-j1 row_imgpool_j1
add imgpool-j2 row_imgpool_j2
if have_py_cv2; then add python row_python; else skip python "$PY with cv2 and numpy not found"; fi
if ! have parallel; then skip vips "GNU parallel not found"; elif ! have vips; then skip vips "vips not found (apt-get install libvips-tools)"; else add vips row_vips; fi
if ! have parallel; then skip magick "GNU parallel not found"; elif ! have mogrify; then skip magick "mogrify not found (apt-get install imagemagick)"; else add magick row_magick; fi
if have_py_cv2; then add floor row_floor; add recode row_recode; else skip floor "$PY with cv2 and numpy not found"; skip recode "$PY with cv2 and numpy not found"; fi
run_all

# ---- Table ----
ips() { awk -v n="$COUNT" -v s="$1" 'BEGIN { printf "%.1f", n / s }'; }
echo
printf '%-36s %8s %8s %9s %11s %7s %8s\n' "row" "best s" "median s" "images/s" "CPU ms/img" "out KB" "bg load"
for key in "${ORDER[@]}"; do
    if [[ ${STATUS[$key]} == ok ]]; then
        printf '%-36s %8.2f %8.2f %9s %11.1f %7s %8s\n' "${LABEL[$key]}" "${BEST[$key]}" "${MEDIAN[$key]}" \
            "$(ips "${BEST[$key]}")" "$(awk -v c="${CPU[$key]}" -v n="$COUNT" 'BEGIN { print 1000 * c / n }')" \
            "${OUTKB[$key]}" "${BG[$key]}$([[ ${BG[$key]} == n/a ]] || echo %)"
    else
        printf '%-36s %s\n' "${LABEL[$key]}" "${STATUS[$key]}"
    fi
done

busy=0
for key in "${ORDER[@]}"; do
    [[ ${STATUS[$key]} == ok && ${BG[$key]} != n/a ]] && ((BG[$key] > 10)) && busy=1
done
((busy == 0)) || note "other processes used over 10% of the cores during some best runs (bg load): those rows are slowed by them"

# ---- Ratios (throughput of imgpool -j2 over the other row; best runs) ----
echo
ratio() {  # ratio LABEL NUM DEN TARGET
    local num=$2 den=$3 target=$4
    if [[ ${STATUS[$num]} != ok || ${STATUS[$den]} != ok ]]; then
        printf '%-27s %s\n' "$1" "n/a (a row did not run)"
        return 0
    fi
    awk -v l="$1" -v a="${BEST[$num]}" -v b="${BEST[$den]}" -v ca="${CPU[$num]}" -v cb="${CPU[$den]}" -v t="$target" 'BEGIN {
        r = b / a
        printf "%-27s %6.2f   %-9s %-8s %6.2f\n", l, r, (t == "" ? "-" : ">= " t), (t == "" ? "" : r >= t ? "met" : "MISSED"), cb / ca }'
}
printf '%-27s %6s   %-9s %-8s %6s\n' "throughput ratio" "wall" "target" "" "CPU"
ratio "imgpool -j2 / imgpool -j1" imgpool-j2 imgpool-j1 1.8
ratio "imgpool -j2 / python" imgpool-j2 python 1.5
ratio "imgpool -j2 / floor" imgpool-j2 floor 0.9
ratio "imgpool -j2 / vips" imgpool-j2 vips ""
ratio "imgpool -j2 / mogrify" imgpool-j2 magick ""
echo "  (wall: images/s over images/s, best runs. CPU: the other row's CPU time per image over"
echo "  imgpool -j2's, the work each does, which other load on the machine hardly changes.)"

# ---- Where imgpool's time goes, per image at -j1 (BENCH_PROFILE=1) ----
if [[ $PROFILE == 1 ]]; then
    echo
    echo "Profile of imgpool -j1 (per image; one core where pinned):"
    children_cpu c0
    t0=$(date +%s.%N)
    for ((i = 0; i < 100; i++)); do "$IMGPOOL_BIN" --version >/dev/null; done
    t1=$(date +%s.%N)
    children_cpu c1
    awk -v a="$t0" -v b="$t1" -v c="$c0" -v d="$c1" -v l="$(ldd "$IMGPOOL_BIN" | wc -l)" 'BEGIN {
        printf "  start-up (imgpool --version x100): %.1f ms CPU per process (%.1f ms wall), %d shared libraries\n", (d - c) * 10, (b - a) * 10, l }'
    if have_py_cv2; then
        children_cpu c0
        t0=$(date +%s.%N)
        for ((i = 0; i < 10; i++)); do "$PY" -c 'import cv2, numpy, multiprocessing'; done
        t1=$(date +%s.%N)
        children_cpu c1
        awk -v a="$t0" -v b="$t1" -v c="$c0" -v d="$c1" 'BEGIN {
            printf "  for comparison, Python start-up importing cv2 and numpy: %.0f ms CPU (%.0f ms wall)\n", (d - c) * 100, (b - a) * 100 }'
    fi
    rm -rf "$WORK/out.p" && mkdir -p "$WORK/out.p"
    t0=$(date +%s.%N)
    "$IMGPOOL_BIN" "$IN" -o "$WORK/out.p" -t avg -k 2 --quality "$QUALITY" -q -j 1 --dry-run >/dev/null
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v n="$COUNT" 'BEGIN { printf "  --dry-run over the set (start-up, listing, naming): %.0f ms in all\n", (b - a) * 1000 }'
    pin=()
    have taskset && pin=(taskset -c 0)
    rm -rf "$WORK/out.p" && mkdir -p "$WORK/out.p"
    children_cpu c0
    t0=$(date +%s.%N)
    "${pin[@]}" "$IMGPOOL_BIN" "$IN" -o "$WORK/out.p" -t avg -k 2 --quality "$QUALITY" -q -j 1
    t1=$(date +%s.%N)
    children_cpu c1
    awk -v a="$t0" -v b="$t1" -v c="$c0" -v d="$c1" -v n="$COUNT" -v p="${pin[*]:-not pinned}" \
        'BEGIN { printf "  imgpool -j1 (%s): %.1f ms CPU per image (%.1f ms wall)\n", p, (d - c) * 1000 / n, (b - a) * 1000 / n }'
    if have_py_cv2; then
        echo "  the same steps in cv2 (same libjpeg62-turbo), one process, one thread, ms CPU per image:"
        "${pin[@]}" "$PY" "$WORK/helper.py" stages "$IN" | awk '{ printf "    %-7s %6.2f\n", $1, $2 }'
    fi
    if have perf && rm -rf "$WORK/out.p" && mkdir -p "$WORK/out.p" &&
        perf record -q -F 999 -o "$WORK/perf.data" -- "${pin[@]}" "$IMGPOOL_BIN" "$IN" -o "$WORK/out.p" \
            -t avg -k 2 --quality "$QUALITY" -q -j 1 >/dev/null 2>&1; then
        echo "  perf record, samples by library:"
        { perf report -i "$WORK/perf.data" --no-children --sort dso -g none --stdio 2>/dev/null |
            awk '/^ +[0-9]/ && n++ < 6 { sub(/^ */, "    "); print }'; } || true
        echo "  perf record, top functions:"
        { perf report -i "$WORK/perf.data" --no-children --sort dso,sym -g none --stdio 2>/dev/null |
            awk '/^ +[0-9]/ && n++ < 8 { sub(/^ */, "    "); print substr($0, 1, 150) }'; } || true
    else
        note "perf not available or not permitted: no sample profile"
    fi
fi

for key in imgpool-j1 imgpool-j2; do [[ ${STATUS[$key]} == ok ]] || exit 1; done
exit 0
