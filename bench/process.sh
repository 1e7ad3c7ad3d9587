#!/usr/bin/env bash
# shellcheck disable=SC2317  # the row_* functions are called through FN[]
# Whole-process costs of imgpool against peers measured in the same run: what a user pays per
# command, start-up and codecs included. Opt-in benchmark, not part of the test suite. See
# bench/README.md; bench/all.sh runs it with the other benchmarks.
#
#   1. one 4K photo as JPEG (q90) and as PNG, `imgpool IN -t max -k 2 -o OUT`, against a minimal
#      OpenCV program, vips shrink, ImageMagick convert and the codec floor; peak memory;
#   2. start-up: imgpool --version, a 64x64 PNG, a 64x64 .npy: ms per process, libraries;
#   3. a shell loop starting one process per small PNG: imgpool against convert.
#
#   bash bench/process.sh                                   # best of 5, ~2-3 min on 2 cores
#   BENCH_RUNS=2 BENCH_STARTUP_RUNS=20 BENCH_LOOP_FILES=20 bash bench/process.sh   # quick look
#   IMGPOOL=/tmp/b/imgpool BENCH_TOOLS=/tmp/b/bench BENCH_MARKDOWN=out.md bash bench/process.sh
#
# Settings (environment):
#   IMGPOOL             binary to measure (default: build/imgpool of this checkout)
#   BENCH_TOOLS         directory with imgpool_min_opencv and imgpool_codec_floor (built by
#                       -DIMGPOOL_BUILD_BENCH=ON; default: build/bench); rows skipped if missing
#   BENCH_RUNS          timed runs of each file and loop row; best and median shown (default 5)
#   BENCH_STARTUP_RUNS  processes per start-up row (default 100)
#   BENCH_LOOP_FILES    small PNGs (256x256) in the per-file loop (default 100)
#   BENCH_PNG_LEVEL     zlib level for the same-level PNG rows, when imgpool has
#                       --png-compression (default 6, zlib's and vips' default)
#   BENCH_SIZE          WxH of the photo (default 3840x2160)
#   BENCH_PYTHON        Python with cv2 and numpy, to make the inputs (default /usr/bin/python3)
#   BENCH_CONVERT       ImageMagick's convert (default: convert-im6.q16, else convert)
#   BENCH_TMPDIR        where the temporary files go (default: $TMPDIR or /tmp)
#   BENCH_NICE          run at this niceness, e.g. -10 (root)
#   BENCH_MARKDOWN      also write the tables as Markdown to this file
#
# Exit status: 0 when every imgpool row ran (whether or not the targets were met), 1 when an
# imgpool row failed, 2 for a bad setting or a missing requirement. Peers are optional: a
# missing or failing peer is reported and never fails the script.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly RUNS=${BENCH_RUNS:-5}
readonly STARTUP_RUNS=${BENCH_STARTUP_RUNS:-100}
readonly LOOP_FILES=${BENCH_LOOP_FILES:-100}
readonly PNG_LEVEL=${BENCH_PNG_LEVEL:-6}
readonly SIZE=${BENCH_SIZE:-3840x2160}
readonly PY=${BENCH_PYTHON:-/usr/bin/python3}
readonly MD=${BENCH_MARKDOWN:-}
readonly QUALITY=90
IMGPOOL_SRC=${IMGPOOL:-$ROOT/build/imgpool}
TOOLS=${BENCH_TOOLS:-$ROOT/build/bench}

die() { echo "process.sh: $*" >&2; exit 2; }
have() { command -v "$1" >/dev/null 2>&1; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }  # calc EXPR: arithmetic on our own numbers
posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, not '$2'"; }
posint BENCH_RUNS "$RUNS"
posint BENCH_STARTUP_RUNS "$STARTUP_RUNS"
posint BENCH_LOOP_FILES "$LOOP_FILES"
[[ $PNG_LEVEL =~ ^[0-9]$ ]] || die "BENCH_PNG_LEVEL must be 0..9, not '$PNG_LEVEL'"
[[ $SIZE =~ ^([1-9][0-9]*)x([1-9][0-9]*)$ ]] || die "BENCH_SIZE must be WxH, not '$SIZE'"
readonly W=${BASH_REMATCH[1]} H=${BASH_REMATCH[2]}
((W >= 64 && H >= 64)) || die "BENCH_SIZE must be at least 64x64"
[[ -x $IMGPOOL_SRC ]] || die "no imgpool binary at $IMGPOOL_SRC (build it, or set IMGPOOL)"
if ! { have "$PY" && "$PY" -c 'import cv2, numpy' 2>/dev/null; }; then
    die "need $PY with cv2 and numpy to make the inputs (apt-get install python3-opencv python3-numpy)"
