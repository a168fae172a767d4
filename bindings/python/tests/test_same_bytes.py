"""A scene renders to the same bytes from Python as from the command line:
``scene.render(t).tobytes()`` equals ``streamcomp frame SCENE --at T -o out.rgba`` (raw straight
RGBA), and ``save_png`` writes the same PNG pixels as the command line's PNG."""

from __future__ import annotations

import subprocess

import pytest

import streamcomp
from conftest import REPO, SCENES
from pngread import read_png

# overlay.json shows a `{time}` clock: both sides pin the wall clock of scene time 0, or a second
# boundary between the two renders makes the clock's digits differ.
CLOCK_START = "2026-01-01T20:15:30+01:00"

CASES = [
    (SCENES / "lower-third.json", 1.0),
    (SCENES / "lower-third.json", 0.3),
    (SCENES / "logo-bug.json", 0.5),
    (SCENES / "scoreboard.json", 3.0),
    (REPO / "benches" / "scenes" / "motion-1080p.json", 0.7),
    (REPO / "benches" / "scenes" / "overlay.json", 1.2),
]


@pytest.mark.parametrize("scene_path,t", CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_render_matches_the_cli_raw_rgba(cli, tmp_path, scene_path, t):
    out = tmp_path / "cli.rgba"
    subprocess.run(
        [str(cli), "frame", str(scene_path), "--at", str(t), "--clock-start", CLOCK_START, "-o", str(out)],
        check=True,
    )
    scene = streamcomp.Scene.from_file(scene_path)
    scene.clock_start = CLOCK_START
    frame = scene.render(t)
    cli_bytes = out.read_bytes()
    assert len(cli_bytes) == scene.width * scene.height * 4
    assert frame.tobytes() == cli_bytes


def test_save_png_matches_the_cli_png(cli, tmp_path):
    scene_path = SCENES / "lower-third.json"
    subprocess.run([str(cli), "frame", str(scene_path), "--at", "0.8", "-o", str(tmp_path / "cli.png")], check=True)
    streamcomp.Scene.from_file(scene_path).save_png(tmp_path / "py.png", t=0.8)
    assert read_png(tmp_path / "py.png") == read_png(tmp_path / "cli.png")


def test_clock_start_pins_the_time_template():
    scene = streamcomp.Scene.from_file(REPO / "benches" / "scenes" / "overlay.json")
    assert scene.clock_start is None
    scene.clock_start = CLOCK_START
    assert scene.clock_start == CLOCK_START
    a = scene.render(0.5).tobytes()
    assert scene.render(0.5).tobytes() == a
    scene.clock_start = "2026-01-01T20:15:35+01:00"
    assert scene.render(0.5).tobytes() != a, "five seconds later the clock reads differently"
    with pytest.raises(streamcomp.SceneError, match=r"^clock_start: must be an RFC 3339 time"):
        scene.clock_start = "tonight"
