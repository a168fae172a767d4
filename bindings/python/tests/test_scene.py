"""Scene: constructors, properties, layer changes and their errors, rendered pixels, PNG."""

from __future__ import annotations

import json

import numpy as np
import pytest

import streamcomp
from conftest import SCENES
from pngread import read_png

RED = [255, 0, 0, 255]
BLUE = [0, 0, 255, 255]


def rect(id: str, color: str, **kw) -> dict:
    layer = {"id": id, "type": "rect", "x": 0, "y": 0, "width": 64, "height": 36, "color": color}
    layer.update(kw)
    return layer


def test_exceptions_are_exported_with_their_bases():
    assert issubclass(streamcomp.SceneError, ValueError)
    assert issubclass(streamcomp.StreamError, Exception)
    assert not issubclass(streamcomp.StreamError, ValueError)
    assert streamcomp.SceneError.__module__ == "streamcomp"
    assert isinstance(streamcomp.__version__, str) and streamcomp.__version__


def test_blank_scene_properties_and_defaults():
    s = streamcomp.Scene(320, 180)
    assert (s.width, s.height, s.fps) == (320, 180, 30.0)
    s = streamcomp.Scene(640, 360, fps=25)
    assert (s.width, s.height, s.fps) == (640, 360, 25.0)
    assert s.layers() == []
    assert repr(s) == "Scene(640x360, fps=25, layers=0)"
    frame = s.render(0.0)
    # Default background: opaque black.
    assert frame.shape == (360, 640, 4)
    assert (frame == np.array([0, 0, 0, 255], dtype=np.uint8)).all()


def test_blank_scene_refuses_bad_sizes():
    with pytest.raises(streamcomp.SceneError, match=r"^width: "):
        streamcomp.Scene(15, 180)
    with pytest.raises(streamcomp.SceneError, match=r"^fps: "):
        streamcomp.Scene(320, 180, fps=500)
    with pytest.raises(OverflowError):
        streamcomp.Scene(-2, 180)


def test_from_file_loads_assets_relative_to_the_file():
    s = streamcomp.Scene.from_file(SCENES / "lower-third.json")
    assert (s.width, s.height, s.fps) == (1280, 720, 30.0)
    ids = [layer["id"] for layer in s.layers()]
    assert ids == ["studio", "bar", "accent", "logo", "name", "role"]
    frame = s.render(1.5)
    assert frame.shape == (720, 1280, 4)
    # The studio photo covers the whole frame: not the plain background everywhere.
    assert len(np.unique(frame[:500, :, :3].reshape(-1, 3), axis=0)) > 100
    # str paths work too.
    assert streamcomp.Scene.from_file(str(SCENES / "logo-bug.json")).width > 0


def test_from_file_errors():
    with pytest.raises(streamcomp.SceneError, match="nope.json"):
        streamcomp.Scene.from_file("/nonexistent/nope.json")


def test_from_json_and_from_dict():
    doc = {"width": 64, "height": 36, "background": "#00ff00", "layers": [rect("a", "#ff0000", width=32)]}
    for s in (streamcomp.Scene.from_json(json.dumps(doc)), streamcomp.Scene.from_dict(doc)):
        f = s.render(0)
        assert f[0, 0].tolist() == RED
        assert f[0, 40].tolist() == [0, 255, 0, 255]
    with pytest.raises(streamcomp.SceneError):
        streamcomp.Scene.from_json("{not json")
    bad = dict(doc, layers=[rect("a", "#ff0000", opacity=1.5)])
    with pytest.raises(streamcomp.SceneError, match=r"layers\[0\]\.opacity: must be between 0 and 1, got 1.5"):
        streamcomp.Scene.from_json(json.dumps(bad))
    # The core's kind and JSON path as attributes, as the server's error body gives them.
    with pytest.raises(streamcomp.SceneError) as e:
        streamcomp.Scene.from_json(json.dumps(bad))
    assert (e.value.kind, e.value.path) == ("invalid", "layers[0].opacity")
    s = streamcomp.Scene.from_dict(doc)
    with pytest.raises(streamcomp.SceneError) as e:
        s.update_layer("nope", {"x": 1})
    assert e.value.kind == "not_found"
    assert (streamcomp.SceneError.kind, streamcomp.StreamError.path) == ("invalid", "")
    with pytest.raises(streamcomp.SceneError, match=r"colour"):
        streamcomp.Scene.from_dict(dict(doc, colour="red"))


def test_add_layer_returns_the_stored_layer_with_a_generated_id():
    s = streamcomp.Scene(64, 36)
    a = s.add_layer({"type": "rect", "width": 64, "height": 36, "color": "#ff0000"})
    assert a["id"] and a["type"] == "rect" and a["color"] == "#ff0000"
    b = s.add_layer(rect("top", "#0000ff", width=10))
    assert b["id"] == "top"
    assert [l["id"] for l in s.layers()] == [a["id"], "top"]
    assert s.layer("top") == b
    assert s.layer("missing") is None
    f = s.render(0)
    assert f[0, 0].tolist() == BLUE
    assert f[0, 20].tolist() == RED
    with pytest.raises(streamcomp.SceneError, match="top"):
        s.add_layer(rect("top", "#00ff00"))


