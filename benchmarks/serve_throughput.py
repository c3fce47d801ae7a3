"""Requests per second through `serve` (2 execution environments) versus bare uvicorn + starlette
apps calling the same model, measured in this run, in alternating rounds.

    .venv/bin/python benchmarks/serve_throughput.py [--requests 3000] [--clients 2] [--rounds 3]

The load is bounded: a fixed number of requests shared by `--clients` threads, each on one
keep-alive connection over loopback. More clients than environments would be throttled by serve,
as by Lambda. Baselines: one uvicorn process (the usual bare app), and one uvicorn process per
environment with each client on its own (not `uvicorn --workers 2`: its workers get a socket
without TCP_NODELAY and pay ~40 ms per request in delayed ACKs). Target: serve / uvicorn >= 0.9.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_overhead import BODY, make_project  # noqa: E402

UVICORN_APP = textwrap.dedent('''
    import os

    import joblib
    import numpy as np
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    MODEL = joblib.load(os.environ["BENCH_MODEL"])


    def predict(request: Request, body: bytes) -> JSONResponse:
        return JSONResponse({"predictions": MODEL.predict(np.asarray(body["data"])).tolist()})


    async def endpoint(request: Request) -> JSONResponse:
        return predict(request, await request.json())


    app = Starlette(routes=[Route("/predict", endpoint, methods=["POST"])])
''')


def load(ports: list[int], path: str, total: int, clients: int) -> tuple[float, dict[int, int]]:
    """Send ``total`` requests from ``clients`` keep-alive connections; requests/s and statuses.

    Client i talks to ``ports[i % len(ports)]``.
    """
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    share = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]

    def client(count: int, port: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        seen: dict[int, int] = {}
        for _ in range(count):
            conn.request("POST", path, body=BODY, headers={"Content-Type": "application/json"})
            res = conn.getresponse()
            res.read()
            seen[res.status] = seen.get(res.status, 0) + 1
        conn.close()
        with lock:
            for status, n in seen.items():
                statuses[status] = statuses.get(status, 0) + n

    threads = [threading.Thread(target=client, args=(n, ports[i % len(ports)]))
               for i, n in enumerate(share)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total / (time.perf_counter() - started), statuses


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(port: int, path: str, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", path, body=BODY)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.2)


@contextlib.contextmanager
def lambdaserve_serve(project: Path, environments: int, api: str) -> Iterator[int]:
    """`lambdaserve serve` in its own process, as a user runs it (its log to /dev/null)."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "lambdaserve.cli.main", "serve", "--port", str(port),
                             "--concurrency", str(environments), "--api", api, "--config", str(project)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(port, "/prod/predict", proc, "lambdaserve serve")
        yield port
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: the clean stop that kills its workers
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def uvicorn_app(folder: Path, model: Path) -> Iterator[int]:
    """One single-process uvicorn serving the bare app; yields its port."""
    (folder / "bench_app.py").write_text(UVICORN_APP)
    port = _free_port()
    env = {**os.environ, "BENCH_MODEL": str(model), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench_app:app", "--port", str(port),
                             "--log-level", "warning", "--no-access-log"], cwd=folder, env=env)
    try:
        _wait_ready(port, "/predict", proc, "uvicorn")
        yield port
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="per side, over all rounds")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--environments", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--api", choices=["rest", "http"], default="rest")
    args = parser.parse_args()
    per_round = args.requests // args.rounds
    sides: dict[str, list[float]] = {"uvicorn x1": [], f"uvicorn x{args.environments}": [], "serve": []}
    statuses: dict[str, dict[int, int]] = {name: {} for name in sides}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        config = make_project(Path(tmp))
        serve_port = stack.enter_context(lambdaserve_serve(config.project_dir, args.environments, args.api))
        uv_ports = [stack.enter_context(uvicorn_app(Path(tmp), config.model.path))
                    for _ in range(args.environments)]
        targets = {"uvicorn x1": (uv_ports[:1], "/predict"),
                   f"uvicorn x{args.environments}": (uv_ports, "/predict"),
                   "serve": ([serve_port], "/prod/predict")}
        for ports, path in targets.values():  # cold starts and warm-up
            load(ports, path, 20 * args.clients, args.clients)
        for _ in range(args.rounds):
            for name, (ports, path) in targets.items():
                rps, seen = load(ports, path, per_round, args.clients)
                sides[name].append(rps)
                for status, n in seen.items():
                    statuses[name][status] = statuses[name].get(status, 0) + n
    print(f"{per_round * args.rounds} requests per side in {args.rounds} alternating rounds, "
          f"{args.clients} keep-alive clients, serve with {args.environments} environments")
    means = {name: sum(v) / len(v) for name, v in sides.items()}
    for name, values in sides.items():
        print(f"{name:12s} {means[name]:8.1f} req/s  rounds {[round(r) for r in values]}  "
              f"statuses {statuses[name]}")
    for name in list(sides)[:2]:
        print(f"ratio serve / {name}: {means['serve'] / means[name]:.2f} (target >= 0.9)")
    print(json.dumps({name: round(v, 1) for name, v in means.items()}))


if __name__ == "__main__":
    main()
