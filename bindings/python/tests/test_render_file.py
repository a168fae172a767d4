"""render_file: files decoded by ffprobe (codec, size, frame count), progress, options, errors."""

from __future__ import annotations

import subprocess

import pytest

import streamcomp
from conftest import ffprobe_json, require


def moving_scene(width: int = 320, height: int = 180, fps: float = 30) -> streamcomp.Scene:
    s = streamcomp.Scene.from_dict({"width": width, "height": height, "fps": fps, "background": "#101820"})
    s.add_layer({"id": "box", "type": "rect", "x": 0, "y": 40, "width": 60, "height": 60,
                 "color": "#e63946", "animations": [{"property": "x", "from": 0, "to": width - 60, "duration": 1}]})
    s.add_layer({"id": "title", "type": "text", "text": "streamcomp", "x": 10, "y": 10,
                 "font_size": 20, "color": "#ffffff"})
    return s


def video_stream(info: dict) -> dict:
    return next(s for s in info["streams"] if s["codec_type"] == "video")


def count_frames(path) -> int:
    info = ffprobe_json(path, "-count_frames", "-select_streams", "v:0", "-show_entries",
                        "stream=nb_read_frames")
    return int(info["streams"][0]["nb_read_frames"])


def test_render_file_mp4_h264_aac(tmp_path):
    path = tmp_path / "out.mp4"
    summary = streamcomp.render_file(moving_scene(), path, duration=1.0, codec="h264")
    assert summary["frames"] == 30
    assert summary["duration"] == 1.0
    assert summary["bytes"] == path.stat().st_size > 1000
    assert summary["audio"] is True
    assert summary["path"] == str(path)
    assert set(summary["seconds"]) == {"compose", "convert", "encode", "mux"}
    info = ffprobe_json(path)
    v = video_stream(info)
    assert (v["codec_name"], v["width"], v["height"]) == ("h264", 320, 180)
    a = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (a["codec_name"], a["sample_rate"], a["channels"]) == ("aac", "48000", 2)
    assert count_frames(path) == 30


def test_progress_callable_gets_frame_and_total(tmp_path):
    calls = []
    streamcomp.render_file(moving_scene(), tmp_path / "p.mp4", 2.0,
                           progress=lambda frame, total: calls.append((frame, total)))
    assert calls, "progress was never called"
    assert calls[-1] == (60, 60)
    assert all(total == 60 for _, total in calls)
    frames = [f for f, _ in calls]
    assert frames == sorted(frames) and 1 <= frames[0]


def test_progress_exception_is_raised_after_the_render(tmp_path):
    class Boom(Exception):
        pass

    def progress(frame, total):
        raise Boom(f"at {frame}/{total}")

    path = tmp_path / "boom.mp4"
    with pytest.raises(Boom, match=r"at 1/15"):
        streamcomp.render_file(moving_scene(), path, 0.5, progress=progress)
    assert path.exists()


def test_options_size_fps_no_audio_flv(tmp_path):
    path = tmp_path / "small.flv"
    summary = streamcomp.render_file(moving_scene(), path, duration=1.0, width=160, height=90,
                                     fps=10, audio=False, bitrate=300, keyframe_interval=0.5,
                                     quality="low", threads=1)
    assert summary["frames"] == 10 and summary["audio"] is False
    info = ffprobe_json(path)
    assert [s["codec_type"] for s in info["streams"]] == ["video"]
    v = video_stream(info)
    assert (v["codec_name"], v["width"], v["height"]) == ("h264", 160, 90)
    assert count_frames(path) == 10


def test_av1_into_ivf(tmp_path):
    path = tmp_path / "out.ivf"
    summary = streamcomp.render_file(moving_scene(160, 96), path, duration=0.5, codec="av1")
    assert summary["frames"] == 15
    v = video_stream(ffprobe_json(path))
    assert (v["codec_name"], v["width"], v["height"]) == ("av1", 160, 96)


def test_rendered_file_shows_the_scene(tmp_path):
    require("ffmpeg", "ffmpeg")
    s = streamcomp.Scene(64, 64, fps=10)
    s.add_layer({"id": "r", "type": "rect", "x": 0, "y": 0, "width": 64, "height": 64, "color": "#ff0000"})
    path = tmp_path / "red.mp4"
    streamcomp.render_file(s, path, duration=0.5, audio=False)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    r, g, b = raw[3 * (32 * 64 + 32): 3 * (32 * 64 + 32) + 3]
    assert r > 230 and g < 25 and b < 25, (r, g, b)


def test_bad_options_name_the_option(tmp_path):
    s = moving_scene()
    out = tmp_path / "x.mp4"
    with pytest.raises(streamcomp.SceneError, match=r"^options\.bitrate: must be a number"):
        streamcomp.render_file(s, out, 1.0, bitrate="fast")
    with pytest.raises(streamcomp.SceneError, match=r"^options\.colour: unknown option; known: "):
        streamcomp.render_file(s, out, 1.0, colour="red")
    with pytest.raises(streamcomp.SceneError, match=r"^options\.codec: unknown codec `h265`"):
        streamcomp.render_file(s, out, 1.0, codec="h265")
    with pytest.raises(streamcomp.SceneError, match=r"^options\.duration: "):
        streamcomp.render_file(s, out, 0)
    with pytest.raises(streamcomp.SceneError, match=r"^options\.height: required when width is given"):
        streamcomp.render_file(s, out, 1.0, width=640)
    with pytest.raises(streamcomp.SceneError, match=r"^options\.threads: "):
        streamcomp.render_file(s, out, 1.0, threads=-1)
    with pytest.raises(TypeError):
        streamcomp.render_file(s, out)  # duration is required
    assert not out.exists()


def test_settings_the_file_cannot_hold_are_refused_before_writing(tmp_path):
    s = moving_scene()
    with pytest.raises(streamcomp.StreamError, match=r"av1"):
        streamcomp.render_file(s, tmp_path / "x.h264", 1.0, codec="av1")
    with pytest.raises(streamcomp.StreamError):
        streamcomp.render_file(s, tmp_path / "x.unknown", 1.0)
    assert list(tmp_path.iterdir()) == []
