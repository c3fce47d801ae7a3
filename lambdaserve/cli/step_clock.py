"""`build --timings`: where a build spends its time, step by step, in wall and CPU seconds."""

from __future__ import annotations

import os
import time
from collections.abc import Callable


class StepClock:
    """A progress callback that prefixes each line with the wall and CPU seconds since the start,
    and those since the line before (the step that line ends). CPU counts this process and the
    programs it ran and waited for (a worker still running is counted once it has ended)."""

    def __init__(self, echo: Callable[[str], None], clock: Callable[[], float] = time.perf_counter,
                 cpu: Callable[[], float] | None = None) -> None:
        self.echo, self.clock, self.cpu = echo, clock, cpu or cpu_seconds
        self.start, self.start_cpu = clock(), self.cpu()
        self.last, self.last_cpu = self.start, self.start_cpu

    def __call__(self, msg: str) -> None:
        now, cpu = self.clock(), self.cpu()
        self.echo(f"[{now - self.start:6.2f} s, CPU {cpu - self.start_cpu:6.2f} s | step "
                  f"{now - self.last:5.2f} s, CPU {cpu - self.last_cpu:5.2f} s] {msg}")
        self.last, self.last_cpu = now, cpu


def cpu_seconds() -> float:
    """User + system seconds of this process and its waited-for children."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system
