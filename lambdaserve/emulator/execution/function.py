"""A local Lambda function: N execution environments of real awslambdaric workers.

``Function.invoke`` is the one call both fronts (API Gateway, Invoke API) use. It leases an
environment (warm first, else a new cold one, else ``ThrottledError`` at once), runs the
invocation under Lambda's limits and answers what Lambda would have answered.
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

from lambdaserve.emulator.execution import lambda_text as text
from lambdaserve.emulator.sandbox.container import ContainerImage
from lambdaserve.emulator.sandbox.cpu import CpuLimit
from lambdaserve.errors import EmulatorError

# How a worker is isolated; each one's checks, argv and boot are in emulator/sandbox/.
Sandbox = Literal["process", "namespace", "container"]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    task_root: Path  # cwd of the worker, first on PYTHONPATH, LAMBDA_TASK_ROOT
    environment: Mapping[str, str]  # config.runtime_env(config) + user variables
    handler: str = "lambdaserve.runtime.handler.lambda_handler"
    memory_mb: int = 1024
    timeout_s: float = 30.0
    ephemeral_mb: int = 512
    python: str = sys.executable  # the interpreter that runs `-m awslambdaric`
    extra_pythonpath: tuple[Path, ...] = ()  # e.g. a folder holding awslambdaric for another python
    region: str = "us-east-1"
    concurrency: int = 2
    sandbox: Sandbox = "process"
    # namespace: host folders bound read-only where the worker sees them, e.g. an extracted
    # zip at /var/task; task_root and extra_pythonpath under a bound folder are translated.
    binds: tuple[tuple[Path, str], ...] = ()
    container: ContainerImage | None = None  # container: the unpacked image that runs instead
    init_timeout_s: float = 10.0
    idle_timeout_s: float = 300.0
    # Lambda's CPU share for the memory size (1,769 MB = 1.0) as a CFS quota per environment
    # (emulator/sandbox/cpu.py); None leaves the CPU unlimited.
    cpu_vcpus: float | None = None
    # Environments initialising at once; 0 means one per CPU core. More start only as inits
    # finish, so a burst on a small machine measures the model, not 64 inits sharing 2 cores.
    max_concurrent_inits: int = 0
    # SnapStart: init once in a template process, each new environment a fork of it that runs the
    # after-restore hooks (execution/snapshot.py); process and namespace sandboxes only.
    snapstart: bool = False


class InvokeResult:
    """What one invocation answered. ``log_tail`` and ``max_memory_mb`` come from its REPORT,
    which a front makes after its client has the answer (execution/after_answer.py): reading
    either makes it now if it was not made yet."""

    __slots__ = ("request_id", "payload", "function_error", "duration_ms", "billed_ms", "init_duration_ms",
                 "cold_start", "timed_out", "_log_tail", "_max_memory_mb", "_report")

    def __init__(
        self, *, request_id: str, payload: bytes, function_error: str | None, duration_ms: float,
        billed_ms: int, init_duration_ms: float | None, cold_start: bool, timed_out: bool,
        log_tail: str = "", max_memory_mb: int = 0, report: Callable[[], tuple[str, int]] | None = None,
    ) -> None:
        self.request_id = request_id
        self.payload = payload  # the handler's JSON, or Lambda's error JSON
        self.function_error = function_error  # "Unhandled" on handler error, timeout, crash, init failure
        self.duration_ms = duration_ms
        self.billed_ms = billed_ms
        self.init_duration_ms = init_duration_ms  # set on a cold start
        self.cold_start = cold_start
        self.timed_out = timed_out
        self._log_tail = log_tail
        self._max_memory_mb = max_memory_mb
        self._report = report  # (log tail, Max Memory Used) once the REPORT is made; None: made

    def _made(self) -> None:
        if self._report is not None:
            self._log_tail, self._max_memory_mb = self._report()
            self._report = None

    @property
    def log_tail(self) -> str:
        """This invocation's log lines (START..REPORT); callers take the last 4 KB."""
        self._made()
        return self._log_tail

    @property
    def max_memory_mb(self) -> int:
        self._made()
        return self._max_memory_mb

    def __repr__(self) -> str:
        return (f"InvokeResult(request_id={self.request_id!r}, function_error={self.function_error!r}, "
                f"duration_ms={self.duration_ms:.2f}, cold_start={self.cold_start}, "
                f"timed_out={self.timed_out}, payload={self.payload[:200]!r})")


class ThrottledError(EmulatorError):
    """Every environment is busy and the concurrency limit is reached."""

    status = 429
    error_type = "TooManyRequestsException"

    def __init__(self, concurrency: int) -> None:
        super().__init__(
            "Rate Exceeded.",
            hint=f"All {concurrency} execution environments are busy; raise the concurrency "
            "(serve --concurrency N) or retry with backoff, as Lambda clients must.",
        )


class PayloadTooLargeError(EmulatorError):
    """A synchronous request over Lambda's 6 MB limit."""

    status = 413
    error_type = "RequestEntityTooLargeException"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"{size} byte payload is too large for the RequestResponse invocation type "
            f"(limit {limit} bytes)",
            hint="Lambda caps synchronous requests at 6 MB: send a reference (an S3 key or URL) "
            "instead of the data.",
        )


_LIVE: weakref.WeakSet[Function] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:  # a crash or Ctrl-C that skips close() still leaves no workers
    for function in list(_LIVE):
        function.close()


class Function:
    """A context manager; ``start(prewarm=True)`` initialises one environment ahead."""

    def __init__(
        self,
        spec: FunctionSpec,
        *,
        log_sink: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from lambdaserve.emulator.execution.pool import Pool

        if spec.concurrency < 1:
            raise EmulatorError(
                f"concurrency must be at least 1, not {spec.concurrency}",
                hint="Set serve --concurrency to 1 or more.",
            )
        self.spec = spec
        self._pool = Pool(spec, log_sink=log_sink or (lambda line: None), clock=clock)
        self._started = False
        self._lock = threading.Lock()
        _LIVE.add(self)

    def start(self, prewarm: bool = False) -> Function:
        with self._lock:
            if not self._started:
                self._pool.start()
                self._started = True
        if prewarm:
            self._pool.prewarm()
        return self

    def invoke(
        self, payload: bytes, *, request_id: str | None = None, client_context: str | None = None
    ) -> InvokeResult:
        """Run one synchronous invocation; thread-safe.

        ``client_context`` is the JSON the Invoke API got base64-encoded in X-Amz-Client-Context;
        the worker receives it as Lambda-Runtime-Client-Context (context.client_context).
        """
        self.start()
        return self._pool.invoke(payload, request_id or text.request_id(), client_context)

    @property
    def live_environments(self) -> int:
        """Environments with a worker that is starting, idle or busy."""
        return self._pool.live_count()

    def worker_pids(self) -> list[int]:
        """The process ids of the live environments' workers (e.g. to read /proc/PID/maps)."""
        return self._pool.worker_pids()

    @property
    def memory_limit_kind(self) -> str:
        """How the memory cap is enforced: cgroup2, cgroup1 or watchdog."""
        return self._pool.memory_kind

    @property
    def cpu_limit(self) -> CpuLimit | None:
        """How spec.cpu_vcpus is enforced (None when not asked for); set once started."""
        return self._pool.cpu_limit

    def close(self) -> None:
        """Kill every worker and stop every server; idempotent."""
        self._pool.close()

    def __enter__(self) -> Function:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
