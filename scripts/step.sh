# Sourced by the test scripts: `step NAME COMMAND...` runs COMMAND between "==> NAME" and
# "<== NAME: N s" lines, so every script prints the time of each step the same way, with the
# size of target/ and the disk space left after it (a full disk once failed CI in the linker).
step() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  echo "==> $name"
  "$@"
  echo "<== $name: $(( $(date +%s) - t0 )) s ($(disk_report))"
}

# `disk_report`: "target/ 12G, 40G free" for the step lines.
disk_report() {
  local target="${CARGO_TARGET_DIR:-$(git rev-parse --show-toplevel 2>/dev/null || pwd)/target}"
  local used free
  used=$(du -sh "$target" 2>/dev/null | cut -f1)
  free=$(df -h --output=avail "$target" 2>/dev/null | tail -1 | tr -d ' ')
  echo "target/ ${used:-0}, ${free:-?} free"
}

# `workspace_binaries`: builds target/debug/streamcomp and target/debug/streamcomp-server the way
# `cargo test --workspace --all-features` does (scripts/test.sh's test step), so that after that
# step it is a no-op. A plain `cargo build -p streamcomp-cli` resolves features differently
# (no dev-dependencies, one package) and recompiles about 90 crates: over 4 minutes here.
workspace_binaries() {
  cargo test --workspace --all-features --no-run --quiet
}
