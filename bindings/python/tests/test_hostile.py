"""Hostile values through the Python binding (issues 22 and 12).

Every numeric field of every layer kind at the edge values (1e-308, -1e-308, 1e308, 1e-40,
-0.0, 1e15) is accepted or refused exactly as ``streamcomp validate`` answers, with the same
message; the issue's crashes are refused naming the bound; render options and fades take the
ranges of the core's settings table (read from ``streamcomp schema``) with its messages."""

from __future__ import annotations

import json
import subprocess

import pytest

import streamcomp

EDGES = [1e-308, -1e-308, 1e308, 1e-40, -0.0, 1e15]
RED_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGA"
    "hKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def schema(cli) -> dict:
    out = subprocess.run([str(cli), "schema"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def number_range(s: dict):
    """(min, max, zero allowed, whole) of a numeric schema, or None."""
    if "anyOf" in s:
        for alt in s["anyOf"]:
            r = number_range(alt)
            if r:
                return (r[0], r[1], True, r[3])
        return None
    if s.get("type") not in ("number", "integer"):
        return None
    return (s["minimum"], s["maximum"], False, s["type"] == "integer")


def numeric_fields(schema: dict):
    """(kind, dotted path) of every numeric field of every layer kind, from the schema."""
    out = []

    def walk(kind, prefix, props):
        for name, s in props.items():
            path = f"{prefix}.{name}" if prefix else name
            if number_range(s):
                out.append((kind, path))
            elif "properties" in s:
                walk(kind, path, s["properties"])
            elif "properties" in s.get("items", {}):
                walk(kind, path, s["items"]["properties"])

    for k in schema["properties"]["layers"]["items"]["oneOf"]:
        walk(k["properties"]["type"]["const"], "", k["properties"])
    return out


def base_layer(kind: str) -> dict:
    anim = [{"property": "rotation", "from": 0, "to": 10, "duration": 1}]
    return {
        "rect": {"type": "rect", "width": 40, "height": 20, "animations": anim,
                 "border": {"width": 2, "color": "#fff"}},
        "ellipse": {"type": "ellipse", "width": 40, "height": 20, "animations": anim,
                    "border": {"width": 2, "color": "#fff"}},
        "image": {"type": "image", "src": RED_PNG, "width": 20, "animations": anim},
        "text": {"type": "text", "text": "LIVE", "animations": anim,
                 "outline": {"width": 1, "color": "#000"},
                 "shadow": {"dx": 2, "dy": 2, "blur": 1},
                 "background": {"color": "#123", "padding": 2, "radius": 2}},
        "input": {"type": "input", "input": "cam1", "width": 40, "height": 20, "animations": anim,
                  "crop": {"x": 0, "y": 0, "width": 10, "height": 10}},
    }[kind]


# The scene input the input layers show (an input layer must name one).
INPUTS = {"cam1": {"type": "rtmp", "key": "hostile-test-key"}}


def with_value(kind: str, path: str, v: float) -> dict:
    layer = json.loads(json.dumps(base_layer(kind)))
    cur = layer
    parts = path.split(".")
    for p in parts[:-1]:
        cur = cur[p][0] if p == "animations" else cur[p]
    cur[parts[-1]] = v
    return layer


def test_every_numeric_field_at_the_edges_is_answered_as_the_cli_validates(cli, schema, tmp_path):
    # Audio and video layers need files: the core's hostile test covers their fields.
    cases = [(k, p, v) for k, p in numeric_fields(schema) if k not in ("audio", "video") for v in EDGES]
    layers = [with_value(k, p, v) for k, p, v in cases]
    scene_file = tmp_path / "edges.json"
    scene_file.write_text(json.dumps({"width": 160, "height": 90, "layers": layers, "inputs": INPUTS}))
    out = subprocess.run([str(cli), "validate", str(scene_file)], capture_output=True, text=True)
    assert out.returncode == 1
    by_layer: dict[int, list[str]] = {}
    for line in out.stderr.splitlines():
        assert line.startswith("error: layers["), line
        rest = line[len("error: layers["):]
        i, msg = rest.split("]", 1)
        by_layer.setdefault(int(i), []).append("layers[0]" + msg)
    refused = 0
    for i, (kind, path, v) in enumerate(cases):
        doc = {"width": 160, "height": 90, "layers": [layers[i]], "inputs": INPUTS}
        if i in by_layer:
            with pytest.raises(streamcomp.SceneError) as e:
                streamcomp.Scene.from_dict(doc)
            assert str(e.value).split("\n") == by_layer[i], (kind, path, v)
            refused += 1
        else:
            scene = streamcomp.Scene.from_dict(doc)
            scene.render(0.5)  # accepted values draw
    assert refused > 100
    assert refused < len(cases)


def test_the_crashes_of_issue_22_are_refused_naming_the_bound():
    for field, message in [
        ("font_size", "layers[0].font_size: must be at least 1, got 1e-308"),
        ("line_height", "layers[0].line_height: must be between 0.1 and 10, got 1e-308"),
    ]:
        with pytest.raises(streamcomp.SceneError) as e:
            streamcomp.Scene.from_dict(
                {"width": 320, "height": 180, "layers": [{"type": "text", "text": "LIVE", field: 1e-308}]}
            )
        assert str(e.value) == message
    scene = streamcomp.Scene(320, 180)
    with pytest.raises(streamcomp.SceneError, match=r"^font_size: must be at most 2000, got 1e"):
        scene.add_layer({"type": "text", "text": "LIVE", "font_size": 1e30})


def fmt_bound(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def expected_message(s: dict, v: float) -> str:
    """The start of the settings table's message for refused value ``v``."""
    lo, hi, zero, whole = number_range(s)
    if whole:
        return f"must be a whole number between {fmt_bound(lo)} and {fmt_bound(hi)}, got "
    if zero and 0 < v < lo:
        return f"must be 0 or at least {fmt_bound(lo)}, got "
    return f"must be between {fmt_bound(0 if zero else lo)} and {fmt_bound(hi)}, got "


def accepts(s: dict, v: float) -> bool:
    lo, hi, zero, whole = number_range(s)
    return (not whole or float(v).is_integer()) and ((zero and v == 0) or lo <= v <= hi)


def test_render_options_take_the_settings_table_ranges(schema, tmp_path):
    scene = streamcomp.Scene(160, 90)
    options = schema["$defs"]["options"]["properties"]
    checked = 0
    for key in ["bitrate", "audio_bitrate", "keyframe_interval", "threads", "fps", "duration"]:
        s = options[key]
        lo, hi, _, whole = number_range(s)
        step = 1 if whole else 0.0001
        for v in [lo, hi, lo - step, hi + step, 1e308, 1e-308, -0.0]:
            if whole and float(v).is_integer() and abs(v) < 1e15:
                v = int(v)
            kwargs = {"duration": 0.001, key: v}
            # An unknown file extension fails after the options are read: an accepted value
            # gets as far as that, without rendering anything.
            with pytest.raises(Exception) as e:
                streamcomp.render_file(scene, str(tmp_path / "out.unknown"), **kwargs)
            msg = str(e.value)
            if accepts(s, v):
                assert not msg.startswith("options."), (key, v, msg)
            else:
                assert isinstance(e.value, streamcomp.SceneError)
                assert msg.startswith(f"options.{key}: {expected_message(s, v)}"), (key, v, msg)
            checked += 1
    assert checked == 42


def test_fades_take_the_settings_table_range(schema):
    s = schema["$defs"]["options"]["properties"]["fade"]
    scene = streamcomp.Scene(160, 90)
    for i, v in enumerate([0, -0.0, 0.001, 3600, 3600.5, 1e-308, -1, 1e308]):
        scene.add_layer({"id": f"f{i}", "type": "rect", "width": 4, "height": 4})
        if accepts(s, v):
            scene.remove_layer(f"f{i}", fade=v)
        else:
            with pytest.raises(streamcomp.SceneError) as e:
                scene.remove_layer(f"f{i}", fade=v)
            assert str(e.value).startswith("fade: " + expected_message(s, v)), str(e.value)
            scene.remove_layer(f"f{i}")
