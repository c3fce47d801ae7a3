"""A worker's log: its stdout and stderr pipe, split into lines for the current log and the sink.

Lines go to the init log until the first invocation, then to each invocation's own log; the
switch points drain the pipe first, so every line lands in the log it was printed during.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable
from typing import IO

# Output stays live to within this pause. The reader waits it out *before* reading: a worker
# prints its request's log just before it posts the answer, and the invoking thread drains the
# pipe right after, so the reader (woken by the print) does not hold the GIL, reading and
# sinking lines, at the moment the answer arrives; at most it finds what is left.
_BATCH_S = 0.01
_READ_BYTES = 65536


class WorkerLog:
    def __init__(self, sink: Callable[[str], None], name: str) -> None:
        self._sink = sink
        self._name = name
        self._lock = threading.Lock()
        self._partial = b""
        self._pipe: IO[bytes] | None = None
        self.init_log: list[str] = []
        self._target: list[str] = self.init_log

    def attach(self, pipe: IO[bytes]) -> None:
        """Start reading the worker's pipe in a daemon thread."""
        self._pipe = pipe
        os.set_blocking(pipe.fileno(), False)  # reads take what is there; select() waits
        threading.Thread(target=self._read_loop, name=self._name, daemon=True).start()

    def emit(self, line: str) -> None:
        """Append one line to the current log (an invocation's, or the init log) and the sink."""
        with self._lock:
            self._target.append(line)
        self._sink(line)

    def switch(self, target: list[str], *, end_line: bool) -> None:
        """Drain the pipe, then send later lines to ``target``; ``end_line`` closes a pending
        print without a newline in the current log first."""
        self.drain(quick=True)
        with self._lock:
            if end_line and self._partial:
                self._take(b"\n")
            self._target = target

    def drain(self, *, quick: bool = False) -> None:
        """Take every byte the worker wrote so far, so a log tail misses nothing; ``quick``: stop
        at a short read (the pipe gave all it held) rather than read on to EAGAIN or end of file
        (an invocation's switches, on the request's path)."""
        with self._lock:
            if self._pipe is None or self._pipe.closed:
                return
            try:
                self._read_available(self._pipe.fileno(), quick)
            except (OSError, ValueError):
                return

    def _take(self, data: bytes) -> None:  # caller holds self._lock
        data = self._partial + data
        *lines, self._partial = data.split(b"\n")
        for raw in lines:
            line = raw.decode(errors="replace").rstrip("\r")
            self._target.append(line)
            self._sink(line)

    def _read_loop(self) -> None:
        assert self._pipe is not None
        fd = self._pipe.fileno()
        while True:
            try:
                select.select([fd], [], [])
            except (OSError, ValueError):
                return
            time.sleep(_BATCH_S)
            with self._lock:
                if not self._read_available(fd):
                    self._pipe.close()  # under the lock: drain never sees a reused fd
                    return

    def _read_available(self, fd: int, quick: bool = False) -> bool:
        """Read what the pipe holds without blocking; False at end of file."""
        while True:
            try:
                data = os.read(fd, _READ_BYTES)
            except BlockingIOError:
                return True
            if not data:
                if self._partial:
                    self._take(b"\n")
                return False
            self._take(data)
            if quick and len(data) < _READ_BYTES:  # a pipe read takes all it holds: empty now
                return True