def test_bad_layer_names_the_json_path_and_leaves_the_scene_unchanged():
    s = streamcomp.Scene(64, 36)
    s.add_layer(rect("a", "#ff0000"))
    with pytest.raises(streamcomp.SceneError) as e:
        s.add_layer(rect("b", "#00ff00", opacity=1.5))
    assert str(e.value) == "opacity: must be between 0 and 1, got 1.5"
    assert isinstance(e.value, ValueError)
    with pytest.raises(streamcomp.SceneError, match=r"^border\.width: "):
        s.add_layer(rect("c", "#00ff00", border={"width": -3, "color": "#fff"}))
    with pytest.raises(streamcomp.SceneError, match=r"animations\[0\]\.property"):
        s.add_layer(rect("d", "#00ff00", animations=[{"property": "colour", "to": 1, "duration": 1}]))
    with pytest.raises(streamcomp.SceneError, match=r"type"):
        s.add_layer({"type": "triangle"})
    assert [l["id"] for l in s.layers()] == ["a"]
    assert s.render(0)[0, 0].tolist() == RED


def test_values_that_are_not_json_are_refused_with_their_path():
    s = streamcomp.Scene(64, 36)
    with pytest.raises(streamcomp.SceneError, match=r"^width: cannot be given as JSON: a value of type `object`"):
        s.add_layer(rect("a", "#ff0000", width=object()))
    with pytest.raises(streamcomp.SceneError, match=r"^animations\[0\]\.to: must be a finite number"):
        s.add_layer(rect("a", "#ff0000", animations=[{"property": "x", "to": float("nan"), "duration": 1}]))
    with pytest.raises(streamcomp.SceneError, match=r"keys must be strings"):
        s.add_layer({"type": "rect", 1: 2})
    with pytest.raises(streamcomp.SceneError, match=r"integer out of range"):
        s.add_layer(rect("a", "#ff0000", x=2**70))


def test_numpy_scalars_tuples_and_bools_convert():
    s = streamcomp.Scene(64, 36)
    layer = s.add_layer(
        {"id": "n", "type": "rect", "x": np.int64(0), "y": np.float32(0.0), "width": np.int32(64),
         "height": 36, "color": "#ff0000", "visible": True, "animations": ()}
    )
    assert layer["width"] == 64 and type(layer["width"]) is int
    assert layer["visible"] is True
    assert s.render(0)[10, 10].tolist() == RED
    s.update_layer("n", {"visible": np.bool_(False)})
    assert s.render(0)[10, 10].tolist() == [0, 0, 0, 255]


def test_update_layer_merges_and_removes_keys():
    s = streamcomp.Scene(64, 36)
    s.add_layer(rect("a", "#ff0000", radius=4))
    out = s.update_layer("a", {"color": "#0000ff", "radius": None})
    assert out["color"] == "#0000ff" and "radius" not in out
    assert s.render(0)[0, 0].tolist() == BLUE
    with pytest.raises(streamcomp.SceneError, match="nope"):
        s.update_layer("nope", {"color": "#000"})
    with pytest.raises(streamcomp.SceneError, match=r"^opacity: must be between 0 and 1, got 2"):
        s.update_layer("a", {"opacity": 2})
    assert s.layer("a")["color"] == "#0000ff"


def test_update_layer_with_a_transition_moves_over_time():
    for transition in ({"duration": 1.0, "easing": "linear"}, 1.0):
        s = streamcomp.Scene(64, 36, fps=30)
        s.add_layer(rect("a", "#ffffff", width=16, height=16))
        s.render(1.0)  # changes apply at the time of the last render
        s.update_layer("a", {"x": 40}, transition=transition)
        # Halfway through: x is 20, so the box covers 20..36.
        mid = s.render(1.5)
        assert mid[8, 25].tolist() == [255, 255, 255, 255]
        assert mid[8, 5].tolist() == [0, 0, 0, 255]
        end = s.render(2.5)
        assert end[8, 45].tolist() == [255, 255, 255, 255]
        assert end[8, 25].tolist() == [0, 0, 0, 255]
    with pytest.raises(streamcomp.SceneError, match=r"^transition\.easing"):
        s.update_layer("a", {"x": 0}, transition={"duration": 1, "easing": "wobbly"})
    with pytest.raises(streamcomp.SceneError, match=r"^transition"):
        s.update_layer("a", {"x": 0}, transition={"duration": 1, "speed": 2})


