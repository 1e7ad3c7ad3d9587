#!/usr/bin/env bash
# The man page renders, has the sections a user looks for, and its examples are --help's.
set -euo pipefail
bin=$1 page=$2 include=$3
rendered=$(MANWIDTH=100 man -l "$page" 2>/dev/null || groff -man -Tutf8 "$page")
for section in NAME SYNOPSIS OPTIONS "EXIT STATUS" FILES EXAMPLES; do
  grep -q "^$section" <<<"$rendered" || { echo "man page: no $section section"; exit 1; }
done
help=$("$bin" --help)
# every example line of the include file (between .nf and .fi) is a line of --help's Examples
sed -n '/^\.nf/,/^\.fi/p' "$include" | sed '1d;$d' | sed 's/\\\\/\\/g' | while IFS= read -r line; do
  grep -qF -- "  $line" <<<"$help" || { echo "man page example not in --help: $line"; exit 1; }
done
grep -qF -- "--skip-existing" <<<"$rendered" || { echo "man page lacks a flag of --help"; exit 1; }
echo "man page: ok"
