"""What a SnapStart restore costs locally against a cold init, on an example model, in one run.

    python benchmarks/snapstart_restore.py [--runs 7] [--only iris]

For each example (made by examples/make_examples.py into a temporary folder) two local Lambdas of
the project run side by side, interleaved: one on-demand, one with SnapStart (init once in a
template, each new environment a fork of it: emulator/execution/snapshot.py). Each side gets
--runs new execution environments (an idle timeout of 50 ms retires the last one between
requests, so every request meets a new environment) and the script prints the median ratio
restore / cold of:
  - the environment's start as the REPORT line gives it (Restore Duration vs Init Duration);
  - the wall time of the whole first request (start + one prediction), as a client sees it.
The SnapStart side's one init (the snapshot) is printed apart: Lambda does it at publish time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lambdaserve.config import load_config, runtime_env
from lambdaserve.emulator import Function, FunctionSpec

ROOT = Path(__file__).resolve().parents[1]
ROWS = {"iris": [[5.1, 3.5, 1.4, 0.2]], "iris-onnx": [[5.1, 3.5, 1.4, 0.2]],
        "iris-xgboost": [[5.1, 3.5, 1.4, 0.2]]}
_IDLE_S = 0.05


def _spec(folder: Path, snapstart: bool) -> FunctionSpec:
    config = load_config(folder)
    return FunctionSpec(name=config.name, task_root=folder, environment=runtime_env(config),
                        memory_mb=config.function.memory, timeout_s=30.0, concurrency=1,
                        idle_timeout_s=_IDLE_S, snapstart=snapstart)


def _first_request(function: Function, payload: bytes) -> tuple[float, float]:
    """(ms to the answer, the REPORT's Init or Restore Duration) of one request in a new environment."""
    time.sleep(_IDLE_S * 6)  # the reaper retires the last environment
    start = time.perf_counter()
    result = function.invoke(payload)
    wall = (time.perf_counter() - start) * 1000
    if result.function_error is not None or not result.cold_start or result.init_duration_ms is None:
        raise SystemExit(f"not a new environment's answer: {result.payload[:300]!r}")
    return wall, result.init_duration_ms


def bench(name: str, folder: Path, runs: int) -> dict[str, float]:
    payload = json.dumps({"data": ROWS[name]}).encode()
    cold: list[tuple[float, float]] = []
    restored: list[tuple[float, float]] = []
    with Function(_spec(folder, False)) as on_demand, Function(_spec(folder, True)) as snap:
        snapshot_start = time.perf_counter()
        _first_request(snap, payload)  # the snapshot (Lambda: at publish), then a first restore
        snapshot_ms = (time.perf_counter() - snapshot_start) * 1000
        _first_request(on_demand, payload)  # untimed, as the other: page cache
        for _ in range(runs):
            cold.append(_first_request(on_demand, payload))
            restored.append(_first_request(snap, payload))
    return {
        "cold_wall": statistics.median(w for w, _ in cold),
        "restore_wall": statistics.median(w for w, _ in restored),
        "cold_start": statistics.median(s for _, s in cold),
        "restore_start": statistics.median(s for _, s in restored),
        "snapshot_wall": snapshot_ms,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", default="iris", help=f"comma-separated subset of: {', '.join(ROWS)}")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    with tempfile.TemporaryDirectory(prefix="lambdaserve-bench-") as tmp:
        out = Path(tmp) / "examples"
        subprocess.run([sys.executable, str(ROOT / "examples" / "make_examples.py"), "--out", str(out),
                        "--only", ",".join(names)], check=True, stdout=subprocess.DEVNULL)
        print(f"SnapStart restore vs cold init, median of {args.runs} new environments per side, "
              f"interleaved; python {sys.version.split()[0]}; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} CPUs")
        print(f"{'example':<14}{'start ratio':>12}{'restore ms':>11}{'init ms':>9}"
              f"{'first-request ratio':>21}{'snapshot ms':>12}")
        for name in names:
            m = bench(name, out / name, args.runs)
            print(f"{name:<14}{m['restore_start'] / m['cold_start']:>12.3f}{m['restore_start']:>11.0f}"
                  f"{m['cold_start']:>9.0f}{m['restore_wall'] / m['cold_wall']:>21.3f}"
                  f"{m['snapshot_wall']:>12.0f}", flush=True)
        print(f"load average now {os.getloadavg()[0]:.1f}: other work on the machine adds noise")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
