#!/usr/bin/env bash
# The server's web control panel in a real headless Chromium: builds the server, installs
# playwright-core (npm) and Debian's chromium when missing, runs streamcomp-server/tests/panel.
# Set PANEL_SCREENSHOT=/path/shot.png to keep a screenshot of the panel.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
source scripts/step.sh
# target/debug/streamcomp-server as scripts/test.sh's test step builds it (a no-op after it).
workspace_binaries
cd streamcomp-server/tests/panel
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error
SERVER_BIN="$PWD/../../../target/debug/streamcomp-server" node --test
echo "panel test: $(( $(date +%s) - t0 )) s"
