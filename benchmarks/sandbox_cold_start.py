"""Cold start per sandbox: the project folder, the built zip, and the built image, side by side.

    python benchmarks/sandbox_cold_start.py --project DIR [--runs 5]

DIR needs `lambdaserve build` done (DIR/.lambdaserve/build/<name>.zip) and, for the container
row, `build --package image` (DIR/.lambdaserve/build/image). Each run starts a fresh local
Lambda (one environment) and invokes it once with the model's zero inputs. Reported per mode,
as medians over --runs (modes interleaved, after one untimed run each):
  init   the REPORT line's Init Duration (worker spawn to its first GET /next);
  first  wall time from Function.start() to the first answer (sandbox boot included).
The baseline is the process sandbox on the project folder, measured in the same run; the
ratios are first / baseline first. Container and namespace rows need Linux and root.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from lambdaserve.cli import serve_artifact, wiring
from lambdaserve.config import Config, load_config
from lambdaserve.emulator import Function, FunctionSpec
from lambdaserve.errors import LambdaServeError
from lambdaserve.runtime.formats import zero_inputs


def _payload(config: Config) -> bytes:
    rows = zero_inputs(config.signature) if config.signature is not None else None
    if rows and len(rows) == 1:
        return json.dumps({"data": next(iter(rows.values()))}).encode()
    return json.dumps({"data": [[0.0, 0.0]]}).encode()


def _once(spec: FunctionSpec, payload: bytes) -> tuple[float, float]:
    started = time.perf_counter()
    with Function(spec) as function:
        result = function.invoke(payload)
        first = (time.perf_counter() - started) * 1000
    if result.function_error is not None:
        raise SystemExit(f"{spec.sandbox}: {result.payload.decode()[:500]}")
    return result.init_duration_ms or 0.0, first


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    config = load_config(args.project)
    zip_path = config.project_dir / ".lambdaserve" / "build" / f"{config.name}.zip"
    modes: dict[str, Callable[[], FunctionSpec]] = {
        "process, project folder": lambda: wiring.function_spec(config, concurrency=1),
        "process, built zip": lambda: serve_artifact.zip_spec(config, zip_path, sandbox="process",
                                                              concurrency=1),
        "namespace, built zip": lambda: serve_artifact.zip_spec(config, zip_path, sandbox="namespace",
                                                                concurrency=1),
        "container, built image": lambda: serve_artifact.container_spec(config, concurrency=1),
    }
    specs: dict[str, FunctionSpec] = {}
    for name, make in modes.items():
        try:
            specs[name] = make()
            _once(specs[name], _payload(config))  # untimed: unpacking, page cache, .pyc
        except (LambdaServeError, SystemExit) as exc:
            print(f"{name:26s} skipped: {exc}")
            specs.pop(name, None)
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in specs}
    for _ in range(args.runs):
        for name, spec in specs.items():
            timings[name].append(_once(spec, _payload(config)))
    base = statistics.median(first for _, first in timings[next(iter(timings))])
    print(f"{'mode':26s} {'init ms':>9s} {'first ms':>9s} {'ratio':>6s}   ({args.runs} runs, medians)")
    for name, runs in timings.items():
        init = statistics.median(i for i, _ in runs)
        first = statistics.median(f for _, f in runs)
        print(f"{name:26s} {init:9.1f} {first:9.1f} {first / base:6.2f}")


if __name__ == "__main__":
    main()
