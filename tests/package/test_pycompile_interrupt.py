"""Ctrl-C during `compiling .pyc`: no further target-Python slice starts (a build took ~15 s to stop).

The layer compiles in a thread beside the strip; Ctrl-C reaches the main thread, which sets the stop.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.errors import BuildError
from lambdaserve.package.deps.interpreters import Interpreter
from lambdaserve.package.deps.pycompile import MANY, SLICES, compile_tree

HERE = Interpreter(Path(sys.executable), ".".join(map(str, sys.version_info[:3])), "x86_64")


def _tree(root: Path) -> Path:
    for number in range(MANY + 1):  # enough files for SLICES processes
        (root / f"m{number}.py").write_text(f"VALUE = {number}\n")
    return root


class Recording:
    """A runner that records each slice it is asked to run and answers as a compile that worked."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.calls: list[list[str]] = []
        self.stop = stop
        self.lock = threading.Lock()

    def __call__(self, args: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        with self.lock:
            self.calls.append(args)
        if self.stop is not None:
            self.stop.set()  # Ctrl-C reached the build's main thread while this slice ran
        return subprocess.CompletedProcess(args, 0, "", "")


def test_a_stop_set_by_the_caller_starts_no_slice(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()  # the layer's thread sets it when Ctrl-C lands in the build's main thread
    runner = Recording()
    with pytest.raises(BuildError, match="stopped"):
        compile_tree(_tree(tmp_path), HERE, runner=runner, stop=stop)
    assert runner.calls == []


def test_a_stop_set_while_a_slice_runs_starts_no_further_one(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 1)  # one slice at a time: the others queue behind it
    stop = threading.Event()
    runner = Recording(stop)
    with pytest.raises(BuildError, match="stopped"):
        compile_tree(_tree(tmp_path), HERE, runner=runner, stop=stop)
    assert len(runner.calls) == 1 < SLICES  # before: every slice ran, then the build stopped
