"""CPU the API Gateway front spends per request, without sockets or a worker: parse the request
head and body (http11), build and encode the proxy event, parse the proxy response, write the
answer. The invoker answers a fixed iris response at once, so only the front's own work is timed.

    .venv/bin/python benchmarks/serve_front_cpu.py [--requests 5000] [--api rest|http]

Baseline in the same run: the JSON work any front must do (encode the same event, decode the same
response). For a count that does not move with the machine's load, ``--only N`` runs the front N
times and nothing else; under callgrind at two counts the difference is per request:

    for n in 500 1500; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        .venv/bin/python benchmarks/serve_front_cpu.py --only $n 2>&1 | grep refs; done
    # (refs at 1500 - refs at 500) / 1000 = instructions per request
"""

from __future__ import annotations

import argparse
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from lambdaserve.emulator import http11
from lambdaserve.emulator.fronts.apigw import ApiGateway, ApiSettings
from lambdaserve.emulator.fronts.events import IncomingRequest, http_event, rest_event

BODY = json.dumps({"data": [[5.1, 3.5, 1.4, 0.2]]}).encode()
HEAD = (b"POST /prod/predict HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nAccept-Encoding: identity\r\n"
        b"Content-Length: %d\r\nContent-Type: application/json\r\n\r\n" % len(BODY))
# What the runtime answers for one iris row (its shape, not its numbers, is what costs).
ANSWER = json.dumps({"statusCode": 200, "headers": {"Content-Type": "application/json"},
                     "body": json.dumps({"predictions": [0], "probabilities": [[1.0, 0.0, 0.0]]})}).encode()


@dataclass(frozen=True)
class _Outcome:
    request_id: str = "bench"
    payload: bytes = ANSWER
    function_error: str | None = None
    log_tail: str = ""
    duration_ms: float = 1.0
    timed_out: bool = False


class _Answers:
    def invoke(self, payload: bytes, *, request_id: str | None = None) -> _Outcome:
        return _Outcome()


def front(gateway: ApiGateway) -> Callable[[], bytes]:
    def call() -> bytes:
        rfile = io.BufferedReader(io.BytesIO(HEAD + BODY))  # type: ignore[arg-type]
        req = http11.read_head(rfile)
        assert req is not None
        body = http11.read_body(rfile, req, 11 << 20)
        assert body is not None
        path, _, query = req.target.partition("?")
        incoming = IncomingRequest(req.method, path, query, req.headers, body, "127.0.0.1",
                                   req.version, 3000, time.time())
        answer = gateway.handle(incoming, respond_early=lambda response: None)
        assert answer is not None and answer.status == 200, answer
        return http11.response(answer.status, answer.headers, answer.body)

    return call


def json_only(api: str) -> Callable[[], object]:
    req = IncomingRequest("POST", "/predict", headers=[("Content-Type", "application/json")], body=BODY)
    event = (rest_event(req, resource="/predict", stage="prod") if api == "rest"
             else http_event(req, route_key="POST /predict", stage="prod"))

    def call() -> object:
        json.dumps(event).encode()
        return json.loads(ANSWER)

    return call


def cpu_us(call: Callable[[], object], n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--api", choices=["rest", "http"], default="rest")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", type=int, default=0, help="run the front this many times, no report")
    args = parser.parse_args()
    gateway = ApiGateway(_Answers(), ApiSettings(kind=args.api, function_timeout_s=30.0))
    if args.only:
        call = front(gateway)
        for _ in range(args.only):
            call()
        gateway.close()
        return
    try:
        calls = [front(gateway), json_only(args.api)]
        for call in calls:
            cpu_us(call, min(args.requests, 1000))  # warm-up
        rounds: list[list[float]] = [[], []]
        for _ in range(args.rounds):  # alternated, so both see the same load
            for times, call in zip(rounds, calls, strict=True):
                times.append(cpu_us(call, args.requests))
    finally:
        gateway.close()
    (f_best, j_best) = (min(r) for r in rounds)
    print(f"api={args.api}, {args.requests} requests x {args.rounds} rounds, CPU per request (best round)")
    print(f"front (head, event, proxy response, answer)  {f_best:7.1f} us")
    print(f"JSON alone (encode the event, decode the answer) {j_best:5.1f} us")
    print(f"ratio front / JSON alone: {f_best / j_best:.2f}x")


if __name__ == "__main__":
    main()