fi
if [[ -n ${BENCH_NICE:-} ]]; then
    [[ $BENCH_NICE =~ ^-?[0-9]+$ ]] || die "BENCH_NICE must be an integer, not '$BENCH_NICE'"
    renice -n "$BENCH_NICE" -p $$ >/dev/null || die "cannot renice to $BENCH_NICE"  # children inherit it
fi
# The real ImageMagick: a wrapper script named convert earlier on the PATH would add its own
# start-up to every call of the per-file loop.
MAGICK=${BENCH_CONVERT:-$(command -v convert-im6.q16 || command -v convert || true)}

WORK=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/imgpool-process.XXXXXX")
readonly WORK
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/bin" "$WORK/in/small" "$WORK/log" "$WORK/t"

# Others may rebuild the binaries while this runs: measure copies, the same in every run.
cp "$IMGPOOL_SRC" "$WORK/bin/imgpool"
IMGPOOL_BIN=$WORK/bin/imgpool
MIN_OPENCV="" FLOOR=""
if [[ -x $TOOLS/imgpool_min_opencv ]]; then cp "$TOOLS/imgpool_min_opencv" "$WORK/bin/" && MIN_OPENCV=$WORK/bin/imgpool_min_opencv; fi
if [[ -x $TOOLS/imgpool_codec_floor ]]; then cp "$TOOLS/imgpool_codec_floor" "$WORK/bin/" && FLOOR=$WORK/bin/imgpool_codec_floor; fi
"$IMGPOOL_BIN" --version >/dev/null 2>&1 || die "$IMGPOOL_SRC --version fails"

# A binary with native codecs takes --png-compression N; today's writes what OpenCV writes
# when given no level: zlib level 1, Z_RLE, the Sub filter.
# (grep without -q: -q stops reading early, and pipefail would then see --help's SIGPIPE.)
if "$IMGPOOL_BIN" --help 2>&1 | grep -- '--png-compression' >/dev/null; then
    HAVE_PNG_LEVEL=1 LV=$PNG_LEVEL
else
    HAVE_PNG_LEVEL=0 LV=1  # the peers at level 1: the nearest to what imgpool writes
fi

# ---- Header and inputs ----
echo "imgpool whole-process benchmark: a ${W}x$H photo as JPEG q$QUALITY and PNG; start-up; a per-file loop"
bash "$ROOT/bench/machine.sh" "$IMGPOOL_SRC" | sed 's/^/  /'
echo "  checkout: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' with uncommitted changes')"
echo "  timing: best and median of $RUNS runs (rounds over the rows), bash \$EPOCHREALTIME; start-up:" \
    "$(have hyperfine && echo "hyperfine -N, $STARTUP_RUNS runs" || echo "$STARTUP_RUNS runs, bash \$EPOCHREALTIME"); niceness $(nice)"
if ((HAVE_PNG_LEVEL)); then
    echo "  PNG: imgpool has --png-compression; the same-level rows use zlib level $LV"
else
    echo "  PNG: imgpool has no --png-compression (it writes zlib level 1, Z_RLE, Sub filter, as OpenCV);" \
        "the peers' same-level rows use level 1"
fi

readonly JPG=$WORK/in/photo.jpg PNG=$WORK/in/photo.png SMALL=$WORK/in/small
t0=$EPOCHREALTIME
cp "$ROOT/bench/photo.py" "$WORK/photo.py"
# Picture numbers far from batch.sh's (0, 1, ...), fixed: the same bytes on every run.
"$PY" "$WORK/photo.py" "$JPG" "$W" "$H" 1000 "$QUALITY" &
"$PY" "$WORK/photo.py" "$PNG" "$W" "$H" 1001 &
"$PY" "$WORK/photo.py" "$WORK/in/tiny.png" 64 64 1002
"$PY" "$WORK/photo.py" "$WORK/in/tiny.npy" 64 64 1002
"$PY" "$WORK/photo.py" --many "$SMALL" "$LOOP_FILES" 256 256 2000 png
wait
kb() { du -k "$1" | cut -f1; }
printf '  inputs: JPEG %s KB, PNG %s KB, %d PNGs of 256x256 (%s KB), made in %.1f s with bench/photo.py\n' \
    "$(kb "$JPG")" "$(kb "$PNG")" "$LOOP_FILES" "$(du -sk "$SMALL" | cut -f1)" "$(calc "$EPOCHREALTIME - $t0")"
