#!/usr/bin/env bash
# Runs every fuzzer (or those named) for SECONDS each, from its committed seeds:
#
#   fuzz/run.sh [-t SECONDS] [-b BUILD_DIR] [TARGET...]     (default: 12 s, build-fuzz, all five)
#
# Build first: cmake --preset fuzz && cmake --build --preset fuzz. New inputs the fuzzer
# finds go to BUILD_DIR/fuzz-corpus/<target>/ (kept between runs, never into the committed
# seeds); a crash, leak, timeout or out-of-memory is saved as BUILD_DIR/fuzz-artifacts/
# <target>-crash-<sha1> (reproduce: BUILD_DIR/fuzz/fuzz_<target> that-file) and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=12
build=build-fuzz
while getopts "t:b:" opt; do
  case $opt in
    t) seconds=$OPTARG ;;
    b) build=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
((${#targets[@]})) || targets=(npy csv image cli pool)

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p "$build/fuzz-artifacts"
failed=0
for t in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$t"
  mkdir -p "$corpus"
  log="$build/fuzz-artifacts/$t.log"
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: libFuzzer's default, said.
  if "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-artifacts/$t-" "$corpus" "fuzz/corpus/$t" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz $t: ok, $execs inputs in ${seconds} s, corpus $(ls "$corpus" | wc -l) new + $(ls "fuzz/corpus/$t" | wc -l) seeds"
  else
    echo "fuzz $t: FAILED (log: $log)"
    grep -E "^(==[0-9]+==ERROR|SUMMARY|fuzz_|.*runtime error)|Test unit written" "$log" | head -20 || true
    failed=1
  fi
done
exit $failed
