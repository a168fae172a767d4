"""Stream: a live stream to a real nginx-rtmp (pulled back with ffprobe and recorded), layer
changes while live, events as an iterator and through callbacks, status, and errors."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest

import streamcomp
from conftest import ffprobe_json, require

W, H = 320, 180


def live_scene() -> streamcomp.Scene:
    s = streamcomp.Scene(W, H, fps=30)
    s.add_layer({"id": "bg", "type": "rect", "x": 0, "y": 0, "width": W, "height": H, "color": "#ff0000"})
    s.add_layer({"id": "label", "type": "text", "text": "live", "x": 10, "y": 10, "font_size": 24,
                 "color": "#ffffff"})
    return s


def wait_for(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def decode_rgb(path, w: int, h: int) -> list[bytes]:
    require("ffmpeg", "ffmpeg")
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    size = w * h * 3
    return [raw[i:i + size] for i in range(0, len(raw) - size + 1, size)]


def centre(frame: bytes, w: int, h: int) -> tuple[int, int, int]:
    i = 3 * ((h // 2) * w + w // 2)
    return frame[i], frame[i + 1], frame[i + 2]


def test_live_stream_to_nginx_rtmp(nginx):
    scene = live_scene()
    seen = []
    url = nginx.url("pytest")
    with streamcomp.Stream(scene, urls=[url], on_event=seen.append, bitrate=800) as stream:
        assert stream.running
        first = [stream.next_event(timeout=10) for _ in range(2)]
        assert [e["state"] for e in first] == ["started", "output_started"]
        assert "pytest" not in first[1]["output"]  # stream keys are never shown
        wait_for(lambda: stream.status()["state"] == "live", what="state live")

        # Pull the stream back from the server while it is live.
        info = ffprobe_json(url, "-show_streams", "-rw_timeout", "10000000", timeout=30)
        v = next(s for s in info["streams"] if s["codec_type"] == "video")
        assert (v["codec_name"], v["width"], v["height"]) == ("h264", W, H)
        assert any(s["codec_type"] == "audio" and s["codec_name"] == "aac" for s in info["streams"])

        # Layer changes while live.
        added = stream.add_layer({"id": "badge", "type": "rect", "x": 10, "y": 140, "width": 40,
                                  "height": 20, "color": "#00ff00"})
        assert added["id"] == "badge" and added["bounds"] == {"x": 10.0, "y": 140.0, "width": 40.0, "height": 20.0}
        changed = stream.update_layer("bg", {"color": "#0000ff"})
        assert changed["color"] == "#0000ff"
        moved = stream.update_layer("label", {"x": 100}, transition={"duration": 0.3, "easing": "ease-in-out"})
        assert moved["x"] == 100
        stream.update_layer("label", {"y": 50}, transition=0.2)
        stream.remove_layer("badge", fade=0.2)
        assert [l["id"] for l in stream.layers()][:2] == ["bg", "label"]
        assert all("bounds" in l for l in stream.layers())
        time.sleep(1.5)
        # Once faded out, the layer is gone (at the latest after the next change).
        stream.update_layer("label", {"text": "still live"})
        assert [l["id"] for l in stream.layers()] == ["bg", "label"]

        status = stream.status()
        assert status["state"] == "live"
        assert status["resolution"] == f"{W}x{H}" and status["codec"] == "h264"
        assert status["frames"]["encoded"] > 30
        assert status["outputs"][0]["state"] == "live" and status["outputs"][0]["bytes"] > 0
        assert "pytest" not in status["outputs"][0]["target"]
    final = stream.stop()  # after `with`: idempotent, the same final status
    assert final["state"] == "stopped" and final["last_error"] is None
    assert not stream.running
    assert final["frames"]["encoded"] >= status["frames"]["encoded"]
    # The callback saw everything, `stopped` last, by the time stop() returned.
    states = [e["state"] for e in seen]
    assert states[:2] == ["started", "output_started"] and states[-1] == "stopped"
    # The iterator gives the rest and ends.
    rest = [e["state"] for e in stream.events(timeout=5)]
    assert rest[-1] == "stopped"
    assert stream.next_event(timeout=0.1) is None

    # nginx recorded what it received: H.264 + AAC, red first, blue after the update.
    time.sleep(0.5)
    rec = nginx.recording("pytest")
    info = ffprobe_json(rec)
    assert {(s["codec_type"], s["codec_name"]) for s in info["streams"]} == {("video", "h264"), ("audio", "aac")}
    frames = decode_rgb(rec, W, H)
    assert len(frames) > 60
    r, g, b = centre(frames[0], W, H)
    assert r > 200 and b < 60, (r, g, b)
    r, g, b = centre(frames[-1], W, H)
    assert b > 200 and r < 60, (r, g, b)


def test_stream_to_a_file_with_a_duration_ends_by_itself(tmp_path):
    path = tmp_path / "live.mp4"
    stream = streamcomp.Stream(live_scene(), urls=[str(path)], duration=1.0, audio=False)
    assert not stream.running
    stream.start()
    events = [e["state"] for e in stream.events()]  # no timeout: until the stream ends
    assert events[0] == "started" and events[-1] == "stopped"
    assert not stream.running
    assert stream.status()["state"] == "stopped"
    with pytest.raises(streamcomp.StreamError, match="stopped"):
        stream.update_layer("bg", {"color": "#000000"})
    final = stream.stop()
    assert final["state"] == "stopped"
    info = ffprobe_json(path, "-count_frames", "-show_streams")
    assert [s["codec_type"] for s in info["streams"]] == ["video"]
    frames = int(info["streams"][0]["nb_read_frames"])
    assert 25 <= frames <= 31, frames


def test_compose_only_stream_and_callbacks_added_later():
    stream = streamcomp.Stream(live_scene())
    got = []
    done = threading.Event()

    @stream.on_event
    def record(event):
        got.append(event)
        if event["state"] == "stopped":
            done.set()

    assert record is not None  # on_event returns the callback: usable as a decorator
    stream.start()
    assert stream.status()["state"] == "idle"
    assert stream.status()["outputs"] == []
    stream.update_layer("label", {"text": "changed"})
    assert stream.layers()[1]["text"] == "changed"
    assert stream.next_event(timeout=0.2)["state"] == "started"
    assert stream.next_event(timeout=0.2) is None  # nothing else happens
    final = stream.stop()
    assert final["frames"]["rendered"] > 0
    assert done.wait(5)
    assert [e["state"] for e in got] == ["started", "stopped"]


def test_callback_exceptions_go_to_the_unraisable_hook(monkeypatch):
    caught = []
    monkeypatch.setattr("sys.unraisablehook", lambda u: caught.append(u.exc_value))

    def bad(event):
        raise RuntimeError(f"bad callback: {event['state']}")

    stream = streamcomp.Stream(live_scene(), on_event=bad)
    with stream:
        time.sleep(0.2)
    assert [str(e) for e in caught] == ["bad callback: started", "bad callback: stopped"]


def test_stream_errors():
    scene = live_scene()
    with pytest.raises(streamcomp.SceneError, match=r"^options\.urls: must be a list"):
        streamcomp.Stream(scene, urls="rtmp://127.0.0.1/live/key")
    with pytest.raises(streamcomp.SceneError, match=r"^options\.urls\[1\]: the RTMP URL has no application"):
        streamcomp.Stream(scene, urls=["rtmp://127.0.0.1/live/key", "rtmp://127.0.0.1"])
    with pytest.raises(streamcomp.SceneError, match=r"^options\.colour: unknown option"):
        streamcomp.Stream(scene, urls=[], colour="red")
    with pytest.raises(streamcomp.SceneError, match=r"^options\.bitrate: "):
        streamcomp.Stream(scene, bitrate=-5)
    with pytest.raises(TypeError):
        streamcomp.Stream("not a scene")

    stream = streamcomp.Stream(scene)
    for call in (stream.status, stream.stop, stream.layers, lambda: stream.next_event(0),
                 lambda: stream.update_layer("bg", {})):
        with pytest.raises(streamcomp.StreamError, match="not been started"):
            call()
    with stream:
        with pytest.raises(streamcomp.StreamError, match="already started"):
            stream.start()
        with pytest.raises(streamcomp.SceneError, match=r"^opacity: must be between 0 and 1, got 1.5"):
            stream.add_layer({"type": "rect", "width": 10, "height": 10, "opacity": 1.5})
        with pytest.raises(streamcomp.SceneError, match="nope"):
            stream.update_layer("nope", {"x": 1})
        with pytest.raises(streamcomp.SceneError, match=r"^transition\.easing"):
            stream.update_layer("bg", {"x": 1}, transition={"duration": 1, "easing": "wobbly"})
        with pytest.raises(streamcomp.SceneError, match=r"^fade: "):
            stream.remove_layer("bg", fade=-1)
        with pytest.raises(ValueError, match=r"^timeout"):
            stream.next_event(timeout=-1)
    with pytest.raises(streamcomp.StreamError, match="stopped"):
        stream.add_layer({"type": "rect", "width": 10, "height": 10})


def test_a_file_the_stream_cannot_write_is_refused_at_start(tmp_path):
    stream = streamcomp.Stream(live_scene(), urls=[str(tmp_path / "x.h264")], codec="av1")
    with pytest.raises(streamcomp.StreamError, match="av1"):
        stream.start()
    assert not stream.running
    with pytest.raises(streamcomp.SceneError, match=r"^options\.urls\[0\]: cannot tell the format"):
        streamcomp.Stream(live_scene(), urls=[str(tmp_path / "x.unknown")])
    assert list(tmp_path.iterdir()) == []


def test_the_scene_is_taken_when_the_stream_starts(tmp_path):
    scene = live_scene()
    stream = streamcomp.Stream(scene)
    scene.add_layer({"id": "late", "type": "rect", "width": 10, "height": 10})
    with stream:
        assert [l["id"] for l in stream.layers()] == ["bg", "label", "late"]
        stream.remove_layer("late")
        # The stream's changes do not touch the Scene object.
        assert [l["id"] for l in scene.layers()] == ["bg", "label", "late"]


def test_a_live_input_published_by_ffmpeg(tmp_path):
    """An ``rtmp`` input, published to the stream's own listener (``ingest``) by ffmpeg."""
    require("ffmpeg", "ffmpeg")
    from conftest import free_port

    clip = tmp_path / "cam.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={W}x{H}:r=30",
                    "-f", "lavfi", "-i", "sine=r=48000", "-t", "8", "-c:v", "libx264", "-g", "30",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", str(clip)], check=True)
    scene = streamcomp.Scene.from_dict({
        "width": W, "height": H, "fps": 30,
        "inputs": {"cam1": {"type": "rtmp", "key": "py-secret"}},
        "layers": [{"id": "cam", "type": "input", "input": "cam1", "width": W, "height": H,
                    "fallback": "black"}]})
    port = free_port()
    with pytest.raises(streamcomp.SceneError, match="ingest"):
        streamcomp.Stream(scene, ingest="not an address")
    with streamcomp.Stream(scene, ingest=f"127.0.0.1:{port}", duration=6) as stream:
        assert stream.inputs()[0]["state"] == "waiting"
        publisher = subprocess.Popen(["ffmpeg", "-v", "error", "-re", "-i", str(clip), "-c", "copy",
                                      "-f", "flv", f"rtmp://127.0.0.1:{port}/live/py-secret"])
        try:
            wait_for(lambda: stream.inputs()[0]["state"] == "live", what="input live")
            wait_for(lambda: stream.inputs()[0]["frames"] >= 30, what="30 pictures decoded")
            status = stream.inputs()[0]
            assert (status["codec"], status["width"], status["height"]) == ("h264", W, H)
            assert "py-secret" not in str(status)
            events = []
            while (e := stream.next_event(timeout=0.5)) is not None:
                events.append(e)
            assert any(e["state"] == "input" and e["input"] == "cam1" and e["input_state"] == "live"
                       for e in events), events
            added = stream.set_input("cam2", {"type": "srt", "port": free_port(), "mode": "caller",
                                              "host": "127.0.0.1"})
            assert added["type"] == "srt" and added["name"] == "cam2"
            with pytest.raises(streamcomp.SceneError, match="shown by layer"):
                stream.remove_input("cam1")
            stream.remove_input("cam2")
            assert [i["name"] for i in stream.inputs()] == ["cam1"]
        finally:
            publisher.kill()
            publisher.wait()


