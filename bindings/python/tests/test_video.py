"""Video layers from Python: a clip made here by ffmpeg plays in a live stream, and the media
actions (seek, pause, resume, next, queue) move it; the layer reports where it stands."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

import streamcomp
from conftest import require


def make_clip(path, seconds: float = 4.0) -> None:
    require("ffmpeg", "ffmpeg")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=30",
         "-f", "lavfi", "-i", f"sine=f=440:d={seconds}", "-t", str(seconds),
         "-c:v", "libx264", "-bf", "3", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path)],
        check=True,
    )


def test_media_actions_on_a_live_video_layer(tmp_path):
    make_clip(tmp_path / "a.mp4")
    make_clip(tmp_path / "b.mp4", 2.0)
    (tmp_path / "scene.json").write_text(json.dumps({
        "width": 320, "height": 180, "fps": 30,
        "layers": [{"id": "v", "type": "video", "src": "a.mp4", "loop": True}],
    }))
    scene = streamcomp.Scene.from_file(str(tmp_path / "scene.json"))
    with streamcomp.Stream(scene) as stream:
        layer = stream.layers()[0]
        assert layer["media"]["state"] == "playing"
        assert layer["media"]["duration"] == pytest.approx(4.0, abs=0.05)
        sought = stream.media("v", "seek", t=2.5)
        assert sought["media"]["position"] == pytest.approx(2.5, abs=0.1)
        paused = stream.media("v", {"action": "pause"})
        assert paused["media"]["state"] == "paused"
        time.sleep(0.3)
        still = stream.layers()[0]["media"]
        assert still["state"] == "paused"
        assert still["position"] == paused["media"]["position"]
        resumed = stream.media("v", "resume")
        assert resumed["media"]["state"] == "playing"
        queued = stream.media("v", "queue", item={"src": "b.mp4"})
        assert [i["src"] for i in queued["playlist"]] == ["a.mp4", "b.mp4"]
        assert queued["media"]["items"] == 2
        nxt = stream.media("v", "next")
        assert nxt["media"]["item"] == 1
        with pytest.raises(streamcomp.SceneError, match="action"):
            stream.media("v", "jump")
        with pytest.raises(streamcomp.SceneError):
            stream.media("nope", "pause")
        assert stream.status()["frames"]["rendered"] > 0
