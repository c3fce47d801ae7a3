"""The environments of one function: leasing, cold starts, Lambda's limits, reaping."""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable

from lambdaserve.emulator.execution import lambda_text as text
from lambdaserve.emulator.execution.environment import ExecutionEnvironment, Outcome, State
from lambdaserve.emulator.execution.function import (
    FunctionSpec,
    InvokeResult,
    PayloadTooLargeError,
    ThrottledError,
)
from lambdaserve.emulator.execution.outcomes import (
    LateReport,
    Usage,
    answered_report,
    answered_result,
    init_failure_result,
    invocation_result,
)
from lambdaserve.emulator.execution.runtime_api import Invocation
from lambdaserve.emulator.execution.snapshot import TEMPLATE_MODULE, Snapshot
from lambdaserve.emulator.execution.worker_process import Spawner, interpreter, kill_group
from lambdaserve.emulator.sandbox.cpu import CpuLimit, make_cpu_cap
from lambdaserve.emulator.sandbox.launch import check_spec, launch
from lambdaserve.emulator.sandbox.memory import MemoryCap, make_cap
from lambdaserve.errors import EmulatorError
from lambdaserve.runtime.limits import SYNC_REQUEST_BYTES
from lambdaserve.runtime.settings import SNAP_START

_WATCHDOG_PERIOD_S = 0.02
_INIT_POLL_S = 0.02  # how often a request queued for an init slot looks again


def init_limit(spec: FunctionSpec) -> int:
    """How many environments may initialise at once: spec.max_concurrent_inits, else the cores."""
    return spec.max_concurrent_inits if spec.max_concurrent_inits > 0 else (os.cpu_count() or 1)


