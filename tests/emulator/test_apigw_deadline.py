"""The integration-timeout watcher: deadlines fire in time order, once, unless the answer came first."""

from __future__ import annotations

import threading
import time

from lambdaserve.emulator.fronts.deadline import DeadlineWatcher


def test_deadlines_fire_in_order_and_settled_ones_never_fire():
    watcher = DeadlineWatcher()
    fired: list[str] = []
    done = threading.Event()
    def late() -> None:
        fired.append("late")
        done.set()

    try:
        watcher.add(0.30, late)
        answered = watcher.add(0.05, lambda: fired.append("answered"))
        watcher.add(0.10, lambda: fired.append("early"))  # added later, due sooner than "late"
        assert answered.settle() is True  # the function answered first
        assert done.wait(5)
    finally:
        watcher.close()
    assert fired == ["early", "late"]


def test_settle_after_expiry_loses():
    watcher = DeadlineWatcher()
    fired = threading.Event()
    try:
        deadline = watcher.add(0.01, fired.set)
        assert fired.wait(5)
        assert deadline.settle() is False  # the timeout answer went out; the late answer is dropped
    finally:
        watcher.close()


def test_close_stops_the_thread_with_deadlines_pending():
    watcher = DeadlineWatcher()
    fired: list[int] = []
    watcher.add(60, lambda: fired.append(1))
    started = time.perf_counter()
    watcher.close()
    assert time.perf_counter() - started < 2 and fired == []
