#!/usr/bin/env bash
# Runs every check of the project: formatting, lints, and all tests of every crate, against real
# parts (ffmpeg/ffprobe decode what we write; a real nginx-rtmp takes our streams).
# Installs what is missing first (Debian packages through apt-get), so it works on a fresh
# machine. Prints the time of each step and the total, to keep an eye on CI's limit.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
source scripts/step.sh
# Incremental compilation pays off only when the same tree is rebuilt after small edits; on a
# clean clone it only writes gigabytes of caches. Set CARGO_INCREMENTAL=1 to keep it.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# Debian packages the build and tests need:
# - nasm: the assembler openh264 and rav1e need (build.rs refuses the slow no-assembly build);
# - ffmpeg: ffprobe/ffmpeg decode what we write, and the FFmpeg encoder backend runs it;
# - nginx-light + libnginx-mod-rtmp: a real RTMP server the streaming tests publish to;
# - libnginx-mod-stream: nginx's stream module, the TLS terminator (rtmps://) of the RTMP
#   interop tests (the other servers there: FFmpeg's listener, and Node-Media-Server, which the
#   tests install with npm into streamcomp-core/tests/interop/nms);
# - redis-server: the server's Redis store tests;
# - openssl: makes the certificate of the RTMPS test's TLS proxy;
# - chromium: the web panel's test drives it headless (through playwright-core from npm).
need=()
for pkg in nasm ffmpeg nginx-light libnginx-mod-rtmp libnginx-mod-stream redis-server openssl chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  step "apt-get install ${need[*]}" bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${need[*]} >/dev/null"
fi
# The Debian nginx package starts a system nginx on port 80; our tests run their own on free
# loopback ports and need nothing from it.

step "cargo fmt --check" cargo fmt --all -- --check
# One feature set for lints and tests (every optional backend on), so nothing is built twice.
# The core's default feature set (no FFmpeg backend) is built for real by the Python binding's
# step below (the wheel depends on the core with default features), so it needs no check here.
step "cargo clippy (all features)" cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings
step "cargo test (all features)" cargo test --workspace --all-features --quiet
# The front ends that live outside cargo's test runner; each installs what it needs (a Python
# virtual environment with maturin, npm packages) and builds against the same target/.
step "python binding (maturin + pytest)" scripts/test-python.sh
step "node binding (napi + node --test)" scripts/test-node.sh
step "web panel (headless Chromium)" scripts/test-panel.sh
# Fuzz targets (fuzz/): a short run of each; FUZZ_SECONDS=0 skips the step. Its build compiles
# the core's dependencies again with coverage instrumentation (see README "Fuzzing").
fuzz_seconds="${FUZZ_SECONDS:-15}"
if [ "$fuzz_seconds" != 0 ]; then
  step "fuzz targets (${fuzz_seconds} s each)" scripts/fuzz.sh "$fuzz_seconds"
fi
echo "total: $(( $(date +%s) - start )) s"
