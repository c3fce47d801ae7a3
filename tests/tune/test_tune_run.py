"""A real, short tune: the iris example in real awslambdaric workers under each size's limits."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lambdaserve.cli.tune_cmd import emulator_runner
from lambdaserve.config import load_config
from lambdaserve.emulator.sandbox.cpu import host_cpus
from lambdaserve.tune import vcpus_for
from tests.examples import make_example

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))
ROW = json.dumps({"data": [[5.1, 3.5, 1.4, 0.2]]}).encode()


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_example("iris", tmp_path_factory.mktemp("tune") / "iris")


def test_the_runner_measures_cold_starts_and_warm_invokes_under_the_quota(iris: Path) -> None:
    ticks: list[int] = []
    runner = emulator_runner(load_config(iris), ROW, cold_starts=2, requests=3, sandbox="process")
    run = runner(512, vcpus_for(512), lambda: ticks.append(1))
    assert len(ticks) == 2 + 3 and not run.errors
    assert len(run.init_ms) == 2 and all(ms > 0 for ms in run.init_ms)
    assert len(run.warm_ms) == 3 and all(ms > 0 for ms in run.warm_ms)
    assert run.max_memory_mb > 0
    assert run.cpu.requested_vcpus == pytest.approx(512 / 1769)
    if run.cpu.enforced:  # this host: a writable cpu controller (v1 here, v2 elsewhere)
        assert run.cpu.applied_vcpus == pytest.approx(512 / 1769) and not run.cpu.capped
        assert run.cpu.mechanism in ("cgroup1 cpu.cfs_quota_us", "cgroup2 cpu.max")
    else:
        assert run.cpu.reason and run.cpu.mechanism == "none"


def test_tune_prints_the_table_writes_the_plot_and_applies_the_choice(iris: Path, tmp_path: Path) -> None:
    toml = iris / "lambdaserve.toml"
    before = toml.read_text()
    plot = tmp_path / "tune.svg"
    big = 5120  # 2.89 vCPU: more than a 2-core host has
    result = subprocess.run(
        [LAMBDASERVE, "tune", "--memory", f"256,{big}", "--requests", "4", "--cold-starts", "2",
         "--data", "[[5.1, 3.5, 1.4, 0.2]]", "--plot", str(plot), "--apply", "--strategy", "cost"],
        cwd=iris, capture_output=True, text=True, timeout=240,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 5}
    assert set(rows) >= {"256", str(big)}
    assert "NOT enforced" in out or "CPU share enforced per environment with cgroup" in out
    if host_cpus() < big / 1769:
        assert "capped" in rows[str(big)] and f"capped at {host_cpus()} vCPU" in out
    for name in ("cost", "speed", "balanced"):
        assert f"{name}: " in out
    svg = ET.fromstring(plot.read_text())
    assert len(list(svg.iter("{http://www.w3.org/2000/svg}polyline"))) == 2
    # --apply: the cost pick replaced 1024, every comment and line else kept
    chosen = int(out.split("applied: function.memory = ")[1].split()[0])
    assert chosen in (256, big) and load_config(iris).function.memory == chosen
    after = toml.read_text()
    assert [line for line in before.splitlines() if line.startswith("#")] == \
           [line for line in after.splitlines() if line.startswith("#")]
    assert after.replace(f"memory = {chosen}", "memory = 1024") == before


def test_without_data_the_request_is_a_zero_row_from_the_models_signature(iris: Path, tmp_path: Path) -> None:
    from lambdaserve.cli.tune_cmd import _payload

    config = load_config(iris)
    assert config.signature is None  # a forest describes itself: the model is asked
    assert json.loads(_payload(config, None, None)) == {"data": [[0.0, 0.0, 0.0, 0.0]]}
    event = tmp_path / "event.json"
    event.write_text('{"body": "{}", "httpMethod": "POST"}')
    assert json.loads(_payload(config, event, None)) == {"body": "{}", "httpMethod": "POST"}
    assert json.loads(_payload(config, None, "[[1, 2, 3, 4]]")) == {"data": [[1, 2, 3, 4]]}
