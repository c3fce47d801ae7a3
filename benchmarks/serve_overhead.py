"""Latency `serve` adds: one request over HTTP through API Gateway + a local Lambda worker versus the
same REST event handed to the same runtime in this process, both measured in this run.

    .venv/bin/python benchmarks/serve_overhead.py [--requests 500] [--api rest|http] [--blocks 3]
    .venv/bin/python benchmarks/serve_overhead.py --requests 1000 --before DIR   # A/B

With ``--before DIR`` (a checkout of the code to compare with, e.g. ``git worktree add DIR main``)
two serves run as child processes, one importing lambdaserve from DIR and one from this tree,
and every round calls both, so both see the same load; each gets its ratio, and the CPU each
serve process spent per request (its own threads, not its worker) is printed beside it. A/B mode
also measures the bare HTTP server in a child process and prints the ratios against that floor
(PROCESS FLOOR): a trip to a child process costs more than one to a thread of this process, and
the RATIO line's floor is the latter while the serves are the former.

Two floors are measured in the same run: a bare awslambdaric round trip (benchmarks/bare_runtime_api.py:
the same handler, a one-thread Runtime API with nothing else) for `Function.invoke`, and a bare HTTP
trip (the same client and request against a socket thread that answers a canned response) for the
HTTP front. Their sum (p50 of the bare HTTP trip + p50 of the bare hop over the direct call) is the
floor of any Lambda-shaped local HTTP call. The RATIO line is that definition; the PAIRED line
estimates the same ratios from each round's own differences, which a loaded machine moves less.
A p99 of 1,000 requests is their 10th slowest, and "added p99" is the difference of two such
order statistics, each a millisecond or more above its p50 here (the handler's own tail is
bigger than the floor): one run's p99 ratio moves by more than the goal's margin with the same
code. ``--blocks N`` measures N blocks of ``--requests`` rounds in one run and prints each
block's ratios and their spread beside the pooled figure, so a reader sees how far one run's
p99 is from the next. The benchmark's own heap (scikit-learn, for the direct call) is frozen out
of the garbage collector after setup (``gc.freeze()``, as ``serve`` does with its own), and the
collections during the rounds are counted and printed.
Targets (issue 20, ratios that hold on any machine):
added p50 <= 1.5x the floor, added p99 <= 3x the floor. (Issue 3's absolute 1 ms / 5 ms were
about 2.5x / 12x the floor measured on the quiet machine of docs/benchmarks.md, 0.38-0.42 ms.)
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bare_runtime_api import BareRuntimeApi  # type: ignore[import-not-found]

from lambdaserve.config import Config, load_config, runtime_env
from lambdaserve.emulator.execution.function import Function, FunctionSpec
from lambdaserve.emulator.fronts.apigw import ApiGateway, ApiSettings
from lambdaserve.emulator.fronts.events import IncomingRequest, http_event, rest_event
from lambdaserve.emulator.fronts.invoke_api import InvokeApi
from lambdaserve.emulator.fronts.server import EmulatorServer

ROW = [5.1, 3.5, 1.4, 0.2]
BODY = json.dumps({"data": [ROW]}).encode()


def make_project(folder: Path) -> Config:
    """A small iris random forest and its lambdaserve.toml (no downloads)."""
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    x, y = load_iris(return_X_y=True)
    joblib.dump(RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(x, y),
                folder / "model.joblib")
    (folder / "lambdaserve.toml").write_text('name = "bench"\n[model]\npath = "model.joblib"\n')
    return load_config(folder)


def spec_for(config: Config, concurrency: int) -> FunctionSpec:
    return FunctionSpec(name=config.name, task_root=config.project_dir, environment=runtime_env(config),
                        memory_mb=config.function.memory, timeout_s=float(config.function.timeout),
                        concurrency=concurrency)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Collections:
    """Counts this process's garbage collections by generation while it is on."""

    def __init__(self) -> None:
        self.counts = [0, 0, 0]
        self.on = False
        gc.callbacks.append(self._seen)

    def _seen(self, phase: str, info: dict[str, int]) -> None:
        if self.on and phase == "start":
            self.counts[info["generation"]] += 1

    def line(self, who: str) -> str:
        return f"{who} GC collections during the rounds: gen0 {self.counts[0]}, gen1 {self.counts[1]}, " \
               f"gen2 {self.counts[2]}"


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})"


