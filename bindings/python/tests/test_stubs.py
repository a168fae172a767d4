"""The type stubs (streamcomp/__init__.pyi) match the module: mypy's stubtest compares every
name, signature and default with the runtime, and the examples type-check against the stubs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO


def mypy(*args: str, cwd) -> subprocess.CompletedProcess:
    try:
        import mypy  # noqa: F401
    except ImportError:
        pytest.fail("mypy is not installed: pip install mypy (scripts/test-python.sh does)")
    # In a scratch folder, so mypy's cache does not land in the repository.
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_stubs_match_the_runtime(tmp_path):
    out = mypy("mypy.stubtest", "streamcomp", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_examples_type_check_against_the_stubs(tmp_path):
    examples = sorted(str(p) for p in (REPO / "examples" / "python").glob("*.py"))
    out = mypy("mypy", "--no-incremental", *examples, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
