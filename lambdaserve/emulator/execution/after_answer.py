"""Bookkeeping that waits until the client has its answer, as on Lambda.

Lambda answers the caller when the runtime posts its response; END, REPORT (with Max Memory
Used) and the gateway's access log line are written after that, off the caller's path. A front
wraps each request it answers in ``answer_first()``; work handed to ``after_answer`` inside that
block runs, in the order it was handed over, when the block ends (after the answer was sent).
Outside such a block it runs at once, so a library caller of ``Function.invoke`` sees every log
line before invoke returns, as before.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

Task = Callable[[], None]

_local = threading.local()  # .tasks: this thread's list while inside answer_first(), else None


@contextlib.contextmanager
def answer_first() -> Iterator[None]:
    """Run what ``after_answer`` is handed inside this block when the block ends. Every task runs
    even when one raises (a lent connection must go back); the first exception is raised last."""
    previous: list[Task] | None = getattr(_local, "tasks", None)
    tasks: list[Task] = []
    _local.tasks = tasks
    try:
        yield
    finally:
        _local.tasks = previous
        failure: BaseException | None = None
        for task in tasks:
            try:
                task()
            except BaseException as exc:  # noqa: BLE001  # raised below, after the rest ran
                failure = failure or exc
        if failure is not None:
            raise failure


def after_answer(task: Task) -> None:
    """``task`` once this thread's answer is out (inside ``answer_first()``), else now."""
    tasks: list[Task] | None = getattr(_local, "tasks", None)
    if tasks is None:
        task()
    else:
        tasks.append(task)
