"""One execution environment: a real awslambdaric worker, its Runtime API server and its logs.

States, guarded like cog's WorkerState: INIT -> READY <-> BUSY, and any state -> DEAD.
"""

from __future__ import annotations

import contextlib
import enum
import os
import select
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lambdaserve.emulator.memory import MemoryCap
from lambdaserve.emulator.runtime_api import Invocation, RuntimeApiServer
from lambdaserve.emulator.worker_process import Spawner, kill_group
from lambdaserve.errors import EmulatorError


class State(enum.Enum):
    INIT = "init"
    READY = "ready"
    BUSY = "busy"
    DEAD = "dead"


_ALLOWED = {
    State.INIT: {State.READY, State.DEAD},
    State.READY: {State.BUSY, State.DEAD},
    State.BUSY: {State.READY, State.DEAD},
    State.DEAD: set(),
}


class InvalidTransition(RuntimeError):
    """A bug in the emulator, never a user error."""


@dataclass(frozen=True)
class Outcome:
    """How an init or an invocation ended."""

    kind: str  # ready | response | error | init_error | exited | timeout | undelivered
    body: bytes = b""
    error_type: str | None = None
    returncode: int | None = None


class ExecutionEnvironment:
    def __init__(
        self, env_id: int, *, cap: MemoryCap, log_sink: Callable[[str], None],
        clock: Callable[[], float],
    ) -> None:
        self.env_id = env_id
        self.cap = cap
        self._log_sink = log_sink
        self._clock = clock
        self._cv = threading.Condition()
        self._state = State.INIT
        self._current: Invocation | None = None
        self._delivered = False
        self._outcome: Outcome | None = None
        self._init_error: Outcome | None = None
        self._returncode: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._server = RuntimeApiServer(self)
        self._log_lock = threading.Lock()
        self._partial = b""
        self.init_log: list[str] = []
        self._log_target: list[str] = self.init_log
        self.spawned_at = 0.0
        self.init_duration_ms: float | None = None
        self.invocations = 0
        self.last_used = clock()

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def state(self) -> State:
        return self._state

    @property
    def proc(self) -> subprocess.Popen[bytes] | None:
        return self._proc

    @property
    def returncode(self) -> int:
        """The worker's exit status once it is gone (-9 when it is not known yet)."""
        return self._returncode if self._returncode is not None else -9

    @property
    def pid(self) -> int:
        return self._proc.pid if self._proc is not None else 0

    def _set_state(self, new: State) -> None:  # caller holds self._cv
        if new not in _ALLOWED[self._state]:
            raise InvalidTransition(f"environment {self.env_id}: {self._state.value} -> {new.value}")
        self._state = new
        self._cv.notify_all()

    def start(self, spawner: Spawner, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self._server.start()
        env = {**env, "AWS_LAMBDA_RUNTIME_API": self._server.address}
        self.spawned_at = self._clock()
        self._proc = spawner.spawn(argv, env, cwd)
        adopted = self.cap.adopt(self._proc.pid)
        with self._cv:
            closed = self._state is State.DEAD
        if closed or not adopted:  # the function closed while this worker was being forked
            kill_group(self._proc)
        if not adopted:
            self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            raise EmulatorError(
                f"cannot move the worker into its memory cgroup {self.cap.cgroup}",
                hint="Check that the cgroup filesystem is writable, or run without root.",
            )
        threading.Thread(target=self._read_logs, name=f"lambdaserve-logs-{self.env_id}", daemon=True).start()
        threading.Thread(target=self._watch_exit, name=f"lambdaserve-exit-{self.env_id}", daemon=True).start()

    @property
    def runtime_api(self) -> str:
        return self._server.address

    def kill(self) -> None:
        """SIGKILL the worker's whole group and stop its server; idempotent."""
        with self._cv:
            if self._state is not State.DEAD:
                self._set_state(State.DEAD)
        if self._proc is not None:
            kill_group(self._proc)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
        self._server.close()
        self.cap.close()

    def _watch_exit(self) -> None:
        assert self._proc is not None
        code = self._proc.wait()
        self.drain_logs()
        with self._cv:
            self._returncode = code
            if self._state is not State.DEAD:
                self._set_state(State.DEAD)
        self._server.close()
        self.cap.close()

    # -- waiting ---------------------------------------------------------------------------

    def wait_ready(self, timeout_s: float) -> Outcome:
        with self._cv:
            self._cv.wait_for(lambda: self._state is not State.INIT, timeout=max(0.0, timeout_s))
            if self._state is State.READY:
                return Outcome("ready")
            if self._init_error is not None:
                return self._init_error
            if self._returncode is not None:
                return Outcome("exited", returncode=self._returncode)
            if self._state is State.DEAD:
                return Outcome("exited", returncode=-9)
            return Outcome("timeout")

    def run(self, invocation: Invocation, timeout_s: float) -> Outcome:
        """Hand the invocation to the worker and wait for its answer, its death or the deadline.

        The worker is READY again only once it asks for the next invocation, as on Lambda; one
        that dies in between (e.g. crashing after its answer) yields "undelivered".
        """
        with self._cv:
            if self._state is State.INIT:
                raise InvalidTransition(f"environment {self.env_id}: run before init finished")
            self._cv.wait_for(lambda: self._state is not State.BUSY, timeout=max(0.0, timeout_s))
            if self._state is State.DEAD:
                return Outcome("undelivered")
            if self._state is State.BUSY:  # never asked for work again
                return Outcome("timeout")
            self._set_state(State.BUSY)
            self._current, self._delivered, self._outcome = invocation, False, None
            self._cv.notify_all()
            self._cv.wait_for(
                lambda: self._outcome is not None or self._state is State.DEAD, timeout=max(0.0, timeout_s)
            )
            outcome = self._outcome
            if outcome is None and self._state is State.DEAD:
                code = self._returncode
                outcome = Outcome("exited", returncode=code if code is not None else -9)
            if outcome is None:
                outcome = Outcome("timeout")
            self._current = None
        self.invocations += 1
        self.last_used = self._clock()
        self.drain_logs()  # everything printed before the POST is in the pipe by now
        with self._log_lock:
            if self._partial:  # a print without a newline still belongs to this invocation
                self._take(b"\n")
            self._log_target = []
        return outcome

    # -- Runtime API channel (server threads) ----------------------------------------------

    def next_invocation(self) -> Invocation | None:
        with self._cv:
            if self._state is State.INIT:
                self.init_duration_ms = (self._clock() - self.spawned_at) * 1000
                self._set_state(State.READY)
            elif self._state is State.BUSY and self._outcome is not None:  # done with the last one
                self._set_state(State.READY)
            self._cv.wait_for(
                lambda: self._state is State.DEAD or (self._current is not None and not self._delivered)
            )
            if self._state is State.DEAD or self._current is None:
                return None
            self._delivered = True
            invocation = self._current
        self.drain_logs()
        with self._log_lock:
            self._log_target = invocation.log
        self.emit(f"START RequestId: {invocation.request_id} Version: $LATEST")
        return invocation

    def post_response(self, request_id: str, body: bytes) -> bool:
        return self._finish(request_id, Outcome("response", body))

    def post_error(self, request_id: str, body: bytes, error_type: str) -> bool:
        return self._finish(request_id, Outcome("error", body, error_type))

    def _finish(self, request_id: str, outcome: Outcome) -> bool:
        with self._cv:
            current = self._current
            if current is None or current.request_id != request_id or self._outcome is not None:
                return False
            self._outcome = outcome
            self._cv.notify_all()
            return True

    def post_init_error(self, body: bytes, error_type: str) -> None:
        with self._cv:
            self.init_duration_ms = (self._clock() - self.spawned_at) * 1000
            self._init_error = Outcome("init_error", body, error_type)
            if self._state is State.INIT:
                self._set_state(State.DEAD)

    def server_error(self, message: str) -> None:
        self.emit(message)

    # -- logs ------------------------------------------------------------------------------

    def emit(self, line: str) -> None:
        """Append one line to the current invocation's log (or the init log) and the sink."""
        with self._log_lock:
            self._log_target.append(line)
        self._log_sink(line)

    def _take(self, data: bytes) -> None:  # caller holds self._log_lock
        data = self._partial + data
        *lines, self._partial = data.split(b"\n")
        for raw in lines:
            line = raw.decode(errors="replace").rstrip("\r")
            self._log_target.append(line)
            self._log_sink(line)

    def _read_logs(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while True:
            try:
                select.select([fd], [], [])
            except (OSError, ValueError):
                return
            with self._log_lock:
                if not self._read_available(fd):
                    self._proc.stdout.close()  # under the lock: drain_logs never sees a reused fd
                    return

    def _read_available(self, fd: int) -> bool:
        """Read what the pipe holds without blocking; False at end of file."""
        while select.select([fd], [], [], 0)[0]:
            data = os.read(fd, 65536)
            if not data:
                if self._partial:
                    self._take(b"\n")
                return False
            self._take(data)
        return True

    def drain_logs(self) -> None:
        """Take every byte the worker wrote so far, so a log tail misses nothing."""
        if self._proc is None or self._proc.stdout is None:
            return
        with self._log_lock:
            if self._proc.stdout.closed:
                return
            with contextlib.suppress(OSError, ValueError):
                self._read_available(self._proc.stdout.fileno())
