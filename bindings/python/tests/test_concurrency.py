"""The GIL is released while rendering: renders in two Python threads overlap in time, and
Python threads keep rendering while another thread renders a file or streams live.

How overlap is shown without being fooled by thread switches: thread A renders a tiny scene in
a loop, recording each render's start and end; thread B renders large 1080p frames (~100 ms
each in a debug build). If B's render held the GIL, A could not run while B is inside Rust, so
A's timestamps would show a gap as long as B's render. They show many of A's renders *inside*
each of B's and no long gap."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

import streamcomp
from conftest import REPO

BIG = REPO / "benches" / "scenes" / "motion-1080p.json"


def small_scene() -> streamcomp.Scene:
    s = streamcomp.Scene(64, 36)
    s.add_layer({"id": "r", "type": "rect", "x": 0, "y": 0, "width": 32, "height": 36, "color": "#ff0000"})
    return s


class Ticker:
    """Renders a small scene in a loop in its own thread, recording (start, end) of each."""

    def __init__(self) -> None:
        self.scene = small_scene()
        self.spans: list[tuple[float, float]] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ticker")

    def _run(self) -> None:
        try:
            i = 0
            while not self._stop.is_set():
                t0 = time.perf_counter()
                frame = self.scene.render(i / 30)
                t1 = time.perf_counter()
                assert frame[0, 0].tolist() == [255, 0, 0, 255]
                self.spans.append((t0, t1))
                i += 1
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.errors.append(e)

    def __enter__(self) -> "Ticker":
        self._thread.start()
        while not self.spans and not self.errors:
            time.sleep(0.001)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        assert not self.errors, self.errors

    def inside(self, start: float, end: float) -> tuple[int, float]:
        """How many renders lay wholly inside [start, end], and the longest stretch of that
        window with no render of this thread starting or ending."""
        marks = [start]
        n = 0
        for a, b in self.spans:
            if a >= start and b <= end:
                n += 1
                marks += [a, b]
        marks.append(end)
        marks.sort()
        gap = max(b - a for a, b in zip(marks, marks[1:]))
        return n, gap


@pytest.fixture(autouse=True)
def short_switch_interval():
    # Threads holding the GIL hand it over after 1 ms instead of 5 ms: keeps any effect of
    # ordinary GIL switching far below the ~100 ms a large render takes.
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    yield
    sys.setswitchinterval(old)


def test_two_threads_render_at_the_same_time():
    big = streamcomp.Scene.from_file(BIG)
    big.render(0.0)  # load the images first
    results = []
    with Ticker() as ticker:
        for i in range(5):
            t0 = time.perf_counter()
            frame = big.render(1.0 + i / 30)
            t1 = time.perf_counter()
            assert frame.shape == (1080, 1920, 4)
            n, gap = ticker.inside(t0, t1)
            results.append((t1 - t0, n, gap))
    report = ", ".join(f"{d * 1000:.0f} ms: {n} renders inside, longest gap {g * 1000:.1f} ms" for d, n, g in results)
    print("big renders:", report)
    overlapping = [r for r in results if r[1] >= 10 and r[2] < 0.5 * r[0]]
    assert len(overlapping) >= 4, report


def test_python_threads_run_while_render_file_encodes(tmp_path):
    scene = streamcomp.Scene.from_file(REPO / "examples" / "scenes" / "lower-third.json")
    with Ticker() as ticker:
        t0 = time.perf_counter()
        summary = streamcomp.render_file(scene, tmp_path / "out.mp4", duration=1.0, width=640, height=360)
        t1 = time.perf_counter()
    n, gap = ticker.inside(t0, t1)
    print(f"render_file {t1 - t0:.2f} s: {n} renders of another thread inside, longest gap {gap * 1000:.1f} ms")
    assert summary["frames"] == 30
    assert n >= 100 and gap < 0.25 * (t1 - t0), (n, gap, t1 - t0)


def test_python_threads_render_while_another_thread_streams(nginx):
    live = streamcomp.Scene(320, 180, fps=30)
    live.add_layer({"id": "bg", "type": "rect", "x": 0, "y": 0, "width": 320, "height": 180, "color": "#ff0000"})
    big = streamcomp.Scene.from_file(BIG)
    errors: list[BaseException] = []
    frames: dict[str, list] = {"big": [], "updates": []}
    go = threading.Event()
    done = threading.Event()

    def streamer():
        try:
            with streamcomp.Stream(live, urls=[nginx.url("concurrent")], bitrate=500) as stream:
                go.set()
                i = 0
                while not done.is_set():
                    stream.update_layer("bg", {"color": "#0000ff" if i % 2 else "#ff0000"})
                    frames["updates"].append(stream.status()["frames"]["encoded"])
                    i += 1
                    time.sleep(0.1)
            frames["final"] = stream.status()
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)
            go.set()

    def renderer():
        try:
            for i in range(8):
                frames["big"].append(big.render(i / 30).shape)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    s = threading.Thread(target=streamer)
    s.start()
    assert go.wait(20)
    with Ticker() as ticker:
        r = threading.Thread(target=renderer)
        t0 = time.perf_counter()
        r.start()
        r.join()
        t1 = time.perf_counter()
        time.sleep(0.5)
    # The renders may be quick: let the stream run three seconds of frames before stopping it.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not errors and (not frames["updates"] or frames["updates"][-1] <= 90):
        time.sleep(0.05)
    done.set()
    s.join(30)
    assert not errors, errors
    assert frames["big"] == [(1080, 1920, 4)] * 8
    n, gap = ticker.inside(t0, t1)
    assert n >= 100 and gap < 0.25 * (t1 - t0), (n, gap)
    final = frames["final"]
    assert final["state"] == "stopped" and final["last_error"] is None
    assert final["frames"]["encoded"] > 30
    assert frames["updates"] == sorted(frames["updates"]) and frames["updates"][-1] > frames["updates"][0]
    assert Path(nginx.recording("concurrent")).stat().st_size > 10_000
