#!/usr/bin/env bash
# Sharp (libvips) peer benchmark: the per-frame work of benches/scenes/overlay.json and
# benches/scenes/motion-720p.json done with the `sharp` npm package (prebuilt libvips from
# @img/sharp-linux-x64), one libvips thread (sharp.concurrency(1), like our `--threads 1`),
# raw RGBA frames out. What each script prepares once and does every frame is in its header
# (overlay.mjs, motion.mjs, rotate.mjs). Prints the time per frame of each, to put beside
#   streamcomp bench benches/scenes/overlay.json --threads 1 --no-encode
#   streamcomp bench benches/scenes/motion-720p.json --threads 1 --no-encode --quality high
# from the same run. Needs Node.js >= 20.9 and npm; installs the pinned sharp into
# node_modules (from package-lock.json) the first time.
#
# Usage: benches/peers/sharp/run.sh [FRAMES]   (default 120; frame 0 is a warm-up, not counted)
# Set SHARP_PNG_DIR=/some/dir to also write the last frame of each as PNG there.
set -euo pipefail
cd "$(dirname "$0")"
frames=${1:-120}
if [ ! -d node_modules ]; then
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund >&2
  else
    npm install --no-audit --no-fund >&2
  fi
fi
png() { if [ -n "${SHARP_PNG_DIR:-}" ]; then echo --png "$SHARP_PNG_DIR/sharp-$1.png"; fi; }
node overlay.mjs --frames "$frames" $(png overlay)
node motion.mjs --frames "$frames" $(png motion-720p)
