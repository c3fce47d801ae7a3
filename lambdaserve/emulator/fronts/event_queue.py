"""Lambda's queue for Event (asynchronous) invokes of one function.

Lambda answers an Event invoke 202 at once and queues it; a poller hands it to the function, and
one that is throttled goes back to the queue and is retried with backoff until it is older than
the maximum event age (6 hours by default), then dropped. Here one dispatcher per function drains
the queue in order, one invoke at a time: a backlog waits in the queue instead of taking every
environment from synchronous callers while it drains.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from lambdaserve.emulator.fronts.invoker import Invoker, error_status
from lambdaserve.errors import EmulatorError

MAX_EVENT_AGE_S = 6 * 3600.0  # Lambda's default (and largest) maximum event age
_FIRST_RETRY_S = 0.05
# Lambda backs off to minutes between retries; locally a freed slot is taken within a second.
_MAX_RETRY_S = 1.0


@dataclass(frozen=True)
class _Queued:
    payload: bytes
    request_id: str
    since: float  # on the queue's clock


class EventQueue:
    """Queued Event invokes of one function, drained by one thread started on the first."""

    def __init__(self, name: str, invoker: Invoker, *, log: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic, max_age_s: float = MAX_EVENT_AGE_S) -> None:
        self._name = name
        self._invoker = invoker
        self._log = log
        self._clock = clock
        self._max_age_s = max_age_s
        self._items: deque[_Queued] = deque()
        self._cv = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None

    def put(self, payload: bytes, request_id: str) -> None:
        with self._cv:
            if self._closing:
                self._log(f"async invoke {request_id} of {self._name} dropped: the server is stopping")
                return
            self._items.append(_Queued(payload, request_id, self._clock()))
            if self._thread is None:
                self._thread = threading.Thread(target=self._drain, name=f"events-{self._name}", daemon=True)
                self._thread.start()
            self._cv.notify()

    def _next(self) -> _Queued | None:
        with self._cv:
            self._cv.wait_for(lambda: self._items or self._closing)
            return None if self._closing else self._items[0]

    def _done(self) -> None:
        with self._cv:
            self._items.popleft()

    def _drain(self) -> None:
        delay = _FIRST_RETRY_S
        while (item := self._next()) is not None:
            if self._clock() - item.since > self._max_age_s:
                self._done()
                self._log(f"async invoke {item.request_id} of {self._name} dropped: throttled until it "
                          f"was older than the maximum event age of {self._max_age_s / 3600:g} hours")
                continue
            try:
                outcome = self._invoker.invoke(item.payload, request_id=item.request_id)
            except EmulatorError as exc:
                if error_status(exc)[0] == 429:  # throttled: stays first in the queue, tried again
                    with self._cv:
                        self._cv.wait_for(lambda: self._closing, timeout=delay)
                    delay = min(delay * 2, _MAX_RETRY_S)
                    continue
                self._done()
                self._log(f"async invoke {item.request_id} of {self._name} dropped: {exc}")
                continue
            self._done()
            delay = _FIRST_RETRY_S
            if outcome.function_error is not None:
                self._log(f"async invoke {item.request_id} of {self._name} failed: "
                          f"{outcome.payload[:300].decode('utf-8', 'replace')}")

    def close(self, timeout_s: float) -> None:
        """Stop retrying; wait up to ``timeout_s`` for the invoke in flight; drop the rest."""
        with self._cv:
            self._closing = True
            self._cv.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        with self._cv:
            left = len(self._items)
        if left:
            self._log(f"{left} async invoke(s) of {self._name} not run: the server stopped")
