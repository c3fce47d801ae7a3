"""Statistics as AWS Lambda Power Tuning computes them."""

from __future__ import annotations

import math
from collections.abc import Sequence

TRIM = 0.2  # Power Tuning drops the fastest and the slowest 20 %


def trimmed(values: Sequence[float], trim: float = TRIM) -> list[float]:
    """The values without the lowest and highest ``trim`` share (floor of n·trim each side);
    fewer than three values are kept whole, since nothing would be left."""
    ordered = sorted(values)
    cut = math.floor(len(ordered) * trim)
    if len(ordered) < 3 or cut == 0:
        return ordered
    return ordered[cut:len(ordered) - cut]


def trimmed_mean(values: Sequence[float], trim: float = TRIM) -> float:
    kept = trimmed(values, trim)
    if not kept:
        raise ValueError("no values to average")
    return sum(kept) / len(kept)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
