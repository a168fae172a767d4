"""streamcomp: a real-time video compositor.

Compose layers (images, text, shapes, audio) into frames, files and live RTMP streams::

    import streamcomp
    scene = streamcomp.Scene(1280, 720, fps=30)
    scene.add_layer({"type": "text", "id": "t", "text": "Hello", "x": 40, "y": 40, "font_size": 48})
    frame = scene.render(1.5)          # numpy uint8 array, (720, 1280, 4), RGBA
    streamcomp.render_file(scene, "out.mp4", duration=5.0)
    with streamcomp.Stream(scene, urls=["rtmp://localhost/live/key"]) as stream:
        stream.update_layer("t", {"text": "Goodbye"})

Everything is done by the Rust core (``streamcomp._streamcomp``); rendering, encoding and
starting/stopping streams release the GIL. Errors are :class:`SceneError` (a ``ValueError``:
bad scene, layer, option, file or asset; the message names the JSON path) and
:class:`StreamError` (encoding, outputs, a stream used in the wrong state).
"""

import atexit as _atexit
import weakref as _weakref

from ._streamcomp import (
    EventIterator,
    Scene,
    SceneError,
    Stream,
    StreamError,
    __version__,
    render_file,
)

__all__ = [
    "EventIterator",
    "Scene",
    "SceneError",
    "Stream",
    "StreamError",
    "__version__",
    "render_file",
]

# Streams still running when the interpreter exits are stopped gracefully (files finished,
# RTMP queues sent) before Python tears down, instead of being cut off.
# Stream.start() adds each stream here.
_streams: "_weakref.WeakSet[Stream]" = _weakref.WeakSet()


@_atexit.register
def _stop_all() -> None:
    for stream in list(_streams):
        try:
            if stream.running:
                stream.stop()
        except Exception:  # noqa: BLE001 - exiting: nothing left to report to
            pass
