"""SnapStart locally: one template process initialised once, and each new environment a fork of it.

The template runs ``sandbox/shim/lambdaserve_snapshot.py`` (init, then the before-snapshot hooks)
and says "snapshot" over an abstract Unix socket; ``fork`` then asks it for one child per new
execution environment, handing over that environment's Runtime API address and log pipe. The
child runs the real awslambdaric (/restore/next, the after-restore hooks, then invocations).
The template reaps its children and reports their exit statuses on the same socket.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from typing import IO

from lambdaserve.emulator.execution.environment import ExecutionEnvironment, Outcome, State
from lambdaserve.errors import EmulatorError

SOCKET_VARIABLE = "LAMBDASERVE_SNAPSHOT_SOCKET"  # read by the template (shim/lambdaserve_snapshot.py)
TEMPLATE_MODULE = "lambdaserve_snapshot"
_FORK_REPLY_S = 10.0


class ForkedWorker:
    """A restored environment's process. Not our child: the template reaps it and reports."""

    def __init__(self, pid: int, stdout: IO[bytes]) -> None:
        self.pid = pid
        self.stdout: IO[bytes] | None = stdout
        self.returncode: int | None = None
        self._done = threading.Event()

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired(f"restored environment {self.pid}", timeout or 0.0)
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGKILL)

    def exited(self, code: int) -> None:
        self.returncode = code
        self._done.set()


class Snapshot:
    """The template of one SnapStart function: ``ready`` initialises it once, ``fork`` restores."""

    def __init__(self, start_template: Callable[[dict[str, str]], ExecutionEnvironment],
                 init_timeout_s: float) -> None:
        self._start_template = start_template
        self._init_timeout_s = init_timeout_s
        self._lock = threading.Lock()
        self._fork_lock = threading.Lock()
        self._template: ExecutionEnvironment | None = None
        self._control: socket.socket | None = None
        self._replies: queue.Queue[int] = queue.Queue()
        self._children: dict[int, ForkedWorker] = {}
        self._early_exits: dict[int, int] = {}  # reported before fork() registered the child
        self._closed = False
        self.init_duration_ms: float | None = None
        self.snapshots = 0  # how many times init ran (a failed or lost template is made again)

    @property
    def template(self) -> ExecutionEnvironment | None:
        return self._template

    def ready(self) -> Outcome | None:
        """None once the snapshot exists; else how its init failed (the next call tries again)."""
        with self._lock:
            if self._closed:
                raise EmulatorError("the function is closed", hint="Create a new Function.")
            if self._control is not None:
                return None
            name = f"lambdaserve-snapshot-{os.getpid()}-{uuid.uuid4().hex}"
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
                listener.bind("\0" + name)
                listener.listen(1)
                listener.settimeout(0.05)
                began = time.monotonic()
                template = self._start_template({SOCKET_VARIABLE: name})
                self._template = template
                self.snapshots += 1
                control = self._await_snapshot(listener, template)
            if control is None:
                failure = template.wait_ready(1.0)
                template.kill()
                self._template = None
                return failure if failure.kind != "ready" else Outcome("exited", returncode=-9)
            self.init_duration_ms = (time.monotonic() - began) * 1000
            self._control = control
            threading.Thread(target=self._read, args=(control,), name="lambdaserve-snapshot",
                             daemon=True).start()
            return None

    def _await_snapshot(self, listener: socket.socket,
                        template: ExecutionEnvironment) -> socket.socket | None:
        deadline = time.monotonic() + self._init_timeout_s
        control: socket.socket | None = None
        buffered = b""
        while time.monotonic() < deadline and template.state is not State.DEAD:
            if control is None:
                with contextlib.suppress(TimeoutError, BlockingIOError):
                    control, _ = listener.accept()
                    control.settimeout(0.05)
                continue
            with contextlib.suppress(TimeoutError):
                data = control.recv(4096)
                if not data:
                    break
                buffered += data
                if b"\n" in buffered:
                    control.settimeout(None)
                    return control
        if control is not None:
            control.close()
        return None

    def _read(self, control: socket.socket) -> None:
        stream = control.makefile("rb")
        for line in stream:
            message = json.loads(line)
            if "pid" in message:
                self._replies.put(int(message["pid"]))
            elif "exit" in message:
                pid, code = int(message["exit"]), int(message["status"])
                with self._fork_lock:
                    child = self._children.pop(pid, None)
                    if child is None:
                        self._early_exits[pid] = code
                if child is not None:
                    child.exited(code)
        with self._fork_lock:  # the template is gone, and its children died with it (PDEATHSIG)
            orphans, self._children = list(self._children.values()), {}
            if self._control is control:
                self._control = None
        for child in orphans:
            child.exited(-9)

    def fork(self, runtime_api: str) -> ForkedWorker:
        """A new execution environment restored from the snapshot, talking to ``runtime_api``."""
        read, write = os.pipe()
        try:
            with self._fork_lock:
                control = self._control
                if control is None:
                    raise EmulatorError("the SnapStart template is gone",
                                        hint="Invoke again: a new snapshot is taken.")
                request = json.dumps({"runtime_api": runtime_api}).encode() + b"\n"
                socket.send_fds(control, [request], [write])
                try:
                    pid = self._replies.get(timeout=_FORK_REPLY_S)
                except queue.Empty as exc:
                    raise EmulatorError("the SnapStart template did not fork",
                                        hint="Its log above says why.") from exc
                child = ForkedWorker(pid, os.fdopen(read, "rb", buffering=0))
                code = self._early_exits.pop(pid, None)
                if code is None:
                    self._children[pid] = child
            if code is not None:
                child.exited(code)
            return child
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(read)
            raise
        finally:
            os.close(write)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            control, self._control = self._control, None
            template, self._template = self._template, None
        if control is not None:
            with contextlib.suppress(OSError):
                control.shutdown(socket.SHUT_RDWR)
            control.close()
        if template is not None:
            template.kill()
