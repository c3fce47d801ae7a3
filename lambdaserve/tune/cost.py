"""Cost per 1M requests from what a size measured, as Lambda bills it.

Each invocation bills its duration rounded up to the millisecond, times the memory in GB,
at the architecture's GB-second price, plus the per-request price. A cold start also bills
its init (on-demand zip functions since August 2025), so the total depends on how many
requests are cold: ``cold_ratio`` (0.01 = one in a hundred).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lambdaserve.tune.measure import CpuNote, SizeRun
from lambdaserve.tune.prices import Prices
from lambdaserve.tune.stats import percentile, trimmed, trimmed_mean

MILLION = 1_000_000


@dataclass(frozen=True)
class SizeResult:
    memory_mb: int
    warm_ms: float  # trimmed mean Duration of warm invocations
    warm_p95_ms: float
    billed_ms: float  # trimmed mean billed duration (each rounded up to 1 ms)
    init_ms: float | None  # trimmed mean Init Duration, None when no cold start succeeded
    max_memory_mb: int
    warm_cost_per_million: float  # 1M warm requests
    init_cost: float  # one cold start's init
    cost_per_million: float  # 1M requests, cold_ratio of them cold
    errors: tuple[str, ...]
    cpu: CpuNote

    @property
    def ok(self) -> bool:
        return not self.errors


def gb_seconds(memory_mb: int, billed_ms: float) -> float:
    return memory_mb / 1024 * billed_ms / 1000


def invocation_cost(memory_mb: int, billed_ms: float, prices: Prices, architecture: str) -> float:
    return gb_seconds(memory_mb, billed_ms) * prices.per_gb_second(architecture) + prices.per_request


def init_cost(memory_mb: int, init_ms: float, prices: Prices, architecture: str) -> float:
    if not prices.init_billed:
        return 0.0
    return gb_seconds(memory_mb, math.ceil(init_ms)) * prices.per_gb_second(architecture)


def analyse_one(run: SizeRun, prices: Prices, architecture: str, cold_ratio: float) -> SizeResult:
    if not run.warm_ms:
        raise ValueError(f"{run.memory_mb} MB: no warm invocation succeeded")
    billed = trimmed_mean([math.ceil(ms) for ms in run.warm_ms])
    init = trimmed_mean(run.init_ms) if run.init_ms else None
    warm = invocation_cost(run.memory_mb, billed, prices, architecture)
    per_init = init_cost(run.memory_mb, init, prices, architecture) if init is not None else 0.0
    return SizeResult(
        memory_mb=run.memory_mb, warm_ms=trimmed_mean(run.warm_ms),
        warm_p95_ms=percentile(trimmed(run.warm_ms), 95), billed_ms=billed, init_ms=init,
        max_memory_mb=run.max_memory_mb, warm_cost_per_million=warm * MILLION, init_cost=per_init,
        cost_per_million=(warm + cold_ratio * per_init) * MILLION, errors=run.errors, cpu=run.cpu,
    )


def analyse(runs: Sequence[SizeRun], prices: Prices, architecture: str = "x86_64",
            cold_ratio: float = 0.01) -> list[SizeResult]:
    """One result per size that answered; sizes without a single warm answer are left out
    (the caller reports their errors from the runs)."""
    if not 0 <= cold_ratio <= 1:
        raise ValueError("cold_ratio is a share of requests, between 0 and 1")
    return [analyse_one(run, prices, architecture, cold_ratio) for run in runs if run.warm_ms]
