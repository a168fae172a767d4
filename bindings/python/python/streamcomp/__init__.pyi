"""Type stubs of streamcomp (the Rust extension ``streamcomp._streamcomp``)."""

import os
from types import TracebackType
from typing import Any, Callable, Dict, Iterator, List, Optional, Type, Union, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "EventIterator",
    "Scene",
    "SceneError",
    "Stream",
    "StreamError",
    "__version__",
    "render_file",
]

__version__: str

_Layer = Dict[str, Any]
"""A layer in the scene format (``{"type": "rect", "x": 0, ...}``), see the scene reference."""
_Event = Dict[str, Any]
"""An event of a live stream: ``{"state": "started" | "output_started" | "reconnecting" |
"reconnected" | "frames_dropped" | "layer_failed" | "file_done" | "error" | "stopped", ...}``."""
_Status = Dict[str, Any]
"""A stream's status: ``state``, ``outputs`` (each ``target``, ``kind``: rtmp, srt, udp, hls,
file or recording, ``state``, ``bytes``, ``bitrate_kbps``, ``reconnects``, ``dropped_packets``,
``last_error``, ``detail``), ``codec``, ``resolution``, ``fps``,
``uptime_seconds``, ``frames`` (``rendered``, ``encoded``, ``dropped``), ``worker_restarts``,
``bitrate_kbps``, ``layers``, ``last_error``."""
_Transition = Union[Dict[str, Any], float, int]
"""``{"duration": seconds, "easing": "ease-in-out"}`` or a number of seconds."""
_PathLike = Union[str, "os.PathLike[str]"]

class SceneError(ValueError):
    """A scene, layer, option, file or asset was refused; the message names the JSON path of
    the bad value (``opacity: must be between 0 and 1, got 1.5``)."""

    kind: str
    """The core's error kind: ``invalid``, ``not_found``, ``conflict``, ``limit``, ``full``,
    ``unsupported``, ``io``, ``network`` or ``internal``."""
    path: str
    """The JSON path of the bad value (``layers[0].opacity``), or ``""``."""

class StreamError(Exception):
    """Encoding, an output or a stream failed, or a stream was used in the wrong state."""

    kind: str
    """The core's error kind (as :attr:`SceneError.kind`)."""
    path: str
    """The JSON path of the bad value, or ``""``."""

@final
class Scene:
    """A scene (size, frame rate, background, layers) with a compositor to render it.

    _Layer changes apply at the scene time of the last render (0 before the first)."""

    def __new__(cls, width: int, height: int, fps: float = 30.0) -> "Scene":
        """An empty scene: even ``width`` 16–7680 and ``height`` 16–4320, ``fps`` 1–120."""
    @staticmethod
    def from_file(path: _PathLike) -> "Scene":
        """Loads a scene file; relative asset paths resolve against the file's folder."""
    @staticmethod
    def from_json(text: str) -> "Scene":
        """Parses a scene document; relative asset paths resolve against the working directory."""
    @staticmethod
    def from_dict(doc: Dict[str, Any]) -> "Scene":
        """Reads a scene document given as a dict (assets relative to the working directory)."""
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def fps(self) -> float: ...
    @property
    def clock_start(self) -> Optional[str]:
        """Wall-clock time of scene time 0 for ``{time}`` text (RFC 3339), ``None`` until set;
        set it to render a clock the same way every time (``render_file`` uses it too)."""
    @clock_start.setter
    def clock_start(self, value: str) -> None: ...
    def add_layer(self, layer: _Layer) -> _Layer:
        """Adds a layer; returns it as stored, with its generated ``id``."""
    def update_layer(
        self, id: str, patch: Dict[str, Any], transition: Optional[_Transition] = None
    ) -> _Layer:
        """Merges ``patch`` into layer ``id`` (``None`` values remove keys), moving numeric
        properties over ``transition`` when given. Returns the layer as stored."""
    def remove_layer(self, id: str, fade: Optional[float] = None) -> None:
        """Removes layer ``id``, fading it out over ``fade`` seconds when given."""
    def layers(self) -> List[_Layer]:
        """Every layer, bottom to top."""
    def layer(self, id: str) -> Optional[_Layer]:
        """One layer, or ``None``."""
    def to_json(self) -> str:
        """The scene document as JSON text."""
    def to_dict(self) -> Dict[str, Any]:
        """The scene document as a dict."""
    def render(self, t: float = 0.0) -> npt.NDArray[np.uint8]:
        """The frame at scene time ``t`` seconds: ``uint8`` array ``(height, width, 4)``,
        straight RGBA, owning the rendered bytes (no copy). Releases the GIL."""
    def save_png(self, path: _PathLike, t: float = 0.0) -> None:
        """Renders the frame at ``t`` into a PNG file. Releases the GIL."""

_ProgressCallback = Callable[[int, int], Any]
"""Called as ``progress(frames_done, total_frames)``."""

