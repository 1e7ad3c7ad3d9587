#!/usr/bin/env bash
# Set-up for a Debian 12 machine: installs the packages that are missing (apt-get,
# as root or through sudo), builds imgpool into build/ and, with --test, runs the
# whole test suite. Safe to run again: it only installs and rebuilds what is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake ninja-build pkg-config libopencv-dev libopencv-contrib-dev libcli11-dev libspdlog-dev
  doctest-dev nlohmann-json3-dev fonts-dejavu-core libjpeg-dev libpng-dev libwebp-dev libtiff-dev parallel help2man man-db dpkg-dev
  clang libclang-rt-14-dev llvm)  # clang + compiler-rt: the fuzz preset; llvm: llvm-symbolizer for sanitizer reports
missing=()
for p in "${packages[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *"install ok installed"* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build

if [ "${1:-}" = "--test" ]; then
  ctest --test-dir build --output-on-failure -j "$(nproc)"
fi
