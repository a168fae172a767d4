#!/usr/bin/env bash
# Peer benchmark for issue 16: what adding HLS, SRT and a recording in parts costs FFmpeg on a
# stream encoded once, beside benches/outputs-soak.sh's figure for streamcomp. FFmpeg copies a
# 720p30 H.264 + AAC clip (made here, 4 Mbit/s) in real time (`-re -c copy`) for SECONDS: to a
# local nginx-rtmp alone, then with its `tee` muxer to nginx-rtmp + HLS (2 s segments, a window
# of 6, deleted behind) + MPEG-TS over SRT to an ffmpeg listener + a segment muxer cutting MP4
# files every 60 s. Prints both CPU times and the difference (the outputs' cost).
#   benches/peers/ffmpeg-outputs.sh [SECONDS]    (default 60)
set -euo pipefail
cd "$(dirname "$0")/../.."
source benches/lib.sh
secs="${1:-60}"
work=target/ffmpeg-outputs
rm -rf "$work"; mkdir -p "$work/hls" "$work/rec"
clip="$work/clip.mp4"
ffmpeg -v error -y -f lavfi -i "testsrc2=s=1280x720:r=30" -f lavfi -i "sine=f=440:r=48000" \
  -t "$secs" -c:v libx264 -preset veryfast -b:v 4M -g 60 -pix_fmt yuv420p -c:a aac -b:a 128k "$clip"
rtmp_port=$(free_port); srt_port=$(free_port)
start_nginx_rtmp "$work" "$rtmp_port"
ffmpeg -v error -nostdin -i "srt://127.0.0.1:$srt_port?mode=listener" -f null - 2> /dev/null &
srt_pid=$!
trap 'kill $nginx_pid $srt_pid 2>/dev/null || true' EXIT
sleep 1
rtmp="rtmp://127.0.0.1:$rtmp_port/live/peer"
/usr/bin/time -o "$work/alone.txt" -f "%U %S" \
  ffmpeg -v error -nostdin -re -i "$clip" -map 0 -c copy -f flv "$rtmp"
tee="[f=flv:onfail=ignore]$rtmp|[f=hls:hls_time=2:hls_list_size=6:hls_flags=delete_segments]$work/hls/index.m3u8"
tee="$tee|[f=mpegts:onfail=ignore]srt://127.0.0.1:$srt_port?pkt_size=1316"
tee="$tee|[f=segment:segment_time=60:segment_format=mp4:reset_timestamps=1]$work/rec/part-%03d.mp4"
/usr/bin/time -o "$work/all.txt" -f "%U %S" \
  ffmpeg -v error -nostdin -re -i "$clip" -map 0 -c copy -f tee "$tee"
python3 - "$work/alone.txt" "$work/all.txt" "$secs" <<'PY'
import sys
a = sum(map(float, open(sys.argv[1]).read().split()))
b = sum(map(float, open(sys.argv[2]).read().split()))
print(f"ffmpeg -c copy for {sys.argv[3]} s: RTMP alone {a:.2f} s CPU; with HLS + SRT + recording "
      f"{b:.2f} s (+{b - a:.2f} s, {(b / a - 1) * 100:+.0f} %)")
PY
