#!/usr/bin/env bash
# Peer benchmark for issue 14: FFmpeg doing the composition of benches/scenes/video-720p.json,
# a full-screen 1080p clip scaled to 1280x720, a 480x270 picture-in-picture of a second clip,
# and the 10-layer overlay on top (rendered once by streamcomp to a transparent PNG, since
# FFmpeg cannot lay out our text), encoded with libx264 `veryfast` at 4 Mbit/s, both clips
# looping, output thrown away. Prints the wall time per frame and the speed against real time,
# to put beside `streamcomp render benches/scenes/video-720p.json` in the same run.
#
# Usage: benches/peers/ffmpeg-video.sh [SECONDS]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
peers/make-video-clips.sh >/dev/null
overlay=$(mktemp --suffix=.png)
trap 'rm -f "$overlay"' EXIT
../scripts/streamcomp frame scenes/overlay-only-720p.json --at 0 -o "$overlay" >/dev/null
graph="[0:v]scale=1280:720:flags=bilinear[main];[1:v]scale=480:270:flags=bilinear[pip];
[main][pip]overlay=780:300[a];[a][2:v]overlay=0:0,format=yuv420p"
start=$(date +%s.%N)
ffmpeg -hide_banner -loglevel error -stream_loop -1 -i scenes/assets/clip-1080p.mp4 \
  -stream_loop -1 -i scenes/assets/clip-pip.mp4 -loop 1 -framerate 30 -i "$overlay" \
  -filter_complex "$graph" -t "$secs" -c:v libx264 -preset veryfast -b:v 4M -g 60 \
  -c:a aac -b:a 128k -f mp4 -y /dev/null
end=$(date +%s.%N)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); n=int(sys.argv[3])*30; print(f'ffmpeg video-720p: {s*1000/n:.2f} ms a frame, {n/s:.1f} fps, {n/30/s:.2f}x real time ({n} frames, all threads)')" \
  "$start" "$end" "$secs"
