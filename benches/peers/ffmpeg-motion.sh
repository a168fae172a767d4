#!/usr/bin/env bash
# Peer benchmark for issue 13: FFmpeg's filter graph doing the move of
# benches/scenes/motion-720p.json (a 1600x900 photo panning -320..0 px over 3 s and turning
# -3..3 degrees over 2 s, both back and forth, over a black 1280x720 canvas at 30 fps), the JPEG
# decoded again every frame, one thread, output thrown away. Prints the time per frame, to put
# beside `streamcomp bench benches/scenes/motion-720p.json --threads 1 --no-encode` in one run.
#
# Usage: benches/peers/ffmpeg-motion.sh [FRAMES] [WIDTHxHEIGHT]   (defaults: 300 1280x720)
# (1920x1080 gives the motion-1080p move: photo 2400x1350 at -480..0, y -135.)
set -euo pipefail
cd "$(dirname "$0")/.."
frames=${1:-300}
size=${2:-1280x720}
w=${size%x*}; h=${size#*x}
pw=$(( w * 5 / 4 )); ph=$(( h * 5 / 4 )); dx=$(( w / 4 )); dy=$(( h / 8 ))
graph="color=black:s=${w}x${h}:r=30[bg];
[0:v]scale=${pw}:${ph},format=rgba,rotate=a='(-3+6*(1-abs(mod(t,4)/2-1)))*PI/180':c=none:ow=${pw}:oh=${ph}[ph];
[bg][ph]overlay=x='-${dx}+${dx}*(1-abs(mod(t,6)/3-1))':y=-${dy}:shortest=1,format=yuv420p"
start=$(date +%s.%N)
ffmpeg -hide_banner -loglevel error -threads 1 -filter_threads 1 -filter_complex_threads 1 \
  -loop 1 -framerate 30 -i scenes/assets/photo1.jpg \
  -filter_complex "$graph" -frames:v "$frames" -f null -
end=$(date +%s.%N)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'ffmpeg motion {sys.argv[4]}: {s*1000/int(sys.argv[3]):.2f} ms a frame ({sys.argv[3]} frames, one thread)')" \
  "$start" "$end" "$frames" "$size"
