#!/usr/bin/env bash
# Issue 15's performance run: two 720p30 live inputs (one full screen, one picture-in-picture)
# published by `ffmpeg -re` to streamcomp's RTMP listener, under the 10-layer overlay of
# benches/scenes/inputs-720p.json, streamed 720p30 to URL for SECONDS. Prints streamcomp's
# CPU time and resident memory every 30 s, then its summary (frames dropped, and per input:
# pictures, repeats, drops, arrival-to-output latency, A/V offset, drift).
#   benches/inputs-soak.sh [SECONDS] [URL]      (default 600 s to target/inputs-soak.flv)
# Needs ffmpeg and a release build (cargo build --release -p streamcomp-cli).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
url="${2:-target/inputs-soak.flv}"
bin=target/release/streamcomp
[ -x "$bin" ] || { echo "build it first: cargo build --release -p streamcomp-cli" >&2; exit 1; }
work=target/inputs-soak
mkdir -p "$work"
# Two 20 s 720p30 clips, H.264 High with B-frames + AAC (looped by the publishers).
for n in 1 2; do
  [ -f "$work/cam$n.mp4" ] || ffmpeg -v error -y -f lavfi -i "testsrc2=s=1280x720:r=30" \
    -f lavfi -i "sine=f=$((500 * n)):r=48000" -t 20 -c:v libx264 -profile:v high -bf 3 -g 60 \
    -b:v 3000k -pix_fmt yuv420p -c:a aac -b:a 128k "$work/cam$n.mp4"
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/time -o "$work/time.txt" -f "streamcomp: %U s user + %S s system CPU for $secs s (%P of a core), max RSS %M kB" \
  "$bin" stream benches/scenes/inputs-720p.json --url "$url" --ingest "127.0.0.1:$port" \
  --duration "$secs" 2> "$work/stream.log" &
tp=$!
sleep 0.5
sp=$(pgrep -P $tp)
sleep 1
pubs=()
for n in 1 2; do
  ffmpeg -v error -nostdin -re -stream_loop -1 -i "$work/cam$n.mp4" -c copy -f flv \
    "rtmp://127.0.0.1:$port/live/bench-cam$n" &
  pubs+=($!)
done
start=$(date +%s)
while kill -0 $sp 2>/dev/null; do
  echo "$(( $(date +%s) - start )) s: streamcomp rss $(ps -o rss= -p $sp 2>/dev/null || echo -) kB, cpu $(ps -o times= -p $sp 2>/dev/null || echo -) s"
  sleep 30
done
kill "${pubs[@]}" 2>/dev/null || true
wait $tp || true
cat "$work/stream.log" "$work/time.txt"
