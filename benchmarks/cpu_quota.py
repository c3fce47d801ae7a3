"""Does the emulator's CPU quota give Lambda's share? A CPU-bound handler at several memory sizes.

    python benchmarks/cpu_quota.py [--requests 7] [--sizes 256,512,1024,1769,3538]

The handler burns a fixed amount of pure-Python work (one thread) per invocation. Baseline:
the same function with no quota (``cpu_vcpus=None``), in the same run. With the quota, a
single-threaded handler should take baseline / min(1, share) (share = memory / 1769): 128 MB
about 14x, 1,769 MB and above 1x, since one thread cannot use more than one vCPU. Reported
per size: the median warm duration, its ratio to the baseline, the expected ratio, and the
CPU the handler got (its CPU seconds / wall seconds): the quota's ceiling is min(1, share) for
one thread, so "CPU got" must not exceed it, while an idle host would reach it.
A quota is a ceiling: on a loaded host both sides slow down, and the small shares' ratios
hold better than the times.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lambdaserve.emulator import Function, FunctionSpec  # noqa: E402
from lambdaserve.emulator.sandbox.cpu import make_cpu_cap  # noqa: E402

HANDLER = '''
import time


def handler(event, context):
    wall, cpu = time.perf_counter(), time.process_time()
    total = 0
    for i in range(event["loops"]):
        total += i * i % 7
    return {"total": total, "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
'''


def durations(folder: Path, memory_mb: int, vcpus: float | None, requests: int,
              loops: int) -> tuple[list[float], float]:
    """Warm durations (ms), and the CPU the handler got: its CPU seconds over its wall seconds."""
    spec = FunctionSpec(name="burn", task_root=folder, environment={}, handler="burn.handler",
                        memory_mb=memory_mb, timeout_s=120.0, concurrency=1, cpu_vcpus=vcpus)
    payload = json.dumps({"loops": loops}).encode()
    with Function(spec) as function:
        function.invoke(payload)  # the cold one: not timed
        results = [function.invoke(payload) for _ in range(requests)]
    bad = [r for r in results if r.function_error]
    if bad:
        raise SystemExit(bad[0].payload.decode())
    answers = [json.loads(r.payload) for r in results]
    got = sum(a["cpu"] for a in answers) / sum(a["wall"] for a in answers)
    return [r.duration_ms for r in results], got


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--sizes", default="256,512,1024,1769,3538")
    parser.add_argument("--loops", type=int, default=300_000)
    args = parser.parse_args(argv)
    probe = make_cpu_cap(0.5)
    probe.close()
    print(f"CPU quota: {probe.limit.kind}{' (' + probe.limit.reason + ')' if probe.limit.reason else ''}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    if not probe.limit.enforced:
        print("nothing to measure: this host cannot enforce a CPU quota")
        return 1
    with tempfile.TemporaryDirectory(prefix="lambdaserve-cpu-") as tmp:
        folder = Path(tmp)
        (folder / "burn.py").write_text(HANDLER)
        times, got = durations(folder, 10240, None, args.requests, args.loops)
        base = statistics.median(times)
        print(f"{'memory MB':>10}{'share':>8}{'warm ms':>10}{'ratio':>8}{'expected':>10}{'CPU got':>9}")
        print(f"{'no quota':>10}{'-':>8}{base:>10.1f}{1.0:>8.2f}{1.0:>10.2f}{got:>9.3f}")
        for memory_mb in [int(s) for s in args.sizes.split(",")]:
            share = memory_mb / 1769
            times, got = durations(folder, memory_mb, share, args.requests, args.loops)
            ms = statistics.median(times)
            print(f"{memory_mb:>10}{share:>8.3f}{ms:>10.1f}{ms / base:>8.2f}{1 / min(1.0, share):>10.2f}"
                  f"{got:>9.3f}", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
