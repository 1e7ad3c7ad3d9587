#!/usr/bin/env bash
# cmake --install into a fresh prefix, then use it as a user would: the binary, its man
# page, its bash completion, and a consumer project linking imgpool::core.
set -euo pipefail
build=$1 source=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
grep -q "Examples:" <<<"$("$prefix/bin/imgpool" --help)"
grep -q "EXIT STATUS" <<<"$(MANWIDTH=100 man -l "$prefix/share/man/man1/imgpool.1")"
# bash completion: completes flags and enumerated values
out=$(bash -c "source '$prefix/share/bash-completion/completions/imgpool'
  COMP_WORDS=(imgpool --bor); COMP_CWORD=1; _imgpool; echo \"\${COMPREPLY[*]}\"
  COMP_WORDS=(imgpool -t me); COMP_CWORD=2; _imgpool; echo \"\${COMPREPLY[*]}\"")
grep -q -- "--border" <<<"$out" || { echo "bash completion of flags: $out"; exit 1; }
grep -q "median" <<<"$out" || { echo "bash completion of --type values: $out"; exit 1; }
test -s "$prefix/share/zsh/vendor-completions/_imgpool"
# the OpenCV codecs plugin, found from the installed program (BMP needs it; PNG does not)
env -u IMGPOOL_PLUGIN_DIR "$prefix/bin/imgpool" "$source/sample_images/circle64.png" -k 2 -o "$prefix/c.bmp"
env -u IMGPOOL_PLUGIN_DIR "$prefix/bin/imgpool" "$prefix/c.bmp" -k 2 -o "$prefix/c.png"
test -s "$prefix/c.png"
# a consumer project
cmake -S "$source/tests/consumer" -B "$prefix/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/consumer" >/dev/null
result=$("$prefix/consumer/consumer")
[ "$result" = $'[[8. 5.]\n [7. 9.]]' ] || { echo "consumer printed: $result"; exit 1; }
echo "install: ok"
