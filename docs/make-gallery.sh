#!/usr/bin/env bash
# Regenerates docs/gallery.md and the pictures in docs/gallery/ with imgpool itself,
# so every picture in the docs shows what the tool really does, under its exact command.
#
#   docs/make-gallery.sh [IMGPOOL]           rewrite docs/gallery.md and docs/gallery/*.png
#   docs/make-gallery.sh --check [IMGPOOL]   regenerate in a temporary directory and fail if
#                                            anything differs from the committed files
# IMGPOOL defaults to build/imgpool.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
bin=$(realpath "${1:-$root/build/imgpool}")

# The commands run from a work directory laid out like the repository.
if [ $check = 1 ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  ln -s "$root/sample_images" "$work/sample_images"
  mkdir -p "$work/docs/gallery"
else
  work=$root
  rm -f "$root"/docs/gallery/*.png
  mkdir -p "$root/docs/gallery"
fi
imgpool() { "$bin" -q "$@"; }

md="$work/docs/gallery.md"
cat > "$md" <<'HEAD'
# Gallery

Every picture here was made by imgpool itself, with the command under it, by
[`docs/make-gallery.sh`](make-gallery.sh); a test regenerates them and checks they are unchanged.
Each panel is enlarged by a whole number so every pooled pixel is an even block; titles give
what each stage did and its real size. Run the commands from the repository's root after the
set-up in the README (with `build/imgpool` for `imgpool`).
HEAD

# show TITLE TEXT PICTURE COMMAND...: run the command and document it.
show() {
  local title=$1 text=$2 picture=$3
  shift 3
  (cd "$work" && imgpool "$@")
  printf '\n## %s\n\n%s\n\n![%s](%s)\n\n```sh\nimgpool %s\n```\n' \
    "$title" "$text" "$title" "${picture#docs/}" "$*" >> "$md"
}

show "Max pooling the cat" \
  "The tutorial's example: a 224x224 grayscale cat, max pooling 2x2 with stride 2, 112x112 out. The pooled image is shown at the same size as the input, so each of its pixels is a 2x2 block." \
  docs/gallery/cat-max.png \
  sample_images/cat.png --grayscale --resize 224x224 -t max -k 2 -s 2 --compare docs/gallery/cat-max.png

show "Max, average and min" \
  "Three pooling types over the same 4x4 windows: max keeps the brightest detail (whiskers), avg blurs, min keeps the darkest (pupils, stripes)." \
  docs/gallery/cat-types.png \
  sample_images/cat.png -t max,avg,min -k 4 --compare docs/gallery/cat-types.png

show "Pooling again and again" \
  "Max pooling 2x2/2 with TF's SAME padding, four times: 64, 32, 16, 8, 4. The disc survives as a blob wherever it moves within a window: the translation invariance pooling gives a CNN." \
  docs/gallery/circle-repeat.png \
  sample_images/circle64.png --repeat 4 -p same --compare docs/gallery/circle-repeat.png

show "Filter, detect, condense" \
  "One CNN layer's three steps: an edge kernel (correlation, as Keras Conv2D), ReLU, then max pooling. Feature maps use the magma colormap, each normalised to its own min..max." \
  docs/gallery/cat-pipeline.png \
  sample_images/cat.png --grayscale --filter edge --relu --colormap magma -k 2 --compare docs/gallery/cat-pipeline.png

show "The worked example" \
  "The tutorials' 4x4 array, max pooling 2x2 with stride 1: nine overlapping windows, [[12 12 9] [18 13 9] [18 15 7]]. The axes count cells." \
  docs/gallery/example-stride1.png \
  sample_images/example4x4.csv -k 2 -s 1 --colormap viridis --compare docs/gallery/example-stride1.png

show "Adaptive pooling" \
  "PyTorch's AdaptiveAvgPool2d((8, 8)): whatever the input size, an 8x8 output with overlapping bins." \
  docs/gallery/astronaut-adaptive.png \
  sample_images/astronaut.png -t avg --output-size 8x8 --compare docs/gallery/astronaut-adaptive.png

if [ $check = 1 ]; then
  status=0
  diff -u "$root/docs/gallery.md" "$md" || status=1
  for f in "$work"/docs/gallery/*.png; do
    cmp -s "$f" "$root/docs/gallery/$(basename "$f")" || { echo "differs: docs/gallery/$(basename "$f")"; status=1; }
  done
  [ "$(ls "$root"/docs/gallery/*.png | wc -l)" = "$(ls "$work"/docs/gallery/*.png | wc -l)" ] || { echo "stale pictures in docs/gallery"; status=1; }
  [ $status = 0 ] && echo "gallery: up to date"
  exit $status
fi
echo "wrote docs/gallery.md and $(ls "$root"/docs/gallery/*.png | wc -l) pictures"