def pooled(blocks: list[list[list[float]]]) -> list[list[float]]:
    """Each call's times over all blocks."""
    return [[t for block in blocks for t in block[i]] for i in range(len(blocks[0]))]


def block_ratios(direct: list[float], bare: list[float], served: list[float],
                 http_floor: list[float]) -> tuple[float, float]:
    """(added p50 / floor, added p99 / floor) of one block, as the RATIO line defines them."""
    floor_ms = percentile(http_floor, 50) + percentile(bare, 50) - percentile(direct, 50)
    return ((percentile(served, 50) - percentile(direct, 50)) / floor_ms,
            (percentile(served, 99) - percentile(direct, 99)) / floor_ms)


def paired(served: list[float], direct: list[float], bare: list[float], http_floor: list[float]) -> str:
    """The same ratios from each round's own differences (the rounds are interleaved, so one
    round's calls share its load): added = served - direct and the hop = bare - direct per round,
    then their percentiles. Less noisy under load than differences of separate percentiles, where
    the hop is a small difference of two large, independently noisy numbers."""
    added = [s - d for s, d in zip(served, direct, strict=True)]
    hop = [b - d for b, d in zip(bare, direct, strict=True)]
    floor_ms = percentile(http_floor, 50) + percentile(hop, 50)
    # p50 only: a percentile of differences is not a difference of percentiles, and p99's goal is
    # set on the RATIO line's definition.
    return (f"PAIRED added p50 / floor {percentile(added, 50) / floor_ms:.2f} "
            f"(floor {floor_ms:.3f} ms; per-round differences)")


