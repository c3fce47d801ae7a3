"""A worker's log when a process the function started escapes the kill and keeps the pipe open:
closing the environment stops at a deadline, keeps the worker's last words and says the log may be
cut, instead of hanging on a pipe that never runs dry or losing the last unterminated line."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from lambdaserve.emulator import Function
from lambdaserve.emulator.execution.worker_log import CUT_NOTE, WorkerLog
from tests.emulator.lambda_helpers import call, spec


class _Counted(list[str]):
    """A log that counts lines instead of keeping them (a flood would fill the memory)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.kept: list[str] = []

    def append(self, line: str) -> None:
        self.count += 1
        if not line.startswith("y"):
            self.kept.append(line)


def _finishes(target: object, *args: object) -> bool:
    """Whether ``target`` returns (a hang guard, far above the deadlines, not a timing)."""
    done = threading.Thread(target=target, args=args, daemon=True)
    done.start()
    done.join(120)
    return not done.is_alive()


def _stop(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def test_drain_and_close_stop_at_their_deadlines_on_a_pipe_that_never_runs_dry() -> None:
    # `yes` writes faster than the log can split lines: a read "until the pipe is empty" never ended
    flood = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    sunk = _Counted()
    log = WorkerLog(sunk.append, "test-flood", drain_s=0.2, close_s=0.2)
    try:
        assert flood.stdout is not None
        log.attach(flood.stdout)
        log.switch(_Counted(), end_line=False)
        assert _finishes(log.drain)
        assert _finishes(log.close)
        assert sunk.kept == [CUT_NOTE] and sunk.count > 1
        assert flood.stdout.closed  # our end: the writer now gets EPIPE, as after Lambda's shutdown
        assert flood.wait(timeout=60) != 0  # and `yes` ends on it
    finally:
        flood.kill()
        flood.wait()


@pytest.mark.parametrize("chatty", [False, True], ids=["silent", "chatty"])
def test_close_is_bounded_when_a_detached_grandchild_holds_stdout(tmp_path: Path, chatty: bool) -> None:
    lines: list[str] = []
    function = Function(spec("escaped_child.handler"), log_sink=lines.append).start()
    pid_file = tmp_path / "grandchild.pid"
    try:
        answer, _ = call(function, {"pid_file": str(pid_file), "chatty": chatty})
        assert answer["child"] == int(pid_file.read_text())
        assert _finishes(function.close)
        # the worker's last print had no newline: it is a line of its own, not lost with the pipe
        assert "last words" in lines
        # the pipe never reached its end: the log says it may be cut, once, after the worker's lines
        assert lines.count(CUT_NOTE) == 1
        assert lines.index(CUT_NOTE) > lines.index("last words")
    finally:
        if pid_file.exists():
            _stop(int(pid_file.read_text()))
