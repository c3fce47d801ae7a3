"""A worker's log: its stdout and stderr pipe, split into lines for the current log and the sink.

Lines go to the init log until the first invocation, then to each invocation's own log; the
switch points drain the pipe first, so every line lands in the log it was printed during.

Every read is bounded in time: a process the function started may leave the worker's process
group (setsid, a daemon) and keep the pipe open, silent or writing without end, so the pipe may
never reach its end and a read "until empty" may never stop. ``close`` (once the worker is dead)
waits for the end up to a deadline, then stops reading, says the log may be cut, and closes our
end, so the process that escaped writes into a closed pipe as it would after Lambda's shutdown.
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
# How long a drain reads a pipe that never runs dry (the reader thread takes the rest), and how long
# close waits for the pipe's end once the worker is dead (its group's last exits take milliseconds).
DRAIN_S = 1.0
CLOSE_S = 1.0
CUT_NOTE = ("[lambdaserve] the log may be cut here: a process the function started outlived the worker "
            "and kept its output open; what it writes from now on is dropped")


class WorkerLog:
    def __init__(self, sink: Callable[[str], None], name: str, *, drain_s: float = DRAIN_S,
                 close_s: float = CLOSE_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._sink = sink
        self._name = name
        self._drain_s = drain_s
        self._close_s = close_s
        self._clock = clock
        self._lock = threading.Lock()
        self._closing = threading.Lock()  # one close reads to the end; a second waits for it
        self._partial = b""
        self._pipe: IO[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._stop: tuple[int, int] | None = None  # a pipe that wakes the reader to leave the log to close
        self.init_log: list[str] = []
        self._target: list[str] = self.init_log

    def attach(self, pipe: IO[bytes]) -> None:
        """Start reading the worker's pipe in a daemon thread."""
        self._pipe = pipe
        os.set_blocking(pipe.fileno(), False)  # reads take what is there; select() waits
        self._stop = os.pipe()
        self._reader = threading.Thread(target=self._read_loop, name=self._name, daemon=True)
        self._reader.start()

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
        (an invocation's switches, on the request's path). A pipe that never runs dry is read
        for ``drain_s`` at most: the reader thread takes the rest."""
        with self._lock:
            if self._pipe is None or self._pipe.closed:
                return
            try:
                self._read_available(self._pipe.fileno(), quick, until=self._clock() + self._drain_s)
            except (OSError, ValueError):
                return

    def close(self) -> bool:
        """Once the worker is dead: read the pipe to its end, for ``close_s`` at most, then close
        it. False (and a line saying the log may be cut) when something else still held it open."""
        with self._closing:
            reader, stop = self._reader, self._stop
            if reader is None or stop is None:  # never attached, or closed already
                return True
            os.write(stop[1], b"x")
            reader.join()  # it leaves the pipe to us: no read races ours, no fd is closed under us
            self._reader = self._stop = None
            for fd in stop:
                os.close(fd)
            whole = self._read_to_end(self._clock() + self._close_s)
            with self._lock:
                if self._partial:  # the last print without a newline is a line of its own
                    self._take(b"\n")
                if not whole:
                    self._target.append(CUT_NOTE)
                    self._sink(CUT_NOTE)
                if self._pipe is not None:
                    self._pipe.close()
            return whole

    def _read_to_end(self, until: float) -> bool:
        """True when the pipe reached its end before ``until``."""
        if self._pipe is None or self._pipe.closed:
            return True
        fd = self._pipe.fileno()
        while True:
            with self._lock:
                if not self._read_available(fd, until=until):
                    return True
            left = until - self._clock()
            if left <= 0:
                return False
            select.select([fd], [], [], left)

    def _take(self, data: bytes) -> None:  # caller holds self._lock
        data = self._partial + data
        *lines, self._partial = data.split(b"\n")
        for raw in lines:
            line = raw.decode(errors="replace").rstrip("\r")
            self._target.append(line)
            self._sink(line)

    def _read_loop(self) -> None:
        assert self._pipe is not None and self._stop is not None
        fd, stop = self._pipe.fileno(), self._stop[0]
        while True:
            try:
                ready, _, _ = select.select([fd, stop], [], [])
            except (OSError, ValueError):
                return
            if stop in ready:  # close() reads the rest and closes the pipe
                return
            time.sleep(_BATCH_S)
            with self._lock:
                if not self._read_available(fd, until=self._clock() + self._drain_s):
                    self._pipe.close()  # under the lock: drain never sees a reused fd
                    return

    def _read_available(self, fd: int, quick: bool = False, until: float | None = None) -> bool:
        """Read what the pipe holds without blocking, until ``until`` at most; False at end of file."""
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
            if until is not None and self._clock() >= until:
                return True
