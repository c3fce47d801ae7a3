"""Latency `serve` adds: one request over HTTP through API Gateway + a local Lambda worker versus the
same REST event handed to the same runtime in this process, both measured in this run.

    .venv/bin/python benchmarks/serve_overhead.py [--requests 500] [--api rest|http]

Targets (issue 3): added p50 <= 1 ms, added p99 <= 5 ms. Also a bare awslambdaric round trip
(benchmarks/bare_runtime_api.py: the same handler, a one-thread Runtime API with nothing else)
as the floor `Function.invoke` is compared with.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import statistics
import tempfile
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


def http_call(port: int, path: str) -> Callable[[], Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call() -> bytes:
        conn.request("POST", path, body=BODY, headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        body = res.read()
        assert res.status == 200, (res.status, body)
        return body

    return call


def interleaved(calls: list[Callable[[], Any]], n: int) -> list[list[float]]:
    """Alternate the calls so all see the same load (the machine is shared)."""
    out: list[list[float]] = [[] for _ in calls]
    for _ in range(n):
        for times, call in zip(out, calls, strict=True):
            times += timed(call, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--api", choices=["rest", "http"], default="rest")
    args = parser.parse_args()
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
                try:
                    calls = [direct, lambda: bare.invoke(event), lambda_only,
                             http_call(server.port, "/prod/predict")]
                    interleaved(calls, 50)  # cold start and warm-up stay out of the numbers
                    base, bare_times, invoked, served = interleaved(calls, args.requests)
                finally:
                    bare.close()
    rows = [("direct in-process handler", base), ("bare awslambdaric trip", bare_times),
            ("Function.invoke (no front)", invoked), ("through serve over HTTP", served)]
    print(f"requests: {args.requests} sequential rounds (interleaved), keep-alive, api={args.api}, "
          "1 environment")
    for name, times in rows:
        print(f"{name:27s} p50 {percentile(times, 50):7.3f} ms  p99 {percentile(times, 99):7.3f} ms  "
              f"mean {statistics.mean(times):.3f}")
    p50_d, p99_d = percentile(base, 50), percentile(base, 99)
    p50_s, p99_s = percentile(served, 50), percentile(served, 99)
    print(f"added by serve: p50 {p50_s - p50_d:.3f} ms (target <= 1), "
          f"p99 {p99_s - p99_d:.3f} ms (target <= 5)")
    print(f"  of which the local Lambda (workers, Runtime API): p50 {percentile(invoked, 50) - p50_d:.3f} ms;"
          f" the HTTP front: p50 {p50_s - percentile(invoked, 50):.3f} ms")
    print(f"ratio serve/direct: p50 {p50_s / p50_d:.2f}x  p99 {p99_s / p99_d:.2f}x")
    p50_b, p50_i = percentile(bare_times, 50), percentile(invoked, 50)
    print(f"Function.invoke vs bare awslambdaric round trip: p50 {p50_i:.3f} vs {p50_b:.3f} ms, "
          f"ratio {p50_i / p50_b:.2f}x; added over bare: {p50_i - p50_b:.3f} ms "
          f"(bare adds {p50_b - p50_d:.3f} ms over direct)")


if __name__ == "__main__":
    main()
