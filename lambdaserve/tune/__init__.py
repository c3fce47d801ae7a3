"""Local power tuning: which memory size is cheapest, fastest, or the best of both.

The method is AWS Lambda Power Tuning's: run the function at each memory size, drop the
fastest and slowest 20 % of the measurements, price what is left, and pick by strategy
(cost, speed, or balanced: w·cost/maxCost + (1−w)·duration/maxDuration, w = 0.5).
Everything here is pure; the CLI injects the runner that measures in the local emulator.

    prices.py     Lambda's published prices, as a dated table a file can override
    share.py      the CPU share of a memory size (1,769 MB = 1 vCPU)
    stats.py      the trimmed mean and percentiles
    measure.py    what a runner measures per size, and the loop over sizes
    cost.py       cost per 1M requests from the measurements
    strategy.py   the three strategies
    plot.py       cost and latency versus memory as a self-contained SVG
    apply.py      writing the chosen memory into lambdaserve.toml, comments kept
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.tune.apply import set_memory
    from lambdaserve.tune.cost import SizeResult, analyse
    from lambdaserve.tune.measure import CpuNote, Runner, SizeRun, run_sizes
    from lambdaserve.tune.plot import render_svg
    from lambdaserve.tune.prices import DEFAULT_PRICES, Prices, load_prices
    from lambdaserve.tune.share import DEFAULT_SIZES, parse_sizes, vcpus_for
    from lambdaserve.tune.strategy import STRATEGIES, recommend

_EXPORTS = {
    "CpuNote": "lambdaserve.tune.measure",
    "DEFAULT_PRICES": "lambdaserve.tune.prices",
    "DEFAULT_SIZES": "lambdaserve.tune.share",
    "Prices": "lambdaserve.tune.prices",
    "Runner": "lambdaserve.tune.measure",
    "STRATEGIES": "lambdaserve.tune.strategy",
    "SizeResult": "lambdaserve.tune.cost",
    "SizeRun": "lambdaserve.tune.measure",
    "analyse": "lambdaserve.tune.cost",
    "load_prices": "lambdaserve.tune.prices",
    "parse_sizes": "lambdaserve.tune.share",
    "recommend": "lambdaserve.tune.strategy",
    "render_svg": "lambdaserve.tune.plot",
    "run_sizes": "lambdaserve.tune.measure",
    "set_memory": "lambdaserve.tune.apply",
    "vcpus_for": "lambdaserve.tune.share",
}
__all__ = [
    "CpuNote",
    "DEFAULT_PRICES",
    "DEFAULT_SIZES",
    "Prices",
    "Runner",
    "STRATEGIES",
    "SizeResult",
    "SizeRun",
    "analyse",
    "load_prices",
    "parse_sizes",
    "recommend",
    "render_svg",
    "run_sizes",
    "set_memory",
    "vcpus_for",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