cat "$JPG" "$PNG" "$WORK"/in/tiny.* "$SMALL"/* >/dev/null  # in the page cache for every row alike
echo

# ---- Rows ----
# A file row is a function ROW OUTDIR [PREFIX...]: PREFIX (e.g. /usr/bin/time ...) goes
# before the one command, so the memory pass measures that command and nothing else.
export IMGPOOL_BIN MIN_OPENCV FLOOR MAGICK JPG PNG SMALL QUALITY LV PNG_LEVEL
IM_JPG=(-quality "$QUALITY" -sampling-factor 2x2)  # ImageMagick's JPEG output as the others': q90, 4:2:0
IM_PNG=(-define "png:compression-level=$LV")
row_jpg_imgpool() { local o=$1; shift; "$@" "$IMGPOOL_BIN" "$JPG" -t max -k 2 --quality "$QUALITY" -o "$o/out.jpg"; }
row_jpg_minocv() { local o=$1; shift; "$@" "$MIN_OPENCV" "$JPG" "$o/out.jpg" "$QUALITY"; }
# vips turns 4:2:0 off at Q >= 90 unless told; its default threads (one per core).
row_jpg_vips() { local o=$1; shift; "$@" vips shrink "$JPG" "$o/out.jpg[Q=$QUALITY,subsample_mode=on]" 2 2; }
row_jpg_scale1() { local o=$1; shift; "$@" "$MAGICK" -limit thread 1 "$JPG" -scale 50% "${IM_JPG[@]}" "$o/out.jpg"; }
row_jpg_scale() { local o=$1; shift; "$@" "$MAGICK" "$JPG" -scale 50% "${IM_JPG[@]}" "$o/out.jpg"; }
row_jpg_stat1() { local o=$1; shift; "$@" "$MAGICK" -limit thread 1 "$JPG" -statistic Maximum 2x2 -sample 50% "${IM_JPG[@]}" "$o/out.jpg"; }
row_jpg_stat() { local o=$1; shift; "$@" "$MAGICK" "$JPG" -statistic Maximum 2x2 -sample 50% "${IM_JPG[@]}" "$o/out.jpg"; }
row_jpg_floor() { local o=$1; shift; "$@" "$FLOOR" "$JPG" "$o/out.jpg" "$QUALITY"; }
row_png_imgpool() { local o=$1; shift; "$@" "$IMGPOOL_BIN" "$PNG" -t max -k 2 -o "$o/out.png"; }
row_png_imgpool_lv() { local o=$1; shift; "$@" "$IMGPOOL_BIN" "$PNG" -t max -k 2 --png-compression "$LV" -o "$o/out.png"; }
row_png_minocv() { local o=$1; shift; "$@" "$MIN_OPENCV" "$PNG" "$o/out.png"; }
row_png_minocv_lv() { local o=$1; shift; "$@" "$MIN_OPENCV" "$PNG" "$o/out.png" "$QUALITY" "$LV"; }
row_png_vips_lv() { local o=$1; shift; "$@" vips shrink "$PNG" "$o/out.png[compression=$LV]" 2 2; }
row_png_vips() { local o=$1; shift; "$@" vips shrink "$PNG" "$o/out.png" 2 2; }
row_png_scale1() { local o=$1; shift; "$@" "$MAGICK" -limit thread 1 "$PNG" -scale 50% "${IM_PNG[@]}" "$o/out.png"; }
row_png_scale() { local o=$1; shift; "$@" "$MAGICK" "$PNG" -scale 50% "${IM_PNG[@]}" "$o/out.png"; }
row_png_stat1() { local o=$1; shift; "$@" "$MAGICK" -limit thread 1 "$PNG" -statistic Maximum 2x2 -sample 50% "${IM_PNG[@]}" "$o/out.png"; }
row_png_stat() { local o=$1; shift; "$@" "$MAGICK" "$PNG" -statistic Maximum 2x2 -sample 50% "${IM_PNG[@]}" "$o/out.png"; }
# The floor writes what imgpool writes: level LV when imgpool takes one, else OpenCV's choice.
row_png_floor() { local o=$1; shift; "$@" "$FLOOR" "$PNG" "$o/out.png" "$QUALITY" "$( ((HAVE_PNG_LEVEL)) && echo "$LV" || echo -1)"; }
# The per-file loops: one process per file, as a user's shell loop would.
row_loop_imgpool() { local f; for f in "$SMALL"/*.png; do "$IMGPOOL_BIN" "$f" -t max -k 2 -o "$1/${f##*/}"; done; }
row_loop_convert() { local f; for f in "$SMALL"/*.png; do "$MAGICK" "$f" -scale 50% "$1/${f##*/}"; done; }
row_loop_batch() { "$IMGPOOL_BIN" "$SMALL" -o "$1" -t max -k 2 -q; }

