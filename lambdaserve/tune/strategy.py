"""The three strategies of AWS Lambda Power Tuning.

    cost      the cheapest size; ties go to the faster
    speed     the fastest size; ties go to the cheaper
    balanced  the smallest w·cost/maxCost + (1−w)·duration/maxDuration (w = 0.5)

Sizes whose run had errors (e.g. out of memory) are never recommended.
"""

from __future__ import annotations

from collections.abc import Sequence

from lambdaserve.errors import LambdaServeError
from lambdaserve.tune.cost import SizeResult

STRATEGIES = ("cost", "speed", "balanced")


def balanced_score(result: SizeResult, max_cost: float, max_ms: float, weight: float = 0.5) -> float:
    return weight * result.cost_per_million / max_cost + (1 - weight) * result.warm_ms / max_ms


def recommend(results: Sequence[SizeResult], strategy: str, weight: float = 0.5) -> SizeResult:
    usable = [r for r in results if r.ok]
    if not usable:
        raise LambdaServeError("no memory size ran without errors, so none can be recommended",
                               hint="Check the errors above (too little memory?) and try larger sizes.")
    if strategy == "cost":
        return min(usable, key=lambda r: (r.cost_per_million, r.warm_ms, r.memory_mb))
    if strategy == "speed":
        return min(usable, key=lambda r: (r.warm_ms, r.cost_per_million, r.memory_mb))
    if strategy == "balanced":
        if not 0 <= weight <= 1:
            raise LambdaServeError(f"balanced weight {weight} is not between 0 and 1",
                                   hint="Pass --weight between 0 (speed only) and 1 (cost only).")
        max_cost = max(r.cost_per_million for r in usable)
        max_ms = max(r.warm_ms for r in usable)
        return min(usable, key=lambda r: (balanced_score(r, max_cost, max_ms, weight), r.memory_mb))
    raise LambdaServeError(f"unknown strategy {strategy!r}", hint=f"Use one of {', '.join(STRATEGIES)}.")
