#!/usr/bin/env bash
# Builds and tests the Node.js binding (bindings/node) against real parts: ffprobe/ffmpeg decode
# what it writes, a real nginx-rtmp (started by the tests on a free loopback port) takes its
# stream, and the CLI's raw RGBA output must equal scene.render(t) byte for byte.
# Needs node >= 20.17 with npm, and the Debian packages scripts/test.sh installs (nasm, ffmpeg,
# nginx-light, libnginx-mod-rtmp). Works from any directory; prints the time of each step.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

source "$root/scripts/step.sh"

command -v node >/dev/null || { echo "node is not installed (Node.js >= 20.17 with npm is needed)" >&2; exit 1; }
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 17) ? 0 : 1)' \
  || { echo "node $(node --version) is too old: @napi-rs/cli needs >= 20.17" >&2; exit 1; }

cd "$root/bindings/node"
if [ ! -d node_modules ]; then
  step "npm ci (bindings/node)" npm ci --no-audit --no-fund
fi
# A debug build (the workspace's dev profile optimises dependencies at opt-level 3), built by
# cargo in the workspace's target/debug, shared with every other crate; see scripts/build.js.
step "build the addon (debug)" node scripts/build.js
# The same-bytes test runs target/debug/streamcomp, built as scripts/test.sh's test step builds
# it (a no-op after that step; see scripts/step.sh).
step "streamcomp CLI (as cargo test builds it)" workspace_binaries
step "node --test (bindings/node)" node --test test/*.test.js
