"""A scene renders to the same bytes from Python as from the command line:
``scene.render(t).tobytes()`` equals ``streamcomp frame SCENE --at T -o out.rgba`` (raw straight
RGBA), and ``save_png`` writes the same PNG pixels as the command line's PNG."""

from __future__ import annotations

import subprocess

import pytest

import streamcomp
from conftest import REPO, SCENES
from pngread import read_png

CASES = [
    (SCENES / "lower-third.json", 1.0),
    (SCENES / "lower-third.json", 0.3),
    (SCENES / "logo-bug.json", 0.5),
    (SCENES / "scoreboard.json", 3.0),
    (REPO / "benches" / "scenes" / "motion-1080p.json", 0.7),
]


@pytest.mark.parametrize("scene_path,t", CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_render_matches_the_cli_raw_rgba(cli, tmp_path, scene_path, t):
    out = tmp_path / "cli.rgba"
    subprocess.run([str(cli), "frame", str(scene_path), "--at", str(t), "-o", str(out)], check=True)
    scene = streamcomp.Scene.from_file(scene_path)
    frame = scene.render(t)
    cli_bytes = out.read_bytes()
    assert len(cli_bytes) == scene.width * scene.height * 4
    assert frame.tobytes() == cli_bytes


def test_save_png_matches_the_cli_png(cli, tmp_path):
    scene_path = SCENES / "lower-third.json"
    subprocess.run([str(cli), "frame", str(scene_path), "--at", "0.8", "-o", str(tmp_path / "cli.png")], check=True)
    streamcomp.Scene.from_file(scene_path).save_png(tmp_path / "py.png", t=0.8)
    assert read_png(tmp_path / "py.png") == read_png(tmp_path / "cli.png")
