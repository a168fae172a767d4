#!/usr/bin/env python3
"""A live scoreboard: streams examples/scenes/scoreboard.json and updates it every second
(score changes slide in with a transition; events are printed as they come).

    python examples/python/scoreboard.py rtmp://localhost/live/KEY [--seconds 30]
    python examples/python/scoreboard.py scoreboard.flv --seconds 10      # or record to a file

Several destinations may be given; the stream is encoded once for all of them. Ctrl-C stops
gracefully (files finished, RTMP queues sent).
"""

import argparse
import random
import time
from pathlib import Path

import streamcomp

SCENE = Path(__file__).resolve().parents[1] / "scenes" / "scoreboard.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("urls", nargs="+", help="rtmp:// or rtmps:// URLs, or files (.flv, .mp4, ...)")
    ap.add_argument("--seconds", type=float, default=30.0, help="how long to run (default 30; 0: until Ctrl-C)")
    ap.add_argument("--bitrate", type=int, default=2500, help="kbit/s (default 2500)")
    args = ap.parse_args()

    scene = streamcomp.Scene.from_file(SCENE)
    home, away = 0, 0
    rng = random.Random(7)

    def show(event: dict) -> None:  # called from a background thread
        details = {k: v for k, v in event.items() if k != "state"}
        print(f"event: {event['state']} {details if details else ''}", flush=True)

    with streamcomp.Stream(scene, urls=args.urls, on_event=show, bitrate=args.bitrate) as stream:
        start = time.monotonic()
        tick = 0
        try:
            while args.seconds <= 0 or time.monotonic() - start < args.seconds:
                time.sleep(1.0)
                tick += 1
                if rng.random() < 0.25:
                    if rng.random() < 0.5:
                        home += 1
                    else:
                        away += 1
                    # The score text changes; its box pulses with a short transition.
                    stream.update_layer("score", {"text": f"{home} – {away}", "scale": 1.2})
                    stream.update_layer("score", {"scale": 1.0}, transition={"duration": 0.4, "easing": "ease-out"})
                status = stream.status()
                print(f"t={tick:3d}s  {home}-{away}  state={status['state']}  frames={status['frames']['encoded']}"
                      f"  dropped={status['frames']['dropped']}  {status['bitrate_kbps']} kbit/s", flush=True)
        except KeyboardInterrupt:
            print("stopping…", flush=True)
    final = stream.stop()
    print(f"final: {final['state']}, {final['frames']['encoded']} frames encoded, "
          f"{final['frames']['dropped']} dropped, uptime {final['uptime_seconds']} s")


if __name__ == "__main__":
    main()