declare -A FN LABEL STATUS EXPECT RUNLOG BEST MEDIAN CPU BG MEM OUTKB
ORDER=()
# add KEY LABEL FUNCTION FILES: a row to time, which must write FILES files; skip KEY LABEL WHY.
add() { ORDER+=("$1"); LABEL[$1]=$2; FN[$1]=$3; EXPECT[$1]=$4; STATUS[$1]=ok; }
skip() { ORDER+=("$1"); LABEL[$1]=$2; STATUS[$1]="skipped: $3"; }
# peer KEY LABEL FUNCTION TOOL [WHY]: a peer row if TOOL (a command or a file) is there.
usable() { [[ -n $1 ]] && { [[ -x $1 ]] || have "$1"; }; }
peer() { if usable "$4"; then add "$1" "$2" "$3" 1; else skip "$1" "$2" "${5:-$4 not found}"; fi; }
nomagick="ImageMagick's convert not found (apt-get install imagemagick)"
novips="vips not found (apt-get install libvips-tools)"
notool="not built (cmake -DIMGPOOL_BUILD_BENCH=ON, ninja bench_tools; or set BENCH_TOOLS)"

add jpg-imgpool "imgpool -t max -k 2" row_jpg_imgpool 1
peer jpg-minocv "minimal OpenCV program" row_jpg_minocv "$MIN_OPENCV" "imgpool_min_opencv $notool"
peer jpg-vips "vips shrink 2 2" row_jpg_vips vips "$novips"
peer jpg-scale1 "convert -scale 50%, 1 thread" row_jpg_scale1 "$MAGICK" "$nomagick"
peer jpg-scale "convert -scale 50%" row_jpg_scale "$MAGICK" "$nomagick"
peer jpg-stat1 "convert -statistic Max 2x2 -sample, 1 thread" row_jpg_stat1 "$MAGICK" "$nomagick"
peer jpg-stat "convert -statistic Max 2x2 -sample" row_jpg_stat "$MAGICK" "$nomagick"
peer jpg-floor "floor: libjpeg decode + encode" row_jpg_floor "$FLOOR" "imgpool_codec_floor $notool"
add png-imgpool "imgpool -t max -k 2" row_png_imgpool 1
if ((HAVE_PNG_LEVEL)); then add png-imgpool-lv "imgpool --png-compression $LV" row_png_imgpool_lv 1; fi
peer png-minocv "minimal OpenCV program" row_png_minocv "$MIN_OPENCV" "imgpool_min_opencv $notool"
if ((HAVE_PNG_LEVEL)); then
    peer png-minocv-lv "minimal OpenCV program, level $LV" row_png_minocv_lv "$MIN_OPENCV" "imgpool_min_opencv $notool"
fi
peer png-vips-lv "vips shrink 2 2 [compression=$LV]" row_png_vips_lv vips "$novips"
if ((LV != 6)); then peer png-vips "vips shrink 2 2 (default: level 6)" row_png_vips vips "$novips"; fi
peer png-scale1 "convert -scale 50%, 1 thread, level $LV" row_png_scale1 "$MAGICK" "$nomagick"
peer png-scale "convert -scale 50%, level $LV" row_png_scale "$MAGICK" "$nomagick"
peer png-stat1 "convert -statistic Max 2x2 -sample, 1 thread" row_png_stat1 "$MAGICK" "$nomagick"
peer png-stat "convert -statistic Max 2x2 -sample" row_png_stat "$MAGICK" "$nomagick"
peer png-floor "floor: libpng decode + encode" row_png_floor "$FLOOR" "imgpool_codec_floor $notool"
add loop-imgpool "for f in *.png: imgpool" row_loop_imgpool "$LOOP_FILES"
if usable "$MAGICK"; then add loop-convert "for f in *.png: convert -scale 50%" row_loop_convert "$LOOP_FILES"
else skip loop-convert "for f in *.png: convert -scale 50%" "$nomagick"; fi
add loop-batch "(info) one imgpool process, all files" row_loop_batch "$LOOP_FILES"

# ---- Timing ----
# shellcheck source=bench/timing.sh
source "$ROOT/bench/timing.sh"
failed() { STATUS[$1]="failed (log: $(tail -n 3 "$WORK/log/$1" | tr '\n' ' '))"; }

