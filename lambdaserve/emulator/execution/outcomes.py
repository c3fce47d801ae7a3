"""Turning how an invocation ended into what Lambda answers and logs (pure; no processes)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from lambdaserve.emulator.execution import lambda_text as text
from lambdaserve.emulator.execution.environment import Outcome
from lambdaserve.emulator.execution.function import InvokeResult

Emit = Callable[[list[str], str], None]  # append a line to a log and pass it to the sink


# Made on every invocation: slots, not frozen (a frozen __init__ costs ~5x as much); never
# changed after it is made.
@dataclass(slots=True)
class Usage:
    """The REPORT line's numbers."""

    duration_ms: float
    memory_mb: int
    max_memory_mb: int
    init_ms: float | None
    out_of_memory: bool = False  # the memory cap killed the worker
    restored: bool = False  # SnapStart: init_ms is the restore's (and its after-restore hooks')


def _report(emit: Emit, log: list[str], rid: str, usage: Usage, timed_out: bool,
            error_type: str | None = None) -> None:
    emit(log, text.end_line(rid))
    status = "timeout" if timed_out else ("error" if error_type else None)
    emit(log, text.report_line(rid, usage.duration_ms, usage.memory_mb, usage.max_memory_mb, usage.init_ms,
                               status=status, error_type=error_type, restored=usage.restored))
    if timed_out:
        emit(log, text.timeout_message(rid, usage.duration_ms / 1000))


def _result(
    rid: str, body: bytes, error: str | None, lines: list[str], usage: Usage, cold: bool, timed_out: bool
) -> InvokeResult:
    return InvokeResult(
        request_id=rid, payload=body, function_error=error,
        log_tail="".join(line + "\n" for line in lines), duration_ms=usage.duration_ms,
        billed_ms=text.billed_ms(usage.duration_ms), init_duration_ms=usage.init_ms,
        max_memory_mb=usage.max_memory_mb, cold_start=cold, timed_out=timed_out,
    )


def invocation_result(
    outcome: Outcome, rid: str, log: list[str], prelude: list[str], usage: Usage, cold: bool, emit: Emit
) -> InvokeResult:
    """An invocation the worker took: answered, raised, died or timed out."""
    error: str | None = "Unhandled"
    died: str | None = None  # the error type of a runtime that exited
    if outcome.kind == "response":
        body, error = outcome.body, None
    elif outcome.kind == "error":
        body = outcome.body
    elif outcome.kind == "exited":
        code = outcome.returncode if outcome.returncode is not None else -9
        body = text.exit_payload(rid, code, out_of_memory=usage.out_of_memory)
        died = text.exit_error_type(usage.out_of_memory)
        emit(log, f"RequestId: {rid} Error: Runtime exited with error: {text.exit_reason(code)}")
        emit(log, died)
    else:
        body = text.timeout_payload(rid, usage.duration_ms / 1000)
    timed_out = outcome.kind == "timeout"
    _report(emit, log, rid, usage, timed_out, died)
    return _result(rid, body, error, prelude + log, usage, cold, timed_out)


class LateReport:
    """An answered invocation's END and REPORT, made once: when ``settle`` runs (after the client
    has its answer, or before the environment's next invocation) or when its log is read first."""

    def __init__(self, make: Callable[[], tuple[str, int]]) -> None:
        self._make: Callable[[], tuple[str, int]] | None = make
        self._made = ("", 0)
        self._lock = threading.Lock()

    def __call__(self) -> tuple[str, int]:
        """(the log tail, Max Memory Used)."""
        with self._lock:
            make, self._make = self._make, None
            if make is not None:  # never twice, even if it raised: END and REPORT are logged once
                self._made = make()
            return self._made

    def settle(self) -> None:
        self()


def answered_result(outcome: Outcome, rid: str, duration_ms: float, init_ms: float | None, cold: bool,
                    report: LateReport) -> InvokeResult:
    """A response the handler posted, before its REPORT is made."""
    return InvokeResult(
        request_id=rid, payload=outcome.body, function_error=None,
        duration_ms=duration_ms, billed_ms=text.billed_ms(duration_ms), init_duration_ms=init_ms,
        cold_start=cold, timed_out=False, report=report,
    )


def answered_report(
    rid: str, log: list[str], prelude: list[str], usage: Usage, emit: Emit
) -> tuple[str, int]:
    """The END and REPORT of an answered invocation: (its log tail, Max Memory Used)."""
    _report(emit, log, rid, usage, False)
    return "".join(line + "\n" for line in prelude + log), usage.max_memory_mb


def init_failure_result(
    ready: Outcome, rid: str, prelude: list[str], usage: Usage, emit: Emit
) -> InvokeResult:
    """The init failed, crashed or timed out: the client sees it as this invoke's error."""
    log: list[str] = []
    init_ms = usage.init_ms or 0.0
    if ready.kind == "init_error":
        body = text.with_request_id(ready.body, rid)
        emit(log, text.init_report_line(init_ms, "error", ready.error_type))
    elif ready.kind == "exited":
        body = text.exit_payload(rid, ready.returncode if ready.returncode is not None else -9,
                                 out_of_memory=usage.out_of_memory)
        emit(log, text.init_report_line(init_ms, "error", text.exit_error_type(usage.out_of_memory)))
    else:
        body = text.timeout_payload(rid, usage.duration_ms / 1000)
    emit(log, text.start_line(rid))
    timed_out = ready.kind == "timeout"
    _report(emit, log, rid, usage, timed_out)
    return _result(rid, body, "Unhandled", prelude + log, usage, True, timed_out)
