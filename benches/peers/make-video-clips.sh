#!/usr/bin/env bash
# Makes the clips of benches/scenes/video-720p.json with ffmpeg (not checked in): a 20 s
# 1080p30 H.264 High clip with B-frames at about 6 Mbit/s and AAC sound (the full-screen
# layer), and a 20 s 720p30 one (the picture-in-picture). Run once before the video benches.
set -euo pipefail
cd "$(dirname "$0")/../scenes/assets"
make() {
  [ -s "$1" ] && return
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=$2:r=30" \
    -f lavfi -i "sine=f=$3:d=20" -t 20 -c:v libx264 -profile:v high -bf 3 -g 60 \
    -b:v "$4" -pix_fmt yuv420p -c:a aac "$1"
}
make clip-1080p.mp4 1920x1080 440 6M
make clip-pip.mp4 1280x720 660 3M
echo "clips in $(pwd): clip-1080p.mp4 clip-pip.mp4"
