"""The one timing loop the in-process benchmarks share: the median of ``repeat`` calls, in ms."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_ms(fn: Callable[[], Any], repeat: int, *, before: Callable[[], None] | None = None,
              warm: bool = True) -> float:
    """``fn``'s median wall time; ``warm`` runs it once untimed first, ``before`` runs untimed each time."""
    if warm:
        fn()
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
