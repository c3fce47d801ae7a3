"""A real, in-process implementation of the fronts' Invoker protocol (no workers, no mocks).

It runs a handler in the calling thread and answers like Lambda: an exception becomes an
"Unhandled" error payload, a run past the timeout a "Task timed out" one, and calls beyond the
concurrency limit raise the emulator's own ThrottledError.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lambdaserve.emulator.execution.function import PayloadTooLargeError, ThrottledError
from lambdaserve.runtime.limits import SYNC_REQUEST_BYTES


@dataclass(frozen=True)
class Outcome:
    request_id: str
    payload: bytes
    function_error: str | None
    log_tail: str
    duration_ms: float
    timed_out: bool


class InProcessLambda:
    def __init__(self, handler: Callable[[Any, Any], Any], *, timeout_s: float = 30.0,
                 concurrency: int = 10, raw: bytes | None = None) -> None:
        self._handler = handler
        self._timeout_s = timeout_s
        self._slots = threading.Semaphore(concurrency)
        self._concurrency = concurrency
        self._raw = raw  # answer these bytes verbatim (for payloads a handler cannot return)
        self.events: list[Any] = []

    def invoke(self, payload: bytes, *, request_id: str | None = None) -> Outcome:
        if len(payload) > SYNC_REQUEST_BYTES:  # as Function does, before any environment
            raise PayloadTooLargeError(len(payload), SYNC_REQUEST_BYTES)
        if not self._slots.acquire(blocking=False):
            raise ThrottledError(self._concurrency)
        rid = request_id or str(uuid.uuid4())
        started = time.perf_counter()
        log = [f"START RequestId: {rid} Version: $LATEST"]
        error: str | None = None
        try:
            event = json.loads(payload)
            self.events.append(event)
            try:
                body = self._raw if self._raw is not None else json.dumps(self._handler(event, None)).encode()
            except Exception as exc:  # the handler's failure is the function's error, as on Lambda
                error = "Unhandled"
                body = json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__,
                                   "requestId": rid,
                                   "stackTrace": traceback.format_tb(exc.__traceback__)}).encode()
                log.append(f"[ERROR] {type(exc).__name__}: {exc}")
        finally:
            self._slots.release()
        duration = (time.perf_counter() - started) * 1000
        timed_out = duration > self._timeout_s * 1000
        if timed_out:
            error = "Unhandled"
            message = f"Task timed out after {self._timeout_s:.2f} seconds"
            body = json.dumps({"errorMessage": message, "errorType": "Sandbox.Timedout"}).encode()
            log.append(message)
        log += [f"END RequestId: {rid}", f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms"]
        return Outcome(rid, body, error, "\n".join(log) + "\n", duration, timed_out)
