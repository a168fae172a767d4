#!/usr/bin/env python3
"""Renders one frame of a scene, prints a few facts about it, and saves it as a PNG.

    python examples/python/render_frame.py [SCENE.json] [--at SECONDS] [-o frame.png]

Without a scene it builds one in code: a title over a bar with a fade-in.
"""

import argparse
import time

import streamcomp


def built_in_scene() -> streamcomp.Scene:
    scene = streamcomp.Scene(1280, 720, fps=30)
    scene.add_layer({"id": "bg", "type": "rect", "x": 0, "y": 0, "width": 1280, "height": 720, "color": "#101820"})
    scene.add_layer({"id": "bar", "type": "rect", "x": 0, "y": 580, "width": 1280, "height": 110,
                     "color": "#000000b0", "radius": 12})
    scene.add_layer({"id": "title", "type": "text", "text": "Hello from Python", "x": 40, "y": 600,
                     "font_size": 56, "color": "#ffffff", "outline": {"width": 2, "color": "#000000"},
                     "animations": [{"property": "opacity", "from": 0, "to": 1, "duration": 0.5}]})
    return scene


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scene", nargs="?", help="a scene JSON file (default: a scene built in code)")
    ap.add_argument("--at", type=float, default=1.0, help="scene time in seconds (default 1)")
    ap.add_argument("-o", "--output", default="frame.png", help="PNG to write (default frame.png)")
    args = ap.parse_args()

    scene = streamcomp.Scene.from_file(args.scene) if args.scene else built_in_scene()
    if not args.scene:
        scene.update_layer("title", {"color": "#ffd166"})

    t0 = time.perf_counter()
    frame = scene.render(args.at)  # numpy uint8 array (height, width, 4), RGBA, no copy
    ms = (time.perf_counter() - t0) * 1000
    h, w, _ = frame.shape
    print(f"{w}x{h} frame at t={args.at}s rendered in {ms:.1f} ms")
    print(f"layers: {', '.join(layer['id'] for layer in scene.layers())}")
    print(f"top-left pixel RGBA: {frame[0, 0].tolist()}, mean colour: {frame[..., :3].mean(axis=(0, 1)).round(1).tolist()}")
    scene.save_png(args.output, t=args.at)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