class Pool:
    def __init__(
        self, spec: FunctionSpec, *, log_sink: Callable[[str], None], clock: Callable[[], float],
        cap_factory: Callable[[int], MemoryCap] = make_cap,
    ) -> None:
        self.spec = spec
        self._make_cap = cap_factory
        self._log_sink = log_sink
        self._clock = clock
        self._cv = threading.Condition()
        self._envs: list[ExecutionEnvironment] = []
        self._leased: set[int] = set()
        self._ids = itertools.count(1)
        self._closed = False
        self._spawner: Spawner | None = None
        self._py_version = ""
        self._python = spec.python
        self._arn = text.function_arn(spec.region, spec.name)
        self._init_limit = init_limit(spec)
        self._queued = 0  # requests waiting for an init slot
        self.memory_kind = ""
        self.cpu_limit: CpuLimit | None = None
        # SnapStart's init may take max(130 s, the timeout) at publish time (AWS's limit).
        self._snapshot = (Snapshot(self._start_template, max(130.0, spec.timeout_s))
                          if spec.snapstart else None)

    def start(self) -> None:
        check_spec(self.spec)
        if self.spec.sandbox != "container":  # an image's Python is the image's business
            self._py_version, self._python = interpreter(self.spec.python)
        probe = self._make_cap(self.spec.memory_mb)
        self.memory_kind = probe.kind
        probe.close()
        if self.spec.cpu_vcpus is not None:
            cpu_probe = make_cpu_cap(self.spec.cpu_vcpus)
            self.cpu_limit = cpu_probe.limit
            cpu_probe.close()
        self._spawner = Spawner()
        threading.Thread(target=self._reap, name="lambdaserve-reaper", daemon=True).start()
        if self.memory_kind == "watchdog":
            threading.Thread(target=self._watch_memory, name="lambdaserve-memory", daemon=True).start()

    # -- leasing ---------------------------------------------------------------------------

    def _new_env(self) -> ExecutionEnvironment:  # caller holds self._cv
        cap = self._make_cap(self.spec.memory_mb)
        if self.spec.cpu_vcpus is not None:
            cap.cpu = make_cpu_cap(self.spec.cpu_vcpus)
        env = ExecutionEnvironment(next(self._ids), cap=cap, log_sink=self._log_sink, clock=self._clock)
        self._envs.append(env)
        return env

    def _launch(self, env: ExecutionEnvironment) -> None:
        if self._snapshot is not None:
            self._restore(env, self._snapshot)
            return
        self._start(env)

    def _start(self, env: ExecutionEnvironment, *, module: str = "awslambdaric",
               extra: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> None:
        spec = self.spec
        assert self._spawner is not None
        plan = launch(spec, python=self._python, py_version=self._py_version,
                      log_stream=text.log_stream_name(), module=module)
        plan.env.update(extra or {})
        for key in drop:
            plan.env.pop(key, None)
        # for parity: each environment's init starts with INIT_START (an image's Python is unknown)
        env.log.emit(text.init_start_line(self._py_version or "3.12", spec.region))
        try:
            env.start(self._spawner, plan.argv, plan.env, plan.cwd)
        except BaseException:
            env.kill()
            raise

    # -- SnapStart -------------------------------------------------------------------------

    def _start_template(self, extra: dict[str, str]) -> ExecutionEnvironment:
        """The process every environment of a SnapStart function is forked from, never leased."""
        env = ExecutionEnvironment(0, cap=self._make_cap(self.spec.memory_mb), log_sink=self._log_sink,
                                   clock=self._clock)
        # for parity: a SnapStart function's environments see snap-start, and no log group or
        # stream variables (AWS: "Monitoring for Lambda SnapStart")
        self._start(env, module=TEMPLATE_MODULE,
                    extra={**extra, "AWS_LAMBDA_INITIALIZATION_TYPE": SNAP_START},
                    drop=("AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME"))
        return env

    def _restore(self, env: ExecutionEnvironment, snapshot: Snapshot) -> None:
        failure = snapshot.ready()  # the first one initialises the template, the others wait for it
        template = snapshot.template
        if failure is not None:
            env.fail_init(failure, snapshot.init_duration_ms,
                          list(template.init_log) if template is not None else [])
            return
        try:
            env.restore(snapshot.fork)
        except BaseException:
            env.kill()
            raise

    def prewarm(self) -> None:
        with self._cv:
            if self._closed or len(self._envs) >= self.spec.concurrency:
                return
            env = self._new_env()
        self._launch(env)

    def _initialising(self) -> int:  # caller holds self._cv
        return sum(1 for e in self._envs if e.state is State.INIT)

    def _acquire(self) -> ExecutionEnvironment:
        with self._cv:
            while True:
                if self._closed:
                    raise EmulatorError("the function is closed", hint="Create a new Function.")
                self._envs = [e for e in self._envs if e.state is not State.DEAD or e.env_id in self._leased]
                free = [e for e in self._envs if e.env_id not in self._leased]
                ready = [e for e in free if e.state is State.READY]
                # Most recently used first, so the others go idle and get reaped.
                pick = max(ready, key=lambda e: e.last_used) if ready else next(iter(free), None)
                launch = pick is None
                if pick is not None:
                    break
                if len(self._envs) >= self.spec.concurrency:
                    raise ThrottledError(self.spec.concurrency)
                if self._initialising() < self._init_limit:
                    pick = self._new_env()
                    break
                # Every core is busy with an init: queue until one finishes or a warm one frees up.
                self._queued += 1
                try:
                    self._cv.wait(timeout=_INIT_POLL_S)
                finally:
                    self._queued -= 1
            self._leased.add(pick.env_id)
        if launch:
            try:
                self._launch(pick)
            except BaseException:
                self._release(pick)
                raise
        return pick

    def _release(self, env: ExecutionEnvironment) -> None:
        with self._cv:
            self._leased.discard(env.env_id)
            dead = env.state is State.DEAD
            if dead and env in self._envs:
                self._envs.remove(env)
            if self._queued:  # a request queued for an init slot may take this one
                self._cv.notify_all()
        if dead:
            env.kill()

    def _replace(self, old: ExecutionEnvironment) -> ExecutionEnvironment:
        """A fresh environment in the leased slot of ``old`` (which is killed)."""
        old.kill()
        self._release(old)
        with self._cv:
            new = self._new_env()
            self._leased.add(new.env_id)
        self._launch(new)
        return new

    # -- invoking --------------------------------------------------------------------------

    def invoke(self, payload: bytes, request_id: str, client_context: str | None = None) -> InvokeResult:
        if len(payload) > SYNC_REQUEST_BYTES:
            raise PayloadTooLargeError(len(payload), SYNC_REQUEST_BYTES)
        held = [self._acquire()]
        try:
            return self._invoke(held, payload, request_id, client_context)
        finally:
            self._release(held[0])

    def _emit(self, log: list[str], line: str) -> None:
        log.append(line)
        self._log_sink(line)

    def _invoke(
        self, held: list[ExecutionEnvironment], payload: bytes, request_id: str, client_context: str | None
    ) -> InvokeResult:
        result = self._attempt(held, payload, request_id, client_context, last=False)
        if result is None:  # the warm worker died before it took the request: Lambda starts another
            held[0] = self._replace(held[0])
            result = self._attempt(held, payload, request_id, client_context, last=True)
        assert result is not None
        return result

    def _attempt(
        self, held: list[ExecutionEnvironment], payload: bytes, request_id: str, client_context: str | None,
        *, last: bool,
    ) -> InvokeResult | None:
        spec, env = self.spec, held[0]
        cold = env.invocations == 0
        prelude: list[str] = []
        budget_s, extra_ms = spec.timeout_s, 0.0
        if cold:
            remaining = spec.init_timeout_s - (self._clock() - env.spawned_at)
            ready = env.wait_ready(remaining)
            prelude = list(env.init_log)
            if ready.kind == "timeout":
                # for parity: Lambda retries a >10 s init inside the first invoke, under its timeout
                self._emit(prelude, text.init_report_line(spec.init_timeout_s * 1000, "timeout"))
                phase_start = self._clock()
                env = held[0] = self._replace(env)
                ready = env.wait_ready(spec.timeout_s)
                prelude += env.init_log
                extra_ms = (self._clock() - phase_start) * 1000
                budget_s = spec.timeout_s - extra_ms / 1000
            if ready.kind != "ready":
                return self._init_failed(env, ready, request_id, prelude, extra_ms)
            if env.cap.cpu is not None:  # for parity: init ran on a full vCPU, invokes on the share
                env.cap.cpu.init_done()
        invocation = Invocation(
            request_id=request_id, payload=payload,
            deadline_ms=int((time.time() + budget_s) * 1000), function_arn=self._arn,
            trace_id=text.trace_id(), client_context=client_context,
        )
        started = self._clock()
        try:
            # The worker's next GET waits until the REPORT is made, or a front's answer has gone
            # out (hand_back), so its Runtime API thread does not take the GIL from this one then.
            outcome = env.run(invocation, budget_s, hold=True) if budget_s > 0 else Outcome("timeout")
            if outcome.kind == "undelivered":
                if not last:
                    return None
                outcome = Outcome("exited", returncode=env.returncode)
            duration_ms = (self._clock() - started) * 1000 + extra_ms
            if outcome.kind == "response":  # for parity: the REPORT after the answer
                return self._answered(env, invocation, outcome, duration_ms, cold, prelude)
            # A failure's log (the traceback the runtime printed, END, REPORT) is whole before its
            # answer, so whoever reads the log for its cause on that answer finds it.
            env.end_log()
            return self._finish(env, invocation, outcome, duration_ms, cold, prelude)
        finally:
            env.hand_back(after_answer=True)

    def _answered(
        self, env: ExecutionEnvironment, inv: Invocation, outcome: Outcome, duration_ms: float,
        cold: bool, prelude: list[str],
    ) -> InvokeResult:
        """The handler answered: the rest of its log (what it printed, END, REPORT) waits until the
        client has the answer, as Lambda writes it (env.hand_back), unless its log tail is read first."""
        init_ms = env.init_duration_ms if cold else None

        def make() -> tuple[str, int]:
            env.end_log()
            usage = Usage(duration_ms, self.spec.memory_mb, env.cap.peak_mb(env.pid), init_ms,
                          restored=self._snapshot is not None)
            return answered_report(inv.request_id, inv.log, prelude, usage, self._emit)

        report = LateReport(make)
        env.settle_later(report.settle)
        return answered_result(outcome, inv.request_id, duration_ms, init_ms, cold, report)

    def _finish(
        self, env: ExecutionEnvironment, inv: Invocation, outcome: Outcome, duration_ms: float,
        cold: bool, prelude: list[str],
    ) -> InvokeResult:
        usage = Usage(duration_ms, self.spec.memory_mb, env.cap.peak_mb(env.pid),
                      env.init_duration_ms if cold else None,
                      out_of_memory=outcome.kind == "exited" and env.cap.out_of_memory(),
                      restored=self._snapshot is not None)
        if outcome.kind == "timeout":
            env.kill()  # for parity: a timed-out environment is discarded
        return invocation_result(outcome, inv.request_id, inv.log, prelude, usage, cold, self._emit)

    def _init_failed(
        self, env: ExecutionEnvironment, ready: Outcome, rid: str, prelude: list[str], extra_ms: float
    ) -> InvokeResult:
        init_ms = env.init_duration_ms or (self._clock() - env.spawned_at) * 1000
        usage = Usage(extra_ms, self.spec.memory_mb, env.cap.peak_mb(env.pid), init_ms,
                      out_of_memory=ready.kind == "exited" and env.cap.out_of_memory())
        env.kill()
        return init_failure_result(ready, rid, prelude, usage, self._emit)

    def worker_pids(self) -> list[int]:
        with self._cv:
            return [env.pid for env in self._envs if env.state is not State.DEAD and env.pid]

    def live_count(self) -> int:
        with self._cv:
            return sum(1 for env in self._envs if env.state is not State.DEAD)

    # -- background ------------------------------------------------------------------------

    def _reap(self) -> None:
        period = max(0.05, min(1.0, self.spec.idle_timeout_s / 4))
        while True:
            with self._cv:
                self._cv.wait(timeout=period)
                if self._closed:
                    return
                now = self._clock()
                victims = [
                    e for e in self._envs
                    if e.env_id not in self._leased and e.state is not State.INIT
                    and now - e.last_used >= self.spec.idle_timeout_s
                ]
                for env in victims:
                    self._envs.remove(env)
            for env in victims:
                env.kill()

    def _watch_memory(self) -> None:
        while True:
            with self._cv:
                if self._cv.wait_for(lambda: self._closed, timeout=_WATCHDOG_PERIOD_S):
                    return
                envs = list(self._envs)
            for env in envs:
                if env.proc is not None and env.cap.over_limit(env.pid):
                    env.cap.killed_for_memory = True
                    kill_group(env.proc)  # as the kernel's OOM killer would: SIGKILL

    def close(self) -> None:
        with self._cv:
            self._closed = True
            envs, self._envs = self._envs, []
            self._cv.notify_all()
        for env in envs:
            env.kill()
        if self._snapshot is not None:
            self._snapshot.close()
        if self._spawner is not None:
            self._spawner.close()