def render_file(
    scene: Scene,
    path: _PathLike,
    duration: float,
    codec: str = "h264",
    progress: Optional[_ProgressCallback] = None,
    *,
    bitrate: Optional[int] = ...,
    width: Optional[int] = ...,
    height: Optional[int] = ...,
    fps: Optional[float] = ...,
    audio: Optional[bool] = ...,
    audio_codec: Optional[str] = ...,
    audio_bitrate: Optional[int] = ...,
    keyframe_interval: Optional[float] = ...,
    quality: Optional[str] = ...,
    threads: Optional[int] = ...,
    encoder: Optional[str] = ...,
    preset: Optional[str] = ...,
    hwaccel: Optional[str] = ...,
    clock_start: Optional[str] = ...,
) -> Dict[str, Any]:
    """Renders ``duration`` seconds of ``scene`` into ``path`` (``.mp4``, ``.flv``, ``.ivf``,
    ``.h264``, ``.y4m``) as fast as possible, with the GIL released. ``progress(frame, total)``
    is called at most ten times a second and for the last frame. Returns a summary: ``frames``,
    ``duration``, ``bytes``, ``elapsed_seconds``, ``fps``, ``audio``, ``seconds`` (``compose``,
    ``convert``, ``encode``, ``mux``), ``path``."""

_EventCallback = Callable[[_Event], Any]

@final
class EventIterator(Iterator[_Event]):
    def __iter__(self) -> "EventIterator": ...
    def __next__(self) -> _Event: ...

@final
class Stream:
    """A live stream of a scene, in real time, to ``urls``: ``rtmp://``/``rtmps://``,
    ``srt://HOST:PORT?mode=caller|listener&latency=MS&passphrase=…``, ``udp://HOST:PORT``, HLS
    playlists (``out/index.m3u8?list_size=6&segment_type=ts|fmp4``), recordings in parts
    (``rec/%Y%m%d-%H%M%S.mp4?segment=600``) and files; encoded once."""

    def __new__(
        cls,
        scene: Scene,
        urls: Optional[List[str]] = None,
        on_event: Optional[_EventCallback] = None,
        *,
        duration: Optional[float] = ...,
        codec: Optional[str] = ...,
        bitrate: Optional[int] = ...,
        audio: Optional[bool] = ...,
        audio_codec: Optional[str] = ...,
        audio_bitrate: Optional[int] = ...,
        keyframe_interval: Optional[float] = ...,
        quality: Optional[str] = ...,
        threads: Optional[int] = ...,
        encoder: Optional[str] = ...,
        preset: Optional[str] = ...,
        hwaccel: Optional[str] = ...,
        ca_file: Optional[str] = ...,
        ingest: Optional[str] = ...,
    ) -> "Stream":
        """Options are checked here (``SceneError`` naming ``options.<key>``); nothing starts
        before ``start()`` or ``with``."""
    @property
    def running(self) -> bool:
        """Started and not yet stopped (by ``stop()``, its ``duration`` or an error)."""
    def start(self) -> None:
        """Starts with the scene as it is now. Releases the GIL."""
    def stop(self) -> _Status:
        """Stops gracefully and returns the final status; every event has been delivered to
        the callbacks by then. Idempotent. Releases the GIL."""
    def status(self) -> _Status: ...
    def inputs(self) -> List[Dict[str, Any]]:
        """Every live input of the scene with its status (``name``, ``type``, ``state``:
        waiting/live/stalled/reconnecting, ``codec``, ``frames``, ``repeated``, ``dropped``, …);
        never a key or passphrase."""
    def set_input(self, name: str, doc: Dict[str, Any]) -> Dict[str, Any]:
        """Adds live input ``name`` or replaces it (``doc`` as in the scene's ``inputs``);
        returns its status."""
    def remove_input(self, name: str) -> None:
        """Removes live input ``name`` (``SceneError`` while a layer shows it)."""
    def add_layer(self, layer: _Layer) -> _Layer:
        """Adds a layer to the live scene; returns it with its ``bounds``."""
    def update_layer(
        self, id: str, patch: Dict[str, Any], transition: Optional[_Transition] = None
    ) -> _Layer: ...
    def media(self, id: str, action: Union[str, Dict[str, Any], None] = None, **fields: Any) -> _Layer:
        """A media action on video layer ``id`` now: ``media("clip", "seek", t=5.0)``,
        ``media("clip", {"action": "pause"})``, ``"resume"``, ``"next"``, or
        ``media("clip", "queue", item={"src": "b.mp4"})``. Returns the layer with its
        ``media`` status (``state``, ``item``, ``position``, ``duration``, ``lap``)."""
    def remove_layer(self, id: str, fade: Optional[float] = None) -> None: ...
    def layers(self) -> List[_Layer]:
        """Every layer of the live scene, bottom to top, with its ``bounds``."""
    def next_event(self, timeout: Optional[float] = None) -> Optional[_Event]:
        """The next event, or ``None`` on timeout or once the stream ended and all were read."""
    def events(self, timeout: Optional[float] = None) -> EventIterator:
        """Iterates over events until the stream ended (or none came for ``timeout`` s)."""
    def on_event(self, callback: _EventCallback) -> _EventCallback:
        """Calls ``callback(event)`` for every later event, from a background thread."""
    def __enter__(self) -> "Stream": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
