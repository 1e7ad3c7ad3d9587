#!/usr/bin/env bash
# Builds the .deb with CPack and installs it as a user would, with apt-get resolving its
# dependencies from Debian; then runs the installed program and removes the package.
# It changes the system, so it runs only as root in CI (CI=true); otherwise it is skipped.
set -euo pipefail
build=$1 source_images=$2/sample_images
if [ "$(id -u)" -ne 0 ] || [ "${CI:-}" != "true" ]; then
  echo "skipped: installs a package (runs as root with CI=true)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"; apt-get remove -y -qq imgpool >/dev/null 2>&1 || true' EXIT
(cd "$work" && cpack --config "$build/CPackConfig.cmake" -G DEB >/dev/null)
deb=$(ls "$work"/imgpool_*.deb)
# Not `dpkg-deb --info | grep -q`: under pipefail, grep -q quitting early can kill dpkg-deb
# with SIGPIPE and fail the pipeline although the line is there.
info=$(dpkg-deb --info "$deb")
grep -q "Depends: .*libopencv" <<<"$info" || { echo "the package lists no OpenCV dependency"; exit 1; }
grep -q "Depends: .*libtiff" <<<"$info" || { echo "the package lists no libtiff dependency"; exit 1; }
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
grep -q "^imgpool " <<<"$(/usr/bin/imgpool --version)"
# the OpenCV codecs plugin is in the package and found by the installed program
grep -q "/imgpool/imgpool_opencv_codecs.so$" <<<"$(dpkg -L imgpool)"
(cd "$work" && env -u IMGPOOL_PLUGIN_DIR /usr/bin/imgpool "$source_images/circle64.png" -k 2 -o c.bmp &&
  env -u IMGPOOL_PLUGIN_DIR /usr/bin/imgpool c.bmp -k 2 -o c.png && test -s c.png)
man -w imgpool >/dev/null
echo "deb: ok ($(basename "$deb"))"
