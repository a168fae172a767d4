#!/usr/bin/env python3
"""Renders a scene into a video file with a progress bar on the terminal.

    python examples/python/render_file.py [SCENE.json] [-o out.mp4] [--duration 5] [--codec h264]

Without a scene it uses examples/scenes/lower-third.json. The render runs with the GIL released;
the progress callable is called as frames are done (at most ten times a second).
"""

import argparse
import shutil
import sys
import time
from pathlib import Path

import streamcomp

DEFAULT_SCENE = Path(__file__).resolve().parents[1] / "scenes" / "lower-third.json"


class ProgressBar:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def __call__(self, frame: int, total: int) -> None:
        width = max(10, min(50, shutil.get_terminal_size((80, 20)).columns - 40))
        done = int(width * frame / total)
        elapsed = time.monotonic() - self.start
        fps = frame / elapsed if elapsed > 0 else 0.0
        eta = (total - frame) / fps if fps > 0 else 0.0
        sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {frame}/{total} {fps:5.1f} fps ETA {eta:4.1f} s")
        if frame == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scene", nargs="?", default=str(DEFAULT_SCENE))
    ap.add_argument("-o", "--output", default="out.mp4", help=".mp4, .flv, .ivf, .h264 or .y4m")
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--codec", default="h264", help="h264 (default) or av1")
    ap.add_argument("--bitrate", type=int, default=None, help="kbit/s")
    ap.add_argument("--size", default=None, help="WxH, e.g. 640x360 (default: the scene's)")
    args = ap.parse_args()

    options = {}
    if args.bitrate:
        options["bitrate"] = args.bitrate
    if args.size:
        w, h = args.size.lower().split("x")
        options.update(width=int(w), height=int(h))

    scene = streamcomp.Scene.from_file(args.scene)
    try:
        summary = streamcomp.render_file(scene, args.output, duration=args.duration, codec=args.codec,
                                         progress=ProgressBar(), **options)
    except (streamcomp.SceneError, streamcomp.StreamError) as e:
        sys.exit(f"error: {e}")
    speed = summary["duration"] / summary["elapsed_seconds"] if summary["elapsed_seconds"] else 0
    print(f"wrote {summary['path']}: {summary['frames']} frames, {summary['bytes'] / 1e6:.2f} MB, "
          f"{summary['fps']} fps ({speed:.1f}x real time)")
    print("time spent: " + ", ".join(f"{k} {v:.2f} s" for k, v in summary["seconds"].items()))


if __name__ == "__main__":
    main()
