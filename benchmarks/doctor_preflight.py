"""What the doctor costs: deploy's preflight (local checks) and a full offline doctor with its smoke run.

    python benchmarks/doctor_preflight.py [--runs 7]

In a temporary project holding the TorchScript MLP of tests/models.py (as `lambdaserve init` writes it),
median of --runs fresh processes each, interleaved:
  baseline   `lambdaserve --version` (the CLI's own start-up, same run);
  preflight  `lambdaserve doctor --offline --no-smoke --json` (what deploy adds before its first AWS call);
  doctor     `lambdaserve doctor --offline --json` (plus one cold invoke in the local Lambda: torch's
             import and the model's load and warm-up), and the Init Duration that smoke run reported.
Ratios are against the baseline of the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import models  # noqa: E402
from tests.cli.test_init_invoke_frameworks import _declare_signature  # noqa: E402

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))


def timed(args: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([LAMBDASERVE, *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        models.torchscript_mlp(root)
        subprocess.run([LAMBDASERVE, "init", "--model", "model.pt"], cwd=root, check=True,
                       capture_output=True)
        _declare_signature(root / "lambdaserve.toml", models.TORCH_SIGNATURE)
        times: dict[str, list[float]] = {"baseline": [], "preflight": [], "doctor": []}
        inits: list[float] = []
        for _ in range(runs):
            times["baseline"].append(timed(["--version"], root)[0])
            times["preflight"].append(timed(["doctor", "--offline", "--no-smoke", "--json"], root)[0])
            seconds, out = timed(["doctor", "--offline", "--json"], root)
            times["doctor"].append(seconds)
            cold = next(f for f in json.loads(out)["findings"] if f["check"] == "cold-start")
            inits.append(float(cold["message"].split("init ")[1].split(" s")[0]))
        base = statistics.median(times["baseline"])
        for name, values in times.items():
            median = statistics.median(values)
            print(f"{name:<10} {median * 1000:8.0f} ms   x{median / base:5.2f} of the baseline")
        print("smoke-run Init Duration (torch import + model load + warm-up): "
              f"median {statistics.median(inits):.2f} s")


if __name__ == "__main__":
    main()