def test_stream_to_hls_and_a_recording_in_parts(tmp_path):
    """One stream, encoded once, to an HLS folder and a recording cut every 2 s; the status
    names each kind, a finished part is announced, and ffmpeg plays the playlist."""
    require("ffprobe", "ffmpeg")
    playlist = tmp_path / "hls" / "index.m3u8"
    parts = tmp_path / "rec" / "part-%H%M%S.mp4"
    seen = []
    stream = streamcomp.Stream(live_scene(), urls=[f"{playlist}?list_size=4", f"{parts}?segment=2"],
                               on_event=seen.append, duration=5.0, keyframe_interval=1.0, bitrate=400)
    stream.start()
    list(stream.events())  # until the stream ends by itself
    final = stream.stop()
    kinds = sorted(o["kind"] for o in final["outputs"])
    assert kinds == ["hls", "recording"], final["outputs"]
    text = playlist.read_text()
    assert text.startswith("#EXTM3U") and text.endswith("#EXT-X-ENDLIST\n"), text
    assert "#EXT-X-TARGETDURATION:1" in text
    done = [e["path"] for e in seen if e["state"] == "file_done"]
    assert len(done) >= 2, seen
    files = sorted((tmp_path / "rec").iterdir())
    assert len(files) == len(done), (files, done)
    for f in files:
        info = ffprobe_json(f, "-count_frames", "-show_streams")
        assert [s["codec_type"] for s in info["streams"]] == ["video", "audio"]
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(playlist), "-f", "null", "-"], check=True)
    with pytest.raises(streamcomp.SceneError, match=r"^options\.urls\[0\]: HLS output: `segment_type`"):
        streamcomp.Stream(live_scene(), urls=[f"{playlist}?segment_type=webm"])
    with pytest.raises(streamcomp.SceneError, match=r"^options\.urls\[0\]: SRT output: `passphrase`"):
        streamcomp.Stream(live_scene(), urls=["srt://127.0.0.1:9000?passphrase=short"])
