#!/usr/bin/env bash
# Issue 16's performance run: what HLS, SRT and a recording add to a 720p30 RTMP stream, encoded
# once. Runs the soak example (streamcomp-core/examples/soak.rs) twice for SECONDS each on
# SCENE (default benches/scenes/overlay-720p.json; motion-720p.json moves everything, so the
# encoder works hardest): to a local nginx-rtmp alone, then to nginx-rtmp + an HLS
# folder + SRT to an ffmpeg listener + a recording cut every 60 s. Prints each run's CPU time
# (ours, and the SRT output's ffmpeg) and the ratio.
#   benches/outputs-soak.sh [SECONDS] [SCENE]     (default 120 s)
# Needs nginx with libnginx-mod-rtmp and ffmpeg (the test command installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
secs="${1:-120}"
scene="${2:-benches/scenes/overlay-720p.json}"
work=target/outputs-soak
rm -rf "$work"; mkdir -p "$work"
cargo build --release --quiet -p streamcomp-core --features ffmpeg --example soak
bin="${CARGO_TARGET_DIR:-target}/release/examples/soak"
rtmp_port=$(free_port); srt_port=$(free_port)
start_nginx_rtmp "$work" "$rtmp_port"
ffmpeg -v error -nostdin -i "srt://127.0.0.1:$srt_port?mode=listener" -f null - 2> "$work/srt-listener.log" &
srt_pid=$!
trap 'kill $nginx_pid $srt_pid 2>/dev/null || true' EXIT
sleep 1
rtmp="rtmp://127.0.0.1:$rtmp_port/live/soak"
echo "== RTMP alone, $secs s"
"$bin" "$scene" "$rtmp" "$secs" 30 | tee "$work/alone.txt"
echo "== RTMP + HLS + SRT + recording, $secs s"
"$bin" "$scene" \
  "$rtmp,$work/hls/index.m3u8,srt://127.0.0.1:$srt_port,$work/rec/part-%H%M%S.mp4?segment=60" \
  "$secs" 30 | tee "$work/all.txt"
cpu() { grep -o '(\([0-9.]*\) s, + \([0-9.]*\) s in child' "$1" | grep -o '[0-9.]\+' | paste -sd' '; }
read -r a_own a_child <<< "$(cpu "$work/alone.txt")"
read -r b_own b_child <<< "$(cpu "$work/all.txt")"
python3 - "$a_own" "$a_child" "$b_own" "$b_child" <<'PY'
import sys
a, ac, b, bc = map(float, sys.argv[1:])
print(f"CPU: RTMP alone {a:.1f} s; with HLS + SRT + recording {b:.1f} s "
      f"({(b / a - 1) * 100:+.1f} %), + {bc:.1f} s in the SRT output's ffmpeg "
      f"({((b + bc) / (a + ac) - 1) * 100:+.1f} % counting it)")
PY
ls "$work/hls" | head -3; ls "$work/rec"
