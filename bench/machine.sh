#!/usr/bin/env bash
# Describes the machine and the libraries a benchmark ran with, one "what: value" line each,
# for the headers of bench/process.sh and bench/all.sh (and docs/performance.md).
#
#   bash bench/machine.sh [IMGPOOL]     IMGPOOL: also the binary's version, sha256 and libraries
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
# The installed version of a Debian package, or "not installed".
deb() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "not installed"; }

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.0f GB", $2 / 1024 / 1024 }' /proc/meminfo)
virt=$(systemd-detect-virt 2>/dev/null) || virt=""  # "none" on bare metal; missing tool: ""
echo "date: $(date -u '+%F %H:%M UTC')"
echo "CPU: ${cpu:-unknown}, $(nproc) cores$([[ -n $virt && $virt != none ]] && echo " ($virt)"), $mem RAM"
echo "system: $(sed -n 's/^PRETTY_NAME="\?\([^"]*\)"\?$/\1/p' /etc/os-release) ($(cat /etc/debian_version 2>/dev/null || echo '?')), Linux $(uname -r)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) on $(nproc) cores"
echo "OpenCV: $(pkg-config --modversion opencv4 2>/dev/null || echo '?')"
echo "libjpeg: libjpeg62-turbo $(deb libjpeg62-turbo); libpng: $(deb libpng16-16); zlib: $(deb zlib1g)"
echo "libvips: $(have vips && vips --version || echo 'not installed')"
magick=$(command -v convert-im6.q16 || command -v /usr/bin/convert || true)
echo "ImageMagick: $([[ -n $magick ]] && "$magick" -version | awk 'NR == 1 { print $2, $3, $4 }' || echo 'not installed')"
echo "Google Benchmark: $(deb libbenchmark-dev); hyperfine: $(have hyperfine && hyperfine --version | cut -d' ' -f2 || echo 'not installed')"
echo "compiler: $(c++ --version 2>/dev/null | head -n1 || echo '?')"
if [[ -n ${1:-} ]]; then
    echo "imgpool: $1, $("$1" --version 2>&1 | head -n1), sha256 $(sha256sum "$1" | cut -c1-12), built $(date -r "$1" '+%F %T %Z'), $(ldd "$1" | wc -l) shared libraries (ldd)"
fi
