"""The Python examples in examples/python run and make what they say."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO, ffprobe_json
from pngread import read_png

EXAMPLES = REPO / "examples" / "python"


def run(*args: str, cwd, timeout: float = 120) -> str:
    out = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{args}: {out.stdout}\n{out.stderr}"
    return out.stdout


def test_render_frame(tmp_path):
    out = run(str(EXAMPLES / "render_frame.py"), "--at", "1", "-o", "f.png", cwd=tmp_path)
    assert "1280x720 frame at t=1.0s" in out and "wrote f.png" in out
    w, h, _ = read_png(tmp_path / "f.png")
    assert (w, h) == (1280, 720)
    run(str(EXAMPLES / "render_frame.py"), str(REPO / "examples" / "scenes" / "logo-bug.json"), "-o", "g.png",
        cwd=tmp_path)
    assert (tmp_path / "g.png").stat().st_size > 0


def test_render_file(tmp_path):
    out = run(str(EXAMPLES / "render_file.py"), "--duration", "1", "--size", "320x180", "-o", "v.mp4", cwd=tmp_path)
    assert "wrote v.mp4: 30 frames" in out
    v = next(s for s in ffprobe_json(tmp_path / "v.mp4")["streams"] if s["codec_type"] == "video")
    assert (v["codec_name"], v["width"], v["height"]) == ("h264", 320, 180)


def test_scoreboard_streams_to_rtmp_and_a_file(tmp_path, nginx):
    out = run(str(EXAMPLES / "scoreboard.py"), nginx.url("score"), "board.flv", "--seconds", "3", "--bitrate", "800",
              cwd=tmp_path, timeout=60)
    assert "event: started" in out and "event: output_started" in out and "final: stopped" in out
    assert "state=live" in out
    for path in (tmp_path / "board.flv", nginx.recording("score")):
        info = ffprobe_json(path, "-count_frames", "-show_streams")
        v = next(s for s in info["streams"] if s["codec_type"] == "video")
        assert (v["codec_name"], v["width"], v["height"]) == ("h264", 1280, 720)
        assert int(v["nb_read_frames"]) >= 60
