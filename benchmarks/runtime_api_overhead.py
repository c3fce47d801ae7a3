"""Overhead of one warm invocation through Function.invoke (Runtime API + real awslambdaric
worker) over a direct in-process call of the same handler, measured in the same run.

    .venv/bin/python benchmarks/runtime_api_overhead.py [--n 2000] [--cold 7]

Also times cold starts (a new environment: spawn, awslambdaric init, first answer) against a
bare interpreter start.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from lambdaserve.emulator import Function, FunctionSpec

HANDLERS = Path(__file__).resolve().parents[1] / "tests" / "emulator" / "handlers"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--cold", type=int, default=7)
    args = parser.parse_args()

    sys.path.insert(0, str(HANDLERS))
    handler = importlib.import_module("big_response").handler  # returns "x" * size: trivial work
    context = SimpleNamespace(aws_request_id="bench")
    event = {"size": 64}
    direct: list[float] = []
    for _ in range(args.n):
        t = time.perf_counter()
        json.dumps(handler(json.loads(json.dumps(event)), context))
        direct.append((time.perf_counter() - t) * 1000)

    spec = FunctionSpec(name="bench", task_root=HANDLERS, environment={}, handler="big_response.handler",
                        memory_mb=512, timeout_s=10, concurrency=1)
    through: list[float] = []
    body = json.dumps(event).encode()
    with Function(spec) as function:
        function.invoke(body)  # the cold start is not what we measure
        for _ in range(200):
            function.invoke(body)
        for _ in range(args.n):
            t = time.perf_counter()
            function.invoke(body)
            through.append((time.perf_counter() - t) * 1000)

    # Cold starts: a new environment per call, against a bare interpreter start (same run).
    bare, cold = [], []
    for _ in range(args.cold):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append((time.perf_counter() - t) * 1000)
        with Function(spec) as function:
            t = time.perf_counter()
            function.invoke(body)
            cold.append((time.perf_counter() - t) * 1000)

    d50, d99 = _percentile(direct, 0.5), _percentile(direct, 0.99)
    t50, t99 = _percentile(through, 0.5), _percentile(through, 0.99)
    print(f"n={args.n} warm invocations, 1 environment")
    print(f"direct in-process call : p50 {d50:.3f} ms  p99 {d99:.3f} ms")
    mean = statistics.mean(through)
    print(f"Function.invoke        : p50 {t50:.3f} ms  p99 {t99:.3f} ms  mean {mean:.3f} ms")
    print(f"added overhead         : p50 {t50 - d50:.3f} ms  p99 {t99 - d99:.3f} ms")
    print(f"ratio (invoke / direct, p50): {t50 / max(d50, 1e-6):.0f}x")
    b50, c50 = statistics.median(bare), statistics.median(cold)
    print(f"cold start, median of {args.cold}: invoke {c50:.1f} ms vs bare `python -c pass` {b50:.1f} ms "
          f"(ratio {c50 / b50:.2f})")


if __name__ == "__main__":
    main()
