#!/usr/bin/env bash
# Runs each fuzz target of fuzz/ for a few seconds (CI) or as long as you like:
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Default: 20 s each for scene_validate, layer_patch, scene_render, rtmp_session (the RTMP
# publisher's parser of what a server sends, seeded with recorded server conversations) and
# rtmp_ingest (what a publisher sends our RTMP listener, and the FLV pipe of an ffmpeg puller),
# output_targets (output URLs and paths, and an HLS playlist read back to continue it),
# video_mp4, video_mkv, video_flv (the native video path's demuxers with openh264 and rav1d behind them,
# seeded with tiny ffmpeg clips). Installs cargo-fuzz when
# it is missing. cargo-fuzz needs nightly flags: RUSTC_BOOTSTRAP=1 lets the pinned stable
# toolchain take them. FUZZ_SANITIZER picks the sanitizer (default `none`: libFuzzer's coverage
# guidance and Rust's own checks (panics, overflow checks, debug assertions) without
# AddressSanitizer, which our safe code does not need and which makes the build and every run
# slower; `address` for a deeper run). New inputs found go to a temporary folder, not to the
# committed seed corpus in fuzz/corpus/TARGET; a crash stops the script with the input saved
# under fuzz/artifacts/TARGET/ (replay it with `cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-…`).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(scene_validate layer_patch scene_render rtmp_session rtmp_ingest output_targets video_mp4 video_mkv video_flv media_sound)
fi
sanitizer="${FUZZ_SANITIZER:-none}"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi
export RUSTC_BOOTSTRAP=1
cd fuzz

t0=$(date +%s)
# One build of every target (they share every dependency).
cargo fuzz build --release --sanitizer "$sanitizer"
echo "fuzz build: $(( $(date +%s) - t0 )) s"

for t in "${targets[@]}"; do
  work=$(mktemp -d)
  # -timeout: one input taking over 10 s is a finding; -rss_limit_mb: so is 2 GiB of memory.
  cargo fuzz run --release --sanitizer "$sanitizer" "$t" "$work" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    2> "$work.log" || { tail -n 60 "$work.log"; echo "fuzz target $t failed (input saved in fuzz/artifacts/$t/)"; exit 1; }
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work.log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$work.log" | tail -n 1 || true)
  echo "fuzz $t: $runs runs in $seconds s ($cov), no finding"
  rm -rf "$work" "$work.log"
done