# run_once KEY: one timed run into a fresh output directory; appends "wall cpu bg" seconds.
run_once() {
    local key=$1 out=$WORK/out.$1 c0 c1 b0 b1 t0 t1 made wall cpu
    rm -rf "$out" && mkdir -p "$out"
    children_cpu c0
    b0=$(busy_jiffies) t0=$EPOCHREALTIME
    if ! "${FN[$key]}" "$out" >"$WORK/log/$key" 2>&1; then failed "$key"; return 0; fi
    t1=$EPOCHREALTIME b1=$(busy_jiffies)
    children_cpu c1
    made=$(find "$out" -type f | wc -l)
    if ((made != EXPECT[$key])); then STATUS[$key]="failed: wrote $made of ${EXPECT[$key]} files"; return 0; fi
    OUTKB[$key]=$(du -cb "$out" | tail -n1 | awk -v n="${EXPECT[$key]}" '{ printf "%.0f", $1 / n / 1024 }')
    wall=$(calc "$t1 - $t0") cpu=$(calc "$c1 - $c0")
    # Other processes' CPU during the run, as a share of the machine's cores.
    RUNLOG[$key]+="$wall $cpu $(awk -v a="$b0" -v b="$b1" -v c="$cpu" -v t="$wall" -v hz="$TICK" -v n="$(nproc)" \
        'BEGIN { o = (b - a) / hz - c; if (o < 0) o = 0; printf "%.0f", 100 * o / (t * n) }')"$'\n'
    rm -rf "$out"
}

