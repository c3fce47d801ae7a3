"""API Gateway's integration timeout without a thread hand-off per request.

The request thread calls the function itself; one shared watcher thread fires a callback for any
request still waiting at its deadline (the gateway answers 504 then, and the function runs on, as
on AWS). Whichever comes first, the answer or the deadline, wins; the other does nothing.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable

# Settled deadlines stay in the heap until due; waking at most this often keeps a busy gateway
# (one deadline per request) from waking this thread for each of them.
_GRAIN_S = 0.05


class Deadline:
    """One pending deadline; ``settle()`` is True for the side that got there first."""

    def __init__(self, at: float, on_expiry: Callable[[], None]) -> None:
        self.at = at
        self._on_expiry: Callable[[], None] | None = on_expiry
        self._lock = threading.Lock()

    def settle(self) -> bool:
        """Claim the answer; True only for the first caller."""
        with self._lock:
            callback, self._on_expiry = self._on_expiry, None  # frees the request it refers to
            return callback is not None

    def expire(self) -> None:
        with self._lock:
            callback, self._on_expiry = self._on_expiry, None
        if callback is not None:
            callback()


class DeadlineWatcher:
    """A lazily started daemon thread that expires deadlines in time order."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def add(self, after_s: float, on_expiry: Callable[[], None]) -> Deadline:
        deadline = Deadline(self._clock() + after_s, on_expiry)
        with self._cond:
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="apigw-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0][2] is deadline:  # wake the watcher only if it now sleeps too long
                self._cond.notify()
        return deadline

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._heap or self._heap[0][0] > self._clock()):
                    due_in = max(_GRAIN_S, self._heap[0][0] - self._clock()) if self._heap else None
                    self._cond.wait(due_in)
                if self._closed:
                    return
                due = []
                now = self._clock()
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap)[2])
            for deadline in due:
                deadline.expire()  # outside the lock: it writes to a socket

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(5)