def test_remove_layer_with_and_without_fade():
    s = streamcomp.Scene(64, 36)
    s.add_layer(rect("a", "#ffffff"))
    s.add_layer(rect("b", "#ff0000", width=8))
    s.remove_layer("b")
    assert [l["id"] for l in s.layers()] == ["a"]
    assert s.render(0)[0, 0].tolist() == [255, 255, 255, 255]
    s.render(2.0)
    s.remove_layer("a", fade=1.0)
    assert s.layers() == []  # gone from the document at once, still fading out on screen
    half = s.render(2.5)[0, 0]
    assert 100 < half[0] < 160, half  # white fading over black, about half way
    assert s.render(3.5)[0, 0].tolist() == [0, 0, 0, 255]
    with pytest.raises(streamcomp.SceneError, match="nope"):
        s.remove_layer("nope")
    s.add_layer(rect("c", "#ffffff"))
    with pytest.raises(streamcomp.SceneError, match=r"^fade: "):
        s.remove_layer("c", fade=-1)


def test_render_hands_the_bytes_to_numpy_without_a_copy():
    s = streamcomp.Scene(64, 36)
    s.add_layer(rect("a", "#ff0000"))
    f = s.render(0.25)
    assert f.dtype == np.uint8 and f.shape == (36, 64, 4)
    assert f.flags.c_contiguous
    assert not f.flags.owndata
    assert f.base is not None
    assert f.tobytes() == bytes([255, 0, 0, 255]) * (64 * 36)
    # Every render gives a new array: changing one does not change the next.
    f[:] = 0
    assert s.render(0.25)[0, 0].tolist() == RED


def test_straight_alpha_on_a_transparent_background():
    s = streamcomp.Scene.from_dict({"width": 32, "height": 16, "background": "transparent",
                                    "layers": [rect("a", "#00ff0080", width=16)]})
    f = s.render(0)
    px = f[4, 4].tolist()
    assert px[0] == 0 and px[2] == 0 and abs(px[1] - 255) <= 1 and px[3] == 128
    assert f[4, 31].tolist() == [0, 0, 0, 0]


def test_half_transparent_layer_over_an_opaque_background():
    s = streamcomp.Scene.from_dict({"width": 32, "height": 16, "background": "#102030",
                                    "layers": [rect("a", "#ff000080")]})
    r, g, b, a = s.render(0)[4, 4].tolist()
    k = 128 / 255
    assert a == 255
    assert abs(r - (255 * k + 0x10 * (1 - k))) <= 1.5
    assert abs(g - 0x20 * (1 - k)) <= 1.5
    assert abs(b - 0x30 * (1 - k)) <= 1.5


def test_animation_follows_scene_time():
    s = streamcomp.Scene(64, 36)
    s.add_layer(rect("a", "#ffffff", animations=[{"property": "opacity", "from": 0, "to": 1, "duration": 1}]))
    assert s.render(0.0)[0, 0].tolist() == [0, 0, 0, 255]
    assert 120 <= s.render(0.5)[0, 0][0] <= 135
    assert s.render(1.0)[0, 0].tolist() == [255, 255, 255, 255]


def test_render_refuses_a_bad_time():
    s = streamcomp.Scene(64, 36)
    with pytest.raises(streamcomp.SceneError, match=r"^t: "):
        s.render(-1.0)
    with pytest.raises(streamcomp.SceneError, match=r"^t: "):
        s.render(float("nan"))


def test_save_png_writes_the_rendered_pixels(tmp_path):
    s = streamcomp.Scene.from_file(SCENES / "lower-third.json")
    path = tmp_path / "frame.png"
    s.save_png(path, t=1.2)
    w, h, rgba = read_png(path)
    assert (w, h) == (1280, 720)
    assert rgba == s.render(1.2).tobytes()
    s.save_png(str(tmp_path / "default.png"))
    assert read_png(tmp_path / "default.png")[2] == s.render(0.0).tobytes()
    with pytest.raises(streamcomp.StreamError, match="cannot write"):
        s.save_png(tmp_path / "missing-dir" / "x.png")


def test_to_json_and_to_dict_round_trip():
    s = streamcomp.Scene.from_file(SCENES / "logo-bug.json")
    s.add_layer(rect("extra", "#123456", x=10, y=10))
    again = streamcomp.Scene.from_json(s.to_json())
    doc = s.to_dict()
    assert isinstance(doc, dict) and doc["width"] == s.width
    assert [l["id"] for l in doc["layers"]][-1] == "extra"
    assert json.loads(s.to_json()) == doc
    # The scene file's assets are relative to its folder; the JSON copy resolves against the
    # working directory, so compare a scene without images.
    plain = streamcomp.Scene(64, 36)
    plain.add_layer(rect("a", "#336699", rotation=15, width=20))
    assert streamcomp.Scene.from_json(plain.to_json()).render(0.3).tobytes() == plain.render(0.3).tobytes()
    assert again.width == s.width and len(again.layers()) == len(s.layers())


def test_asset_errors_name_the_layer_field(tmp_path):
    s = streamcomp.Scene(64, 36)
    with pytest.raises(streamcomp.SceneError, match=r"src"):
        s.add_layer({"id": "img", "type": "image", "src": str(tmp_path / "missing.png")})
    assert s.layers() == []
