# shellcheck shell=bash disable=SC2034
# Timing helpers shared by bench/batch.sh and bench/process.sh (sourced, after WORK is set).

busy_jiffies() {  # CPU time of the whole machine, all processes, not idle or iowait
    local _c u n s _idle _iowait q sq st _rest
    read -r _c u n s _idle _iowait q sq st _rest </proc/stat
    echo $((u + n + s + q + sq + st))
}
children_cpu() {  # children_cpu VAR: user+sys seconds of this shell's waited-for descendants
    times >"$WORK/times"  # here, not in a $( ) subshell, whose children would be its own
    printf -v "$1" '%s' "$(awk 'NR == 2 { t = 0; for (f = 1; f <= 2; f++) { split($f, p, /[ms]/); t += p[1] * 60 + p[2] } print t }' "$WORK/times")"
}
# TICK is read by the scripts that source this file.
TICK=$(getconf CLK_TCK)
readonly TICK
