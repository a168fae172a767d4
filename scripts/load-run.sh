#!/usr/bin/env bash
# The server's load run, set up end to end on this machine: a real nginx-rtmp on a free loopback
# port, the release `streamcomp-server` on free ports with a fresh embedded store, streaming
# 1280x720 at 30 fps to that nginx, then `examples/load.rs` (N clients changing layers at a fixed
# total rate, half over HTTP, half over the WebSocket). Prints the load example's reports (the
# last line is a JSON summary); stops everything it started, also on Ctrl-C.
#
# Usage: scripts/load-run.sh [SECONDS] [RATE] [CLIENTS] [--in-phase]     (defaults: 60 200 50)
# (--in-phase: every client sends at the same instants, bursts of CLIENTS updates at once.)
# Needs: nginx-light + libnginx-mod-rtmp (scripts/test.sh installs them), curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
rate=${2:-200}
clients=${3:-50}
extra=("${@:4}")

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

cargo build --release --quiet -p streamcomp-server --bin streamcomp-server --example load
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

rtmp=$(free_port)
cat > "$dir/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off;
master_process off;
error_log stderr warn;
pid $dir/nginx.pid;
events { worker_connections 64; }
rtmp { server { listen 127.0.0.1:$rtmp; chunk_size 4096; application live { live on; } } }
EOF
nginx -e stderr -c "$dir/nginx.conf" -p "$dir" &
pids+=($!)

port=$(free_port); ws=$(free_port); metrics=$(free_port)
mkdir -p "$dir/assets"
PORT=$port WS_PORT=$ws METRICS_PORT=$metrics STATE_PATH="$dir/state" ASSETS_DIR="$dir/assets" \
  STREAM_RESOLUTION=1280x720 TARGET_FPS=30 API_TOKEN=load LOG_LEVEL=warn \
  STREAM_URL="rtmp://127.0.0.1:$rtmp/live/load" \
  target/release/streamcomp-server &
pids+=($!)
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS -H 'Authorization: Bearer load' -H 'Content-Type: application/json' \
  -d '{"action": "start"}' "http://127.0.0.1:$port/stream/control" >/dev/null
sleep 2
echo "server on :$port (WebSocket :$ws), streaming 1280x720@30 to nginx-rtmp :$rtmp; load: $clients clients, $rate updates/s, $seconds s"
target/release/examples/load --port "$port" --ws-port "$ws" --token load \
  --clients "$clients" --rate "$rate" --seconds "$seconds" "${extra[@]}"
# Where the server's time went: the store's durable writes and the per-frame render/encode times.
echo "server metrics after the run:"
curl -fsS "http://127.0.0.1:$metrics/metrics" \
  | grep -E '^(streamcomp_store_operation_seconds_(sum|count)\{operation="save"\}|streamcomp_frame_(render|encode)_seconds_(sum|count)|streamcomp_frames_dropped_total|process_cpu_seconds_total)' || true
