"""Tune's pure parts against values computed by hand."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lambdaserve.errors import LambdaServeError
from lambdaserve.tune import DEFAULT_PRICES, CpuNote, SizeRun, analyse, load_prices, recommend, vcpus_for
from lambdaserve.tune.cost import SizeResult
from lambdaserve.tune.plot import render_svg
from lambdaserve.tune.share import parse_sizes
from lambdaserve.tune.stats import percentile, trimmed, trimmed_mean

CPU = CpuNote(1.0, 1.0, "cgroup1 cpu.cfs_quota_us", capped=False)


def _run(memory_mb: int, warm: tuple[float, ...], init: tuple[float, ...] = (), errors=()) -> SizeRun:
    return SizeRun(memory_mb, init, warm, (), 60, tuple(errors), CPU)


def _result(memory_mb: int, cost: float, ms: float, errors: tuple[str, ...] = ()) -> SizeResult:
    return SizeResult(memory_mb, ms, ms, ms, None, 60, cost, 0.0, cost, errors, CPU)


def test_the_fastest_and_slowest_fifth_are_dropped() -> None:
    assert trimmed([50.0, 1.0, 10.4, 10.1, 10.2]) == [10.1, 10.2, 10.4]
    assert trimmed_mean(list(range(10))) == pytest.approx(4.5)  # 2 cut each side of 10
    assert trimmed([3.0, 1.0]) == [1.0, 3.0]  # too few to cut
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)


def test_cpu_share_is_linear_in_memory() -> None:
    assert vcpus_for(1769) == 1.0
    assert vcpus_for(128) == pytest.approx(0.07236, abs=1e-5)
    assert vcpus_for(10240) == pytest.approx(5.79, abs=0.01)
    assert parse_sizes("1024, 512,512") == (512, 1024)
    with pytest.raises(LambdaServeError, match="128-10240"):
        parse_sizes("64,512")


def test_cost_per_million_by_hand() -> None:
    run = _run(1024, warm=(10.2, 10.4, 10.1, 50.0, 1.0), init=(400.2,))
    [result] = analyse([run], DEFAULT_PRICES, "x86_64", cold_ratio=0.01)
    # Billed: each rounded up to 1 ms -> 11, 11, 11, 50, 1 -> trimmed mean 11 ms.
    assert result.billed_ms == 11
    assert result.warm_ms == pytest.approx((10.1 + 10.2 + 10.4) / 3)
    warm = 1.0 * 0.011 * 0.0000166667 + 0.0000002  # 1 GB x 0.011 s at the GB-s price, plus the request
    init = 1.0 * 0.401 * 0.0000166667  # the init, rounded up to 401 ms, billed once per cold start
    assert result.warm_cost_per_million == pytest.approx(warm * 1e6)  # $0.3833
    assert result.init_cost == pytest.approx(init)
    assert result.cost_per_million == pytest.approx((warm + 0.01 * init) * 1e6)  # $0.4502
    assert result.cost_per_million == pytest.approx(0.45016, abs=1e-5)


def test_arm64_is_priced_lower_and_unknown_architectures_are_refused() -> None:
    run = _run(512, warm=(20.0, 20.0, 20.0))
    [arm] = analyse([run], DEFAULT_PRICES, "arm64", cold_ratio=0)
    assert arm.cost_per_million == pytest.approx((0.5 * 0.020 * 0.0000133334 + 0.0000002) * 1e6)
    with pytest.raises(LambdaServeError, match="riscv"):
        analyse([run], DEFAULT_PRICES, "riscv")


def test_a_price_file_overrides_the_table(tmp_path: Path) -> None:
    path = tmp_path / "prices.toml"
    path.write_text('as_of = "2027-01-01"\nper_million_requests = 0.25\n[gb_second]\narm64 = 0.00001\n')
    prices = load_prices(path)
    assert prices.as_of == "2027-01-01" and prices.per_request == pytest.approx(0.25e-6)
    assert prices.gb_second == {"x86_64": 0.0000166667, "arm64": 0.00001}
    path.write_text("gb_sekond = 1\n")
    with pytest.raises(LambdaServeError, match="gb_sekond"):
        load_prices(path)


def test_each_strategy_picks_its_size() -> None:
    results = [_result(128, 0.50, 100.0), _result(512, 0.40, 30.0), _result(768, 0.45, 16.0),
               _result(1024, 0.60, 12.0)]
    assert recommend(results, "cost").memory_mb == 512
    assert recommend(results, "speed").memory_mb == 1024
    # balanced, w=0.5, max cost 0.60, max duration 100 ms:
    # 128: .4167+.50=.917  512: .3333+.15=.483  768: .375+.08=.455  1024: .5+.06=.56
    assert recommend(results, "balanced").memory_mb == 768
    assert recommend(results, "balanced", weight=1.0).memory_mb == 512  # cost only
    assert recommend(results, "balanced", weight=0.0).memory_mb == 1024  # speed only


def test_ties_and_failed_sizes() -> None:
    same_cost = [_result(256, 0.40, 50.0), _result(512, 0.40, 25.0)]
    assert recommend(same_cost, "cost").memory_mb == 512  # the cheaper tie goes to the faster
    failed = [_result(128, 0.10, 5.0, errors=("Runtime.ExitError",)), _result(256, 0.40, 50.0)]
    assert recommend(failed, "cost").memory_mb == 256
    with pytest.raises(LambdaServeError, match="no memory size"):
        recommend(failed[:1], "speed")


def test_the_plot_is_a_self_contained_svg_of_both_series() -> None:
    results = [_result(128, 0.50, 100.0), _result(512, 0.40, 30.0), _result(1024, 0.60, 12.0)]
    svg = render_svg(results, {"cost": 512, "speed": 1024, "balanced": 512}, title="iris <x86_64>")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    lines = {p.get("class"): p.get("points", "").split() for p in root.iter(f"{ns}polyline")}
    assert set(lines) == {"cost", "latency"} and all(len(points) == 3 for points in lines.values())
    # the cheapest point is the lowest on the chart (largest y), the slowest latency the highest
    cost_y = [float(p.split(",")[1]) for p in lines["cost"]]
    assert max(cost_y) == cost_y[1]
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "cost / balanced" in texts and "speed" in texts and "iris <x86_64>" in texts
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing fetched
