"""One execution environment: a real awslambdaric worker, its Runtime API server and its logs.

States, guarded like cog's WorkerState: INIT -> READY <-> BUSY, and any state -> DEAD.
"""

from __future__ import annotations

import contextlib
import enum
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lambdaserve.emulator.execution.after_answer import after_answer as when_answered
from lambdaserve.emulator.execution.runtime_api import GiveBack, Invocation, Lend, RuntimeApiServer, SendNext
from lambdaserve.emulator.execution.worker_log import WorkerLog
from lambdaserve.emulator.execution.worker_process import Spawner, WorkerProcess, kill_group
from lambdaserve.emulator.sandbox.memory import MemoryCap
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


OutcomeKind = Literal["ready", "response", "error", "init_error", "exited", "timeout", "undelivered"]


# Made on every invocation: slots, not frozen (a frozen __init__ costs ~5x as much); never
# changed after it is made.
@dataclass(slots=True)
class Outcome:
    """How an init or an invocation ended."""

    kind: OutcomeKind
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
        self._clock = clock
        self._cv = threading.Condition()
        self._state = State.INIT
        self._current: Invocation | None = None
        self._delivered = False
        self._outcome: Outcome | None = None
        self._queued: Invocation | None = None  # run() while the worker finishes its last one
        self._init_error: Outcome | None = None
        self._returncode: int | None = None
        self._proc: WorkerProcess | None = None
        self._parked: SendNext | None = None  # a worker's GET /next, answered by run()
        self._lend: Lend | None = None  # and how run() then reads the answer on its own thread
        self._give_back: GiveBack | None = None  # the connection run(hold=True) kept lent
        self._settle: Callable[[], None] | None = None  # the last invocation's REPORT, made late
        self._settling = threading.Lock()  # a REPORT is whole before the next START
        self._server = RuntimeApiServer(self)
        self.log = WorkerLog(log_sink, f"lambdaserve-logs-{env_id}")
        self.init_log = self.log.init_log
        self.spawned_at = 0.0
        self.init_duration_ms: float | None = None
        self.invocations = 0
        self.last_used = clock()

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def state(self) -> State:
        return self._state

    @property
    def proc(self) -> WorkerProcess | None:
        return self._proc

    @property
    def returncode(self) -> int:
        """The worker's exit status once it is gone (-9 when it is not known yet)."""
        return self._returncode if self._returncode is not None else -9

    @property
    def pid(self) -> int:
        return self._proc.pid if self._proc is not None else 0

    def _set_state(self, new: State, *, notify: bool = True) -> None:  # caller holds self._cv
        if new not in _ALLOWED[self._state]:
            raise InvalidTransition(f"environment {self.env_id}: {self._state.value} -> {new.value}")
        self._state = new
        if new is State.DEAD:
            self._parked = self._lend = None
        if notify:
            self._cv.notify_all()

    def start(self, spawner: Spawner, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self._server.start()
        env = {**env, "AWS_LAMBDA_RUNTIME_API": self._server.address}
        self.spawned_at = self._clock()
        self._attach(spawner.spawn(argv, env, cwd))

    def restore(self, fork: Callable[[str], WorkerProcess]) -> None:
        """Start as a fork of a SnapStart template (execution/snapshot.py), which gets this
        environment's Runtime API address; its "init" is the restore and the after-restore hooks."""
        self._server.start()
        self.spawned_at = self._clock()
        self._attach(fork(self._server.address))

    def fail_init(self, outcome: Outcome, init_ms: float | None, log: list[str]) -> None:
        """This environment's init is ``outcome``, which happened elsewhere (a SnapStart template)."""
        self.init_log.extend(log)
        with self._cv:
            self.spawned_at = self._clock()
            self.init_duration_ms = init_ms
            self._init_error = outcome
            self._set_state(State.DEAD)
        self._server.close()
        self.cap.close()

    def _attach(self, proc: WorkerProcess) -> None:
        self._proc = proc
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
        if self._proc.stdout is not None:
            self.log.attach(self._proc.stdout)
        threading.Thread(target=self._watch_exit, name=f"lambdaserve-exit-{self.env_id}", daemon=True).start()

    @property
    def runtime_api(self) -> str:
        return self._server.address

    def kill(self) -> None:
        """SIGKILL the worker's whole group and stop its server; idempotent."""
        self.hand_back()  # its thread must not wait for ever
        with self._cv:
            parked = self._parked
            if self._state is not State.DEAD:
                self._set_state(State.DEAD)
        # Killed first, as Lambda does: a runtime told to stop over its parked GET /next
        # (awslambdaric gets a 500) prints a traceback into the function's log before it dies.
        if self._proc is not None:
            kill_group(self._proc)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
            # what it printed before it died lands before its REPORT, not 10 ms later; bounded, as a
            # process it started may have left its group holding the pipe (worker_log.py)
            self.log.close()
        if parked is not None:  # its connection thread waits to be given the connection back
            with contextlib.suppress(OSError):
                parked(None)
        self._server.close()
        self.cap.close()

    def _watch_exit(self) -> None:
        assert self._proc is not None
        code = self._proc.wait()
        self.hand_back()
        self.log.close()
        with self._cv:
            self._returncode = code
            parked = self._parked
            if self._state is not State.DEAD:
                self._set_state(State.DEAD)
        if parked is not None:  # its connection thread waits to be given the connection back
            with contextlib.suppress(OSError):
                parked(None)
        self._server.close()
        self.cap.close()

    # -- waiting ---------------------------------------------------------------------------

    def wait_ready(self, timeout_s: float) -> Outcome:
        with self._cv:
            self._cv.wait_for(lambda: self._state is not State.INIT, timeout=max(0.0, timeout_s))
            # Decided under the lock, at the deadline: an init that timed out is not "ready"
            # because it got there while the log drained, nor a ready one that then died "exited".
            outcome = self._init_outcome()
        # The init log is whole: the reader takes a print 10 ms after it, and init's last lines
        # (printed just before the first GET) were missing from the cold start's log tail.
        self.log.drain()
        return outcome

    def _init_outcome(self) -> Outcome:
        if self._state is State.READY:
            return Outcome("ready")
        if self._init_error is not None:
            return self._init_error
        if self._returncode is not None:
            return Outcome("exited", returncode=self._returncode)
        if self._state is State.DEAD:
            return Outcome("exited", returncode=-9)
        return Outcome("timeout")

    def run(self, invocation: Invocation, timeout_s: float, *, hold: bool = False) -> Outcome:
        """Hand the invocation to the worker and wait for its answer, its death or the deadline.

        A worker still finishing its last invocation gets this one with its next GET, as on
        Lambda; one that dies before taking it (e.g. crashing after its answer) yields
        "undelivered", and one that never asks again times it out. With ``hold``, a connection
        this thread read the answer from stays lent until ``hand_back()``: the worker's next GET
        is then read by its own thread after the caller's work, not during it, and the invocation's
        log stays open until ``end_log()``.
        """
        self.hand_back()  # the last invocation's REPORT and connection, if they wait for a client
        with self._cv:
            if self._state is State.INIT:
                raise InvalidTransition(f"environment {self.env_id}: run before init finished")
            if self._state is State.DEAD:
                return Outcome("undelivered")
            send = lend = None
            if self._state is State.READY:
                self._set_state(State.BUSY)
                send, self._parked = self._parked, None
                lend, self._lend = self._lend, None
                self._current, self._delivered, self._outcome = invocation, send is not None, None
            else:  # the Runtime API thread hands it over at the worker's GET: no wake-up here
                self._queued = invocation
        deadline = time.monotonic() + max(0.0, timeout_s)
        if send is not None:  # from this thread: no Runtime API thread to wake for it
            self._deliver(invocation, send)
            if lend is not None:  # and the answer is read here too, from the same connection
                give_back = lend(lambda: self._answered(invocation) or self._state is State.DEAD, deadline)
                if hold:
                    with self._cv:
                        self._give_back = give_back
                else:
                    give_back()
        with self._cv:
            self._cv.wait_for(lambda: self._answered(invocation) or self._state is State.DEAD,
                              timeout=max(0.0, deadline - time.monotonic()))
            taken, dead, code = self._current is invocation, self._is_dead(), self._returncode
            outcome = self._outcome if taken else None
            if self._queued is invocation:
                self._queued = None
            if taken:
                self._current = None
        if dead and not taken:
            return Outcome("undelivered")
        if dead and outcome is None:
            outcome = Outcome("exited", returncode=code if code is not None else -9)
        self.invocations += 1
        self.last_used = self._clock()
        if not hold:
            self.end_log()
        return outcome or Outcome("timeout")

    def end_log(self) -> None:
        """Close the last invocation's log: everything it printed before its POST is in the pipe."""
        self.log.switch([], end_line=True)

    def settle_later(self, settle: Callable[[], None]) -> None:
        """``settle`` (the last invocation's END and REPORT) runs at ``hand_back()``, before the
        connection goes back: so before the worker's next GET is read and the next START."""
        with self._cv:
            self._settle = settle

    def hand_back(self, *, after_answer: bool = False) -> None:
        """Make the REPORT that waits, then give a connection that run(hold=True) kept lent back
        to its thread; idempotent. ``after_answer``: once the client has its answer (inside
        ``answer_first()``), else now. A second caller waits until the first is done."""
        if after_answer:
            when_answered(self.hand_back)
            return
        with self._settling:
            with self._cv:
                settle, self._settle = self._settle, None
                give_back, self._give_back = self._give_back, None
            try:
                if settle is not None:
                    settle()
            finally:
                if give_back is not None:
                    give_back()

    def _is_dead(self) -> bool:  # a method, not a narrowed field: another thread may have killed it
        return self._state is State.DEAD

    def _answered(self, invocation: Invocation) -> bool:  # caller holds self._cv
        return self._current is invocation and self._outcome is not None

    # -- Runtime API channel (server threads) ----------------------------------------------

    def _asked(self) -> None:  # the worker asks for work; caller holds self._cv
        if self._state is State.INIT:
            self.init_duration_ms = (self._clock() - self.spawned_at) * 1000
            self._set_state(State.READY)
        elif self._state is State.BUSY and self._outcome is not None:  # done with the last one
            self._set_state(State.READY, notify=self._queued is None)
        if self._state is State.READY and self._queued is not None:
            # Taken at once: the queued run() waits for the answer, not for these two steps.
            self._set_state(State.BUSY, notify=False)
            self._current, self._delivered, self._outcome = self._queued, False, None
            self._queued = None

    def _pending(self) -> bool:  # caller holds self._cv
        return self._current is not None and not self._delivered

    def _begin(self, invocation: Invocation) -> None:
        self.log.switch(invocation.log, end_line=False)
        self.log.emit(f"START RequestId: {invocation.request_id} Version: $LATEST")

    def _deliver(self, invocation: Invocation, send: SendNext) -> None:
        self._begin(invocation)
        try:
            send(invocation)
        except OSError:  # the connection broke: the worker's next GET gets it, if it lives
            with self._cv:
                if self._current is invocation and self._outcome is None:
                    self._delivered = False

    def park(self, send: SendNext, lend: Lend | None = None) -> bool:
        """GET /invocation/next without a waiting thread: ``send`` answers it later, and run()
        reads the answer through ``lend``. True when parked (False: answered now)."""
        with self._cv:
            self._asked()
            if self._state is not State.DEAD and not self._pending():
                self._parked, self._lend = send, lend
                return True
            invocation = self._current if self._state is not State.DEAD else None
            self._delivered = True
        if invocation is None:
            send(None)
        else:
            self._deliver(invocation, send)
        return False

    def next_invocation(self) -> Invocation | None:
        with self._cv:
            self._asked()
            self._cv.wait_for(lambda: self._state is State.DEAD or self._pending())
            if self._state is State.DEAD or self._current is None:
                return None
            self._delivered = True
            invocation = self._current
        self._begin(invocation)
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
        self.log.emit(message)
