#!/usr/bin/env bash
# Runs every check of the project: formatting, lints, and all tests of every crate.
# Installs what is missing first (Debian packages through apt-get), so it works on a fresh
# machine. Prints the time of each step and the total, to keep an eye on CI's limit.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
step() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  echo "==> $name"
  "$@"
  echo "<== $name: $(( $(date +%s) - t0 )) s"
}

# Debian packages the tests need. ffmpeg/ffprobe decode what we write in later tests; nasm is
# the assembler openh264 and rav1e need (their builds are slow or fail without it).
need=()
for pkg in nasm ffmpeg; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  step "apt-get install ${need[*]}" bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${need[*]} >/dev/null"
fi

step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
step "cargo test" cargo test --workspace --quiet
echo "total: $(( $(date +%s) - start )) s"
