#!/usr/bin/env bash
# Peer benchmark for issue 15: FFmpeg as the live compositor of benches/scenes/inputs-720p.json:
# two RTMP inputs it listens for (`-listen 1`), published by `ffmpeg -re` with the clips of
# benches/inputs-soak.sh (720p30 H.264 High + AAC, looped), scaled to full screen and a 480x270
# picture-in-picture, the 10-layer overlay on top (rendered once by streamcomp to a PNG, as
# FFmpeg cannot lay out our text), encoded with libx264 `veryfast` at 4 Mbit/s for SECONDS.
# Prints FFmpeg's CPU time, to put beside streamcomp's in benches/inputs-soak.sh's output.
#   benches/peers/ffmpeg-inputs.sh [SECONDS]   (default 60; run inputs-soak.sh once first)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
work=target/inputs-soak
[ -f "$work/cam1.mp4" ] || { echo "run benches/inputs-soak.sh once first (it makes the clips)" >&2; exit 1; }
overlay="$work/overlay.png"
scripts/streamcomp frame benches/scenes/overlay-only-720p.json --at 0 -o "$overlay" >/dev/null
p1=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
p2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
graph="[0:v]scale=1280:720:flags=bilinear[main];[1:v]scale=480:270:flags=bilinear[pip];
[main][pip]overlay=780:300[a];[a][2:v]overlay=0:0,format=yuv420p[vout];[0:a][1:a]amix=inputs=2[aout]"
/usr/bin/time -f "ffmpeg inputs-720p: %U s user + %S s system CPU for $secs s (%P of a core)" \
  ffmpeg -hide_banner -loglevel error -listen 1 -i "rtmp://127.0.0.1:$p1/live/a" \
  -listen 1 -i "rtmp://127.0.0.1:$p2/live/b" -loop 1 -framerate 30 -i "$overlay" \
  -filter_complex "$graph" -map "[vout]" -map "[aout]" -t "$secs" -c:v libx264 -preset veryfast -b:v 4M -g 60 \
  -c:a aac -b:a 128k -f mp4 -y "$work/ffmpeg-peer.mp4" &
peer=$!
# FFmpeg opens its inputs one after the other: each publisher retries until its listener is up.
publish() {
  for _ in $(seq 40); do
    ffmpeg -v error -nostdin -re -stream_loop -1 -i "$1" -c copy -f flv "$2" 2>/dev/null && break
    sleep 0.5
  done
}
publish "$work/cam1.mp4" "rtmp://127.0.0.1:$p1/live/a" &
a=$!
publish "$work/cam2.mp4" "rtmp://127.0.0.1:$p2/live/b" &
b=$!
wait $peer || true
kill $a $b 2>/dev/null || true
pkill -f "rtmp://127.0.0.1:$p[12]/live" 2>/dev/null || true
