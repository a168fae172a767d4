#!/usr/bin/env bash
# Runs the RTMP session fuzz target (fuzz/fuzz_targets/rtmp_session.rs) for SECONDS (default
# 60) on its corpus: the server conversations recorded in streamcomp-core/tests/data/rtmp.
# cargo-fuzz needs nightly flags (sanitizers, -Z options): the pinned stable toolchain allows them
# with RUSTC_BOOTSTRAP=1. Installs cargo-fuzz from crates.io if missing. New inputs libFuzzer
# finds go to a scratch folder, so a run leaves the repository as it was; a crash fails the
# script and leaves the input in fuzz/artifacts/rtmp_session/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
# No debug info in the instrumented release build: it is several GB smaller.
export CARGO_PROFILE_RELEASE_DEBUG=false
# Start from the workspace's versions of every dependency (the fuzz crate is not a member).
[ -f fuzz/Cargo.lock ] || cp Cargo.lock fuzz/Cargo.lock

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cargo fuzz build --release rtmp_session
cargo fuzz run --release rtmp_session "$scratch" fuzz/corpus/rtmp_session -- \
  -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
