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
    recommend.py  the three strategies
    plot.py       cost and latency versus memory as a self-contained SVG
    apply.py      writing the chosen memory into lambdaserve.toml, comments kept
"""

from lambdaserve.tune.cost import SizeResult, analyse
from lambdaserve.tune.measure import CpuNote, SizeRun, run_sizes
from lambdaserve.tune.prices import DEFAULT_PRICES, Prices, load_prices
from lambdaserve.tune.recommend import STRATEGIES, recommend
from lambdaserve.tune.share import DEFAULT_SIZES, vcpus_for

__all__ = ["DEFAULT_PRICES", "DEFAULT_SIZES", "STRATEGIES", "CpuNote", "Prices", "SizeResult",
           "SizeRun", "analyse", "load_prices", "recommend", "run_sizes", "vcpus_for"]
