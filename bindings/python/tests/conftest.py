"""Shared fixtures: paths of the repository, a real nginx-rtmp server on a free loopback port
(Debian ``nginx-light`` + ``libnginx-mod-rtmp``, as the Rust tests in
``streamcomp-core/tests/support/mod.rs`` start it), and ffprobe helpers. Missing programs fail
the tests that need them with what to install; nothing is skipped silently."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[3]
SCENES = REPO / "examples" / "scenes"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"


def require(program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"`{program}` is not installed: apt-get install {package}")
    return path


def ffprobe_json(target: str | os.PathLike, *args: str, timeout: float = 30) -> dict:
    """ffprobe's JSON for a file or URL (``-show_streams`` unless other sections are asked)."""
    require("ffprobe", "ffmpeg")
    cmd = ["ffprobe", "-v", "error", "-of", "json", *(args or ("-show_streams",)), str(target)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"ffprobe {target}: {out.stderr}"
    return json.loads(out.stdout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """An nginx-rtmp child process: application ``live``, recording every stream to
    ``DIR/rec/KEY.flv``. Stopped by the fixture."""

    def __init__(self, directory: Path) -> None:
        require("nginx", "nginx-light")
        if not Path(RTMP_MODULE).exists():
            pytest.fail(
                f"{RTMP_MODULE} is missing: apt-get install nginx-light libnginx-mod-rtmp"
            )
        self.dir = directory
        self.port = free_port()
        rec = directory / "rec"
        rec.mkdir(parents=True, exist_ok=True)
        conf = directory / "nginx.conf"
        conf.write_text(
            f"""load_module {RTMP_MODULE};
daemon off;
master_process off;
error_log stderr warn;
pid {directory}/nginx.pid;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{self.port};
        chunk_size 4096;
        application live {{
            live on;
            record all;
            record_path {rec};
            record_unique off;
        }}
    }}
}}
"""
        )
        self.proc = subprocess.Popen(
            ["nginx", "-e", "stderr", "-c", str(conf), "-p", str(directory)],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    pytest.fail(f"nginx exited with {self.proc.returncode}")
                if time.monotonic() > deadline:
                    pytest.fail(f"nginx did not listen on {self.port}")
                time.sleep(0.02)

    def url(self, key: str) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live/{key}"

    def recording(self, key: str) -> Path:
        return self.dir / "rec" / f"{key}.flv"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[Nginx]:
    server = Nginx(tmp_path / "nginx")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `streamcomp` command line built by `cargo build -p streamcomp-cli` (the test script
    builds it); CARGO_TARGET_DIR is honoured."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    exe = target / "debug" / "streamcomp"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: run `cargo build -p streamcomp-cli` (scripts/test-python.sh does)")
    return exe