summarise() {  # best run's wall, CPU and bg load; median wall
    local key=$1
    read -r "BEST[$key]" "CPU[$key]" "BG[$key]" < <(printf '%s' "${RUNLOG[$key]}" | sort -g | awk 'NR == 1')
    MEDIAN[$key]=$(printf '%s' "${RUNLOG[$key]}" | sort -g |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
}

# Row after row within a round, RUNS rounds: a burst of other load falls on several rows
# rather than on every run of one. One untimed warm-up round first (page cache, ld.so cache).
echo "timing $((${#ORDER[@]})) rows, $RUNS rounds ..." >&2
for ((r = 0; r <= RUNS; r++)); do
    for key in "${ORDER[@]}"; do
        [[ ${STATUS[$key]} == ok ]] || continue
        if ((r == 0)); then
            rm -rf "$WORK/out.w" && mkdir -p "$WORK/out.w"
            "${FN[$key]}" "$WORK/out.w" >"$WORK/log/$key" 2>&1 || failed "$key"
        else
            run_once "$key"
        fi
    done
done
for key in "${ORDER[@]}"; do [[ ${STATUS[$key]} == ok ]] && summarise "$key"; done

# Peak memory: one more run of each file row under GNU time (max RSS of that one process).
if [[ -x /usr/bin/time ]]; then
    for key in "${ORDER[@]}"; do
        [[ ${STATUS[$key]} == ok && $key != loop-* ]] || continue
        rm -rf "$WORK/out.m" && mkdir -p "$WORK/out.m"
        if "${FN[$key]}" "$WORK/out.m" /usr/bin/time -f %M -o "$WORK/mem.$key" >/dev/null 2>&1; then
            MEM[$key]=$(awk 'END { printf "%.1f", $1 * 1024 / 1e6 }' "$WORK/mem.$key")
        fi
    done
    MEMNOTE=""
else
    MEMNOTE="GNU time not found (apt-get install time): no peak memory"
fi

# ---- Start-up ----
declare -A ST_LABEL ST_BEST ST_MEDIAN ST_CPU ST_LDD ST_LOADED ST_CODECS ST_STATUS ST_MEM
ST_ORDER=()
mkdir -p "$WORK/st"
# startup KEY LABEL CMD...: ms per process, CPU ms, libraries linked and loaded.
startup() {
    local key=$1 label=$2 i t0 t1 c0 c1
    shift 2
    ST_ORDER+=("$key") ST_LABEL[$key]=$label
    if ! "$@" >"$WORK/log/st.$key" 2>&1; then
        ST_STATUS[$key]="failed (log: $(tail -n 2 "$WORK/log/st.$key" | tr '\n' ' '))"
        return 0
    fi
    ST_STATUS[$key]=ok
    if have hyperfine; then
        local q=() a
        for a in "$@"; do q+=("$(printf '%q' "$a")"); done
        hyperfine -N --style none --warmup 5 --runs "$STARTUP_RUNS" --export-json "$WORK/st/$key.json" \
            -- "${q[*]}" >"$WORK/log/st.$key" 2>&1 || { ST_STATUS[$key]="failed under hyperfine"; return 0; }
        read -r "ST_BEST[$key]" "ST_MEDIAN[$key]" "ST_CPU[$key]" < <("$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(1e3 * r["min"], 1e3 * r["median"], 1e3 * (r["user"] + r["system"]))' "$WORK/st/$key.json")
    else
        : >"$WORK/st/$key.times"
        children_cpu c0
        for ((i = 0; i < STARTUP_RUNS; i++)); do
            t0=$EPOCHREALTIME
            "$@" >/dev/null 2>&1
            t1=$EPOCHREALTIME
            echo "$t0 $t1" >>"$WORK/st/$key.times"
        done
        children_cpu c1
        read -r "ST_BEST[$key]" "ST_MEDIAN[$key]" < <(awk '{ print 1e3 * ($2 - $1) }' "$WORK/st/$key.times" | sort -g |
            awk '{ v[NR] = $1 } END { print v[1], (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
        ST_CPU[$key]=$(calc "1000 * ($c1 - $c0) / $STARTUP_RUNS")
    fi
    ST_LDD[$key]=$(ldd "$1" 2>/dev/null | wc -l) || true  # ldd fails on a script
    # Peak RSS of a process that does (almost) nothing: what the libraries alone cost.
    ST_MEM[$key]=n/a
    if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M -o "$WORK/st/mem.$key" "$@" >/dev/null 2>&1; then
        ST_MEM[$key]=$(awk 'END { printf "%.1f", $1 * 1024 / 1e6 }' "$WORK/st/mem.$key")
    fi
    # What the dynamic loader really maps in this run, dlopen'ed plugins included.
    rm -f "$WORK/st/ld.$key".*
    LD_DEBUG=files LD_DEBUG_OUTPUT=$WORK/st/ld.$key "$@" >/dev/null 2>&1 || true
    # (grep on the files, not cat | grep -q: grep -q stops early and pipefail would see cat's SIGPIPE.)
    ST_LOADED[$key]=$(cat "$WORK/st/ld.$key".* 2>/dev/null | awk '/generating link map/ { n++ } END { print n + 0 }')
    if grep -qs 'file=libopencv_imgcodecs' "$WORK/st/ld.$key".*; then ST_CODECS[$key]=yes; else ST_CODECS[$key]=no; fi
}
echo "start-up rows ..." >&2
startup version "imgpool --version" "$IMGPOOL_BIN" --version
startup png "imgpool 64x64.png -o OUT.png" "$IMGPOOL_BIN" "$WORK/in/tiny.png" -t max -k 2 -o "$WORK/st/out.png" --overwrite
startup npy "imgpool 64x64.npy -o OUT.npy" "$IMGPOOL_BIN" "$WORK/in/tiny.npy" -t max -k 2 -o "$WORK/st/out.npy" --overwrite
if [[ -n $MIN_OPENCV ]]; then
    startup minocv "(info) minimal OpenCV program, 64x64.png" "$MIN_OPENCV" "$WORK/in/tiny.png" "$WORK/st/m.png"
fi
if [[ -n $FLOOR ]]; then
    startup floor "(info) codec floor, 64x64.png" "$FLOOR" "$WORK/in/tiny.png" "$WORK/st/f.png"
fi
startup true "(info) any process: /bin/true" /bin/true

# ---- Tables ----
# render text|md < TSV (first line the header): aligned columns, or a Markdown table.
render() {
    awk -F'\t' -v md="$1" '
    { for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } if (NF > nf) nf = NF }
    END {
        for (r = 1; r <= NR; r++) {
            line = ""
            for (i = 1; i <= nf; i++) {
                if (md) line = line "| " c[r, i] " "
                else line = line (i == 1 ? sprintf("%-" w[i] "s", c[r, i]) : sprintf("  %" w[i] "s", c[r, i]))
            }
            print md ? line "|" : line
            if (md && r == 1) { s = "|---"; for (i = 2; i <= nf; i++) s = s "|---:"; print s "|" }
        }
    }'
}
# emit TITLE TSV [NOTES]: the table on stdout, and in Markdown to BENCH_MARKDOWN.
emit() {
    echo "$1"
    render 0 <"$2"
    [[ -z ${3:-} ]] || printf '%s\n' "$3" | sed '/^$/d; s/^/  note: /'
    echo
    if [[ -n $MD ]]; then
        { echo "**$1**"; echo; render 1 <"$2"; [[ -z ${3:-} ]] || { echo; printf '%s\n' "$3" | sed '/^$/d; s/^/- /'; }; echo; } >>"$MD"
    fi
}
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", 1000 * s }'; }
notes_for() {  # the skipped or failed rows among KEYS, one line each
    local key
    for key in "$@"; do [[ ${STATUS[$key]} == ok ]] || echo "${LABEL[$key]}: ${STATUS[$key]}"; done
}

if [[ -n $MD ]]; then
    {
        # The run, not the machine (bench/machine.sh's other lines, in docs/performance.md's own section).
        echo "Run of \`bench/process.sh\`:"
        echo
        bash "$ROOT/bench/machine.sh" "$IMGPOOL_SRC" | grep -E '^(date|load average|imgpool):' | sed 's/^/- /'
        echo "- photo: ${W}x$H, JPEG $(kb "$JPG") KB, PNG $(kb "$PNG") KB; best and median of $RUNS runs;" \
            "start-up: $(have hyperfine && echo "hyperfine -N, $STARTUP_RUNS runs" || echo "$STARTUP_RUNS runs")"
        echo
    } >"$MD"
fi

for fmt in jpg png; do
    tsv=$WORK/t/$fmt.tsv
    printf 'row\tbest ms\tmedian ms\tCPU ms\tpeak RSS MB\tout KB\tbg load\n' >"$tsv"
    keys=()
    for key in "${ORDER[@]}"; do
        [[ $key == "$fmt"-* ]] || continue
        keys+=("$key")
        [[ ${STATUS[$key]} == ok ]] || continue
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s%%\n' "${LABEL[$key]}" "$(ms "${BEST[$key]}")" "$(ms "${MEDIAN[$key]}")" \
            "$(ms "${CPU[$key]}")" "${MEM[$key]:-n/a}" "${OUTKB[$key]}" "${BG[$key]}" >>"$tsv"
    done
    if [[ $fmt == jpg ]]; then title="A ${W}x$H photo, JPEG q$QUALITY in and out (4:2:0)"
    else title="The same photo as PNG, in and out$( ((HAVE_PNG_LEVEL)) || echo " (imgpool: OpenCV's zlib level 1, Z_RLE)")"; fi
    emit "$title" "$tsv" "$(notes_for "${keys[@]}"; [[ -z ${MEMNOTE:-} ]] || echo "$MEMNOTE")"
done

tsv=$WORK/t/startup.tsv
printf 'start-up\tbest ms\tmedian ms\tCPU ms\tpeak RSS MB\tlibraries (ldd)\tloaded\timgcodecs loaded\n' >"$tsv"
stnotes=""
for key in "${ST_ORDER[@]}"; do
    if [[ ${ST_STATUS[$key]} != ok ]]; then stnotes+="${ST_LABEL[$key]}: ${ST_STATUS[$key]}"$'\n'; continue; fi
    printf '%s\t%.1f\t%.1f\t%.1f\t%s\t%s\t%s\t%s\n' "${ST_LABEL[$key]}" "${ST_BEST[$key]}" "${ST_MEDIAN[$key]}" \
        "${ST_CPU[$key]}" "${ST_MEM[$key]}" "${ST_LDD[$key]}" "${ST_LOADED[$key]}" "${ST_CODECS[$key]}" >>"$tsv"
done
emit "Start-up: one process, ms (CPU: mean user + system)" "$tsv" "${stnotes%$'\n'}"

tsv=$WORK/t/loop.tsv
printf 'per-file loop, %s PNGs of 256x256\tbest s\tmedian s\tms per file\tCPU ms per file\tbg load\n' "$LOOP_FILES" >"$tsv"
for key in loop-imgpool loop-convert loop-batch; do
    [[ ${STATUS[$key]} == ok ]] || continue
    printf '%s\t%.2f\t%.2f\t%.1f\t%.1f\t%s%%\n' "${LABEL[$key]}" "${BEST[$key]}" "${MEDIAN[$key]}" \
        "$(calc "1000 * ${BEST[$key]} / $LOOP_FILES")" "$(calc "1000 * ${CPU[$key]} / $LOOP_FILES")" "${BG[$key]}" >>"$tsv"
done
emit "One process per file" "$tsv" "$(notes_for loop-imgpool loop-convert loop-batch)
convert writes PNG at its default (zlib level 7, adaptive filters); imgpool at its own default"

# ---- Ratios and targets ----
tsv=$WORK/t/ratios.tsv
printf 'ratio (best runs)\twall\ttarget\tverdict\tCPU\n' >"$tsv"
# ratio LABEL NUM DEN OP TARGET: NUM's time over DEN's (wall and CPU); OP is <= or >=.
ratio() {
    local label=$1 num=$2 den=$3 op=$4 target=$5
    if [[ ${STATUS[$num]:-} != ok || ${STATUS[$den]:-} != ok ]]; then
        printf '%s\tn/a\t%s\t\t\n' "$label" "${target:+$op $target}" >>"$tsv"
        return 0
    fi
    awk -v l="$label" -v a="${BEST[$num]}" -v b="${BEST[$den]}" -v ca="${CPU[$num]}" -v cb="${CPU[$den]}" \
        -v op="$op" -v t="$target" 'BEGIN {
        r = a / b
        v = t == "" ? "" : ((op == "<=" ? r <= t : r >= t) ? "met" : "MISSED")
        printf "%s\t%.2f\t%s\t%s\t%.2f\n", l, r, (t == "" ? "-" : op " " t), v, ca / cb }' >>"$tsv"
}
ratio "JPEG: imgpool / minimal OpenCV (time)" jpg-imgpool jpg-minocv "<=" 0.8
if ((HAVE_PNG_LEVEL)); then  # the target at one zlib level; each program's default for information
    ratio "PNG level $LV: imgpool / minimal OpenCV (time)" png-imgpool-lv png-minocv-lv "<=" 0.8
    ratio "PNG, each one's default: imgpool / minimal OpenCV" png-imgpool png-minocv "<=" ""
else  # both write with OpenCV's PNG settings
    ratio "PNG: imgpool / minimal OpenCV (time)" png-imgpool png-minocv "<=" 0.8
fi
ratio "JPEG: vips / imgpool (speed-up)" jpg-vips jpg-imgpool ">=" 1.6
if ((HAVE_PNG_LEVEL)); then
    ratio "PNG level $LV: vips / imgpool (speed-up)" png-vips-lv png-imgpool-lv ">=" 1.0
else
    ratio "PNG: vips level 1 / imgpool (nearest level)" png-vips-lv png-imgpool ">=" 1.0
fi
for fmt in jpg png; do
    F=${fmt^^}; F=${F/JPG/JPEG}
    ratio "$F: convert -scale, 1 thread / imgpool (speed-up)" "$fmt-scale1" "$fmt-imgpool" ">=" ""
    ratio "$F: convert -statistic, 1 thread / imgpool (speed-up)" "$fmt-stat1" "$fmt-imgpool" ">=" ""
    ratio "$F: imgpool / codec floor (time)" "$fmt-imgpool$([[ $fmt == png ]] && ((HAVE_PNG_LEVEL)) && echo -lv)" "$fmt-floor" "<=" ""
done
ratio "loop: convert / imgpool (speed-up)" loop-convert loop-imgpool ">=" 1.0
# Start-up: ms per process, median, against 15 ms.
for key in version png npy; do
    [[ ${ST_STATUS[$key]:-} == ok ]] || { printf '%s\tn/a\t< 15 ms\t\t\n' "start-up: ${ST_LABEL[$key]} (ms)" >>"$tsv"; continue; }
    awk -v l="start-up: ${ST_LABEL[$key]} (ms)" -v m="${ST_MEDIAN[$key]}" -v c="${ST_CPU[$key]}" \
        'BEGIN { printf "%s\t%.1f\t< 15 ms\t%s\t%.1f\n", l, m, (m < 15 ? "met" : "MISSED"), c }' >>"$tsv"
done
# Peak memory: at most the decoded input, the output and 20 MB.
limit=$(awk -v w="$W" -v h="$H" 'BEGIN { printf "%.1f", (w * h * 3 + int(w / 2) * int(h / 2) * 3) / 1e6 + 20 }')
for key in jpg-imgpool png-imgpool png-imgpool-lv; do
    [[ ${STATUS[$key]:-} == ok ]] || continue
    case $key in jpg-*) what=JPEG ;; png-imgpool) what=PNG ;; *) what="PNG level $LV" ;; esac
    awk -v l="$what: imgpool peak RSS (MB)" -v m="${MEM[$key]:-}" -v t="$limit" 'BEGIN {
        printf "%s\t%s\t<= %s\t%s\t\n", l, (m == "" ? "n/a" : m), t, (m == "" ? "" : (m <= t ? "met" : "missed")) }' >>"$tsv"
done
emit "Ratios and targets" "$tsv" "time ratios: the first row's best wall time over the second's; CPU: the same with user + system time
start-up: median ms per process; peak RSS limit: decoded input + output + 20 MB = $limit MB"

for key in jpg-imgpool png-imgpool loop-imgpool; do [[ ${STATUS[$key]} == ok ]] || exit 1; done
for key in version png npy; do [[ ${ST_STATUS[$key]} == ok ]] || exit 1; done
exit 0
