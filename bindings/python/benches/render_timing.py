#!/usr/bin/env python3
"""Times ``Scene.render(t)`` exactly as the Rust example ``embed_timing`` times
``SceneSession::render_rgba``: 10 warm-up frames, then N renders at t = (i + 10) / fps; prints
mean and median ms per call. Compare (same release profile):

    cargo run --release -p streamcomp-core --example embed_timing -- benches/scenes/overlay.json 300
    python bindings/python/benches/render_timing.py benches/scenes/overlay.json 300

(the module built with ``maturin develop --release`` or ``maturin build --release``).
"""

import sys
import time

import streamcomp


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: render_timing.py SCENE.json [FRAMES]")
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    s = streamcomp.Scene.from_file(path)
    fps = s.fps
    for i in range(10):
        s.render(i / fps)
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        frame = s.render((i + 10) / fps)
        times.append((time.perf_counter() - t0) * 1000)
        del frame
    mean = sum(times) / n
    times.sort()
    print(f"{path}: {s.width}x{s.height}, {n} renders: mean {mean:.4f} ms, median {times[n // 2]:.4f} ms")
    assert not frame_owns_data(s)


def frame_owns_data(s: "streamcomp.Scene") -> bool:
    f = s.render(0.0)
    return f.flags.owndata or f.base is None


if __name__ == "__main__":
    main()