def timed(call: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


class _Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = "1024"
    aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def api_event(api: str) -> dict[str, Any]:
    """The event serve builds for one prediction request."""
    req = IncomingRequest("POST", "/predict", headers=[("Content-Type", "application/json")], body=BODY)
    if api == "rest":
        return rest_event(req, resource="/predict", stage="prod")
    return http_event(req, route_key="POST /predict", stage="prod")


def direct_call(config: Config, api: str) -> Callable[[], Any]:
    """The runtime's handler called in this process with the event serve would build."""
    from lambdaserve.runtime.app import Runtime
    from lambdaserve.runtime.settings import RuntimeSettings

    runtime = Runtime.from_settings(RuntimeSettings.from_env(runtime_env(config)))
    context = _Context()

    def call() -> Any:
        event = json.loads(json.dumps(api_event(api)))  # a fresh event, as a worker decodes one
        answer = runtime.handle(event, context)
        assert answer["statusCode"] == 200, answer
        return answer

    return call


class HttpCall:
    """One keep-alive client connection posting the prediction request."""

    def __init__(self, port: int, path: str) -> None:
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self._path = path

    def __call__(self) -> bytes:
        self._conn.request("POST", self._path, body=BODY, headers={"Content-Type": "application/json"})
        res = self._conn.getresponse()
        body = res.read()
        assert res.status == 200, (res.status, body)
        return body

    def close(self) -> None:
        self._conn.close()


class BareHttp:
    """The HTTP floor: reads each request head and body, answers a canned 200, nothing else."""

    ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn, conn.makefile("rb") as rfile:
            while True:
                length = 0
                while (line := rfile.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if not line:
                    return
                rfile.read(length)
                conn.sendall(self.ANSWER)

    def close(self) -> None:
        self._listener.close()
        self._thread.join(5)


def bare_http_child() -> None:
    """``--bare-http``: the HTTP floor's server in a process of its own; prints the port, stops
    when stdin closes."""
    server = BareHttp()
    print(server.port, flush=True)
    sys.stdin.read()


class ChildBareHttp:
    """The bare HTTP server in a child process: the A/B serves are child processes, and a trip
    to another process costs more than one to a thread of this one (another address space)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--bare-http"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


def interleaved(
    calls: list[Callable[[], Any]], n: int, swap: tuple[int, int] | None = None
) -> list[list[float]]:
    """Alternate the calls so all see the same load (the machine is shared). ``swap``: two calls
    that change places every other round, so neither always runs right after the other (the
    second of two serves finds the code both run warm in the CPU's caches)."""
    out: list[list[float]] = [[] for _ in calls]
    order = list(range(len(calls)))
    for round_ in range(n):
        if swap is not None and round_ % 2:
            i, j = swap
            order[i], order[j] = order[j], order[i]
        for index in order:
            out[index] += timed(calls[index], 1)
        order = list(range(len(calls)))
    return out


def serve_child(project: Path, api: str) -> None:
    """``--child``: serve ``project`` with whichever lambdaserve this process imports; prints the
    port, stops when stdin closes and prints its GC collections (by generation) since the port."""
    config = load_config(project)
    spec = spec_for(config, concurrency=1)
    with Function(spec) as function:
        gateway = ApiGateway(function, ApiSettings(kind=api, function_timeout_s=spec.timeout_s))
        with EmulatorServer(gateway, InvokeApi({spec.name: function}), port=0).start() as server:
            gc.freeze()  # as `lambdaserve serve` does once it is up
            counter = Collections()
            counter.on = True
            print(server.port, flush=True)
            sys.stdin.read()
            print(" ".join(map(str, counter.counts)), flush=True)


class ChildServe:
    """A serve in a child process importing lambdaserve from ``code`` first."""

    def __init__(self, code: Path, project: Path, api: str) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(code), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen([sys.executable, __file__, "--child", str(project), "--api", api],
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def cpu_s(self) -> float:
        """CPU time of the serve process's threads so far (its worker is another process)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def switches(self) -> int:
        """Context switches of the serve process's threads so far: each time one of them blocked
        (a wait that another thread or the kernel ends) or was preempted."""
        total = 0
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            with contextlib.suppress(OSError):  # a thread that just ended
                for line in (task / "status").read_text().splitlines():
                    if line.endswith("ctxt_switches") or "ctxt_switches:" in line:
                        total += int(line.split()[1])
        return total

    def close(self) -> str:
        """Stop it; the GC counts it printed."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        counts = self.proc.stdout.read().split()
        self.proc.wait(30)
        return (f"gen0 {counts[0]}, gen1 {counts[1]}, gen2 {counts[2]}" if len(counts) == 3
                else "not reported")


def ab(args: argparse.Namespace) -> None:
    """Serve from ``args.before`` against serve from this tree, interleaved in one run."""
    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        config = make_project(Path(tmp))
        spec = spec_for(config, concurrency=1)
        sides = {"before": ChildServe(Path(args.before).resolve(), Path(tmp), args.api),
                 "after": ChildServe(here, Path(tmp), args.api)}
        event = json.dumps(api_event(args.api)).encode()
        bare = BareRuntimeApi(spec.handler, config.project_dir, runtime_env(config))
        bare_http, bare_http_proc = BareHttp(), ChildBareHttp()
        clients = {name: HttpCall(side.port, "/prod/predict") for name, side in sides.items()}
        http_floor = HttpCall(bare_http.port, "/prod/predict")
        http_floor_proc = HttpCall(bare_http_proc.port, "/prod/predict")
        counter = Collections()
        gc_lines = {}
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                direct = direct_call(config, args.api)
                calls: list[Callable[[], Any]] = [direct, lambda: bare.invoke(event), *clients.values(),
                                                 http_floor, http_floor_proc]
                interleaved(calls, 50)
                gc.freeze()
                rounds = args.requests * args.blocks
                cpu0 = {name: side.cpu_s() for name, side in sides.items()}
                switches0 = {name: side.switches() for name, side in sides.items()}
                counter.on = True
                blocks = [interleaved(calls, args.requests, swap=None if args.fixed_order else (2, 3))
                          for _ in range(args.blocks)]
                counter.on = False
                cpu = {name: (side.cpu_s() - cpu0[name]) / rounds * 1e6 for name, side in sides.items()}
                switches = {name: (side.switches() - switches0[name]) / rounds
                            for name, side in sides.items()}
        finally:
            for client in (*clients.values(), http_floor, http_floor_proc):
                client.close()
            bare_http.close()
            bare_http_proc.close()
            bare.close()
            for name, side in sides.items():
                gc_lines[name] = side.close()
    base, bare_times, before, after, floor, floor_proc = pooled(blocks)
    p50_d, p99_d = percentile(base, 50), percentile(base, 99)
    floor_ms = percentile(floor, 50) + percentile(bare_times, 50) - p50_d
    print(f"requests: {args.blocks} block(s) of {args.requests} interleaved rounds "
          f"({'fixed order' if args.fixed_order else 'the two serves swapped every other round'}), "
          f"keep-alive, api={args.api}, load {os.getloadavg()[0]:.1f}; before = {args.before}")
    print(counter.line("benchmark process"))
    for name in sides:
        print(f"{name:6s} serve process: {switches[name]:.1f} context switches/request; GC collections "
              f"(warm-up included) {gc_lines[name]}")
    floor_proc_ms = percentile(floor_proc, 50) + percentile(bare_times, 50) - p50_d
    print(f"direct p50 {p50_d:.3f} ms; floor (bare HTTP trip + bare awslambdaric hop) {floor_ms:.3f} ms; "
          f"with the bare HTTP server in a process of its own, as these serves are, {floor_proc_ms:.3f} ms")
    for name, times in (("before", before), ("after", after)):
        p50, p99 = percentile(times, 50), percentile(times, 99)
        print(f"{name:6s} p50 {p50:7.3f} ms  p99 {p99:7.3f} ms  serve CPU {cpu[name]:5.0f} us/request  "
              f"RATIO added p50 / floor {(p50 - p50_d) / floor_ms:.2f}  added p99 / floor "
              f"{(p99 - p99_d) / floor_ms:.2f}")
        print(f"{name:6s} {paired(times, base, bare_times, floor)}")
        print(f"{name:6s} PROCESS FLOOR added p50 / floor {(p50 - p50_d) / floor_proc_ms:.2f}  added p99 / "
              f"floor {(p99 - p99_d) / floor_proc_ms:.2f}  {paired(times, base, bare_times, floor_proc)}")
    if args.blocks > 1:
        for index, name in ((2, "before"), (3, "after")):
            ratios = [block_ratios(b[0], b[1], b[index], b[4]) for b in blocks]
            print(f"{name:6s} BLOCKS RATIO added p50 / floor {spread([r[0] for r in ratios])}  added p99 / "
                  f"floor {spread([r[1] for r in ratios])}; PROCESS FLOOR added p50 / floor "
                  f"{spread([block_ratios(b[0], b[1], b[index], b[5])[0] for b in blocks])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--blocks", type=int, default=1,
                        help="this many blocks of --requests rounds; prints the spread of their ratios")
    parser.add_argument("--api", choices=["rest", "http"], default="rest")
    parser.add_argument("--before", help="a checkout to compare with, run interleaved (A/B)")
    parser.add_argument("--fixed-order", action="store_true",
                        help="call in the same order every round, as before 2026-12-07's fifth pass")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--bare-http", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_http:
        bare_http_child()
        return
    if args.child:
        serve_child(Path(args.child), args.api)
        return
    if args.before:
        ab(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        config = make_project(Path(tmp))
        spec = spec_for(config, concurrency=1)
        with Function(spec) as function:
            gateway = ApiGateway(function, ApiSettings(kind=args.api, function_timeout_s=spec.timeout_s))
            with EmulatorServer(gateway, InvokeApi({spec.name: function}), port=0).start() as server, \
                    contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):  # the runtime's log lines, in-process
                direct = direct_call(config, args.api)
                event = json.dumps(api_event(args.api)).encode()

                def lambda_only() -> Any:
                    return function.invoke(event)

                bare = BareRuntimeApi(spec.handler, config.project_dir, runtime_env(config))
                bare_http = BareHttp()
                counter = Collections()
                try:
                    http_floor = HttpCall(bare_http.port, "/prod/predict")
                    calls: list[Callable[[], Any]] = [direct, lambda: bare.invoke(event), lambda_only,
                                                     HttpCall(server.port, "/prod/predict"), http_floor]
                    interleaved(calls, 50)  # cold start and warm-up stay out of the numbers
                    gc.freeze()  # the set-up's heap (scikit-learn's too), as serve freezes its own
                    counter.on = True
                    # Function.invoke and serve use the same worker: swapped every other round, so
                    # serve does not always find that worker's data warm from the call before it
                    # (the bare hop never does); --fixed-order measures as before.
                    blocks = [interleaved(calls, args.requests, swap=None if args.fixed_order else (2, 3))
                              for _ in range(args.blocks)]
                    counter.on = False
                    base, bare_times, invoked, served, floor = pooled(blocks)
                finally:
                    http_floor.close()
                    bare_http.close()
                    bare.close()
    rows = [("direct in-process handler", base), ("bare awslambdaric trip", bare_times),
            ("Function.invoke (no front)", invoked), ("through serve over HTTP", served),
            ("bare HTTP trip (canned)", floor)]
    print(f"requests: {args.blocks} block(s) of {args.requests} sequential rounds (interleaved, "
          f"{'fixed order' if args.fixed_order else 'Function.invoke and serve swapped every other round'}), "
          f"keep-alive, api={args.api}, 1 environment, load {os.getloadavg()[0]:.1f}")
    for name, times in rows:
        print(f"{name:27s} p50 {percentile(times, 50):7.3f} ms  p99 {percentile(times, 99):7.3f} ms  "
              f"mean {statistics.mean(times):.3f}")
    p50_d, p99_d = percentile(base, 50), percentile(base, 99)
    p50_s, p99_s = percentile(served, 50), percentile(served, 99)
    print(f"added by serve: p50 {p50_s - p50_d:.3f} ms, p99 {p99_s - p99_d:.3f} ms")
    print(f"  of which the local Lambda (workers, Runtime API): p50 {percentile(invoked, 50) - p50_d:.3f} ms;"
          f" the HTTP front: p50 {p50_s - percentile(invoked, 50):.3f} ms")
    p50_f = percentile(floor, 50)
    print(f"  the HTTP front over the bare HTTP trip (client, sockets, threads): p50 "
          f"{p50_s - percentile(invoked, 50) - p50_f:.3f} ms (bare HTTP trip p50 {p50_f:.3f} ms)")
    print(f"ratio serve/direct: p50 {p50_s / p50_d:.2f}x  p99 {p99_s / p99_d:.2f}x")
    p50_b, p50_i = percentile(bare_times, 50), percentile(invoked, 50)
    print(f"Function.invoke vs bare awslambdaric round trip: p50 {p50_i:.3f} vs {p50_b:.3f} ms, "
          f"ratio {p50_i / p50_b:.2f}x; added over bare: {p50_i - p50_b:.3f} ms "
          f"(bare adds {p50_b - p50_d:.3f} ms over direct)")
    floor_ms = p50_f + (p50_b - p50_d)
    own = (p50_i - p50_b) + (p50_s - p50_i - p50_f)
    print(f"floor (bare HTTP trip + bare awslambdaric hop): {floor_ms:.3f} ms; the emulator's own share "
          f"{own:.3f} ms ({own / floor_ms:.2f}x the floor)")
    print(f"RATIO added p50 / floor {(p50_s - p50_d) / floor_ms:.2f} (target <= 1.5)   "
          f"added p99 / floor {(p99_s - p99_d) / floor_ms:.2f} (target <= 3)")
    print(paired(served, base, bare_times, floor))
    print(counter.line("benchmark and serve (one process)"))
    if args.blocks > 1:
        ratios = [block_ratios(b[0], b[1], b[3], b[4]) for b in blocks]
        print(f"BLOCKS RATIO added p50 / floor {spread([r[0] for r in ratios])}  "
              f"added p99 / floor {spread([r[1] for r in ratios])}")


if __name__ == "__main__":
    main()
