"""An Application Load Balancer target group in front of the local Lambda (``serve --front alb``).

From the ELB guide, "Lambda functions as targets": every path reaches the function (the
listener rule forwards all); the event carries ``requestContext.elb``; with multi-value headers
on, headers and query values arrive as lists (``multiValueHeaders``,
``multiValueQueryStringParameters``) and the answer's headers are read from
``multiValueHeaders``, else from ``headers``. Query strings are passed still URL-encoded. The
request body and the response JSON are limited to 1 MB each.

The answer: ``statusCode`` is required; ``statusDescription`` (e.g. "200 OK") is optional and
becomes the status line's reason phrase on AWS (here the emulator's HTTP layer writes the
standard phrase); ``isBase64Encoded`` bodies are decoded. A malformed answer, a function error,
an answer over 1 MB or a refused invoke all become ALB's own ``502 Bad Gateway`` HTML page, and
the log line says why (on AWS only the load balancer's metrics and access log would). The 502
for a throttled invoke is our reading of the guide, not checked against a live ALB.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from typing import Any

from lambdaserve.emulator.execution.after_answer import after_answer
from lambdaserve.emulator.fronts import proxy_response as proxy  # its field checks are ALB's too
from lambdaserve.emulator.fronts.events import IncomingRequest, alb_event
from lambdaserve.emulator.fronts.invoker import Invoker, error_status
from lambdaserve.emulator.fronts.proxy_response import GatewayResponse, MalformedProxyResponse
from lambdaserve.errors import EmulatorError

MAX_BYTES = 1024 * 1024  # ALB's limit for the request body and for the response JSON

_PAGE = ("<html>\r\n<head><title>{status}</title></head>\r\n<body>\r\n"
         "<center><h1>{status}</h1></center>\r\n</body>\r\n</html>\r\n")


def multi_value_event(req: IncomingRequest) -> dict[str, Any]:
    """The ALB event with multi-value headers on: lists of values, same encoding rules."""
    event = alb_event(req)
    single_headers = event.pop("headers")
    event.pop("queryStringParameters")
    grouped: dict[str, list[str]] = {}
    for name, value in req.headers:  # the single-value event kept only the last of each
        grouped.setdefault(name.lower(), []).append(value)
    for name, value in single_headers.items():  # what ALB itself adds (X-Forwarded-*, trace id)
        if name not in grouped or name.startswith("x-forwarded-"):
            grouped[name] = [value]
    query: dict[str, list[str]] = {}
    for part in filter(None, req.query.split("&")):
        key, _, value = part.partition("=")
        query.setdefault(key, []).append(value)
    event["multiValueHeaders"] = grouped
    event["multiValueQueryStringParameters"] = query
    return event


def parse_alb(payload: bytes, *, multi_value: bool) -> GatewayResponse:
    """An ALB target response; MalformedProxyResponse says why ALB would answer 502."""
    if len(payload) > MAX_BYTES:
        raise MalformedProxyResponse(f"the response is {len(payload)} bytes, over ALB's 1 MB limit")
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedProxyResponse(f"the response is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise MalformedProxyResponse(f"the response must be a JSON object, got {type(raw).__name__}")
    # for parity: unlike API Gateway, ALB infers nothing; statusCode is required.
    status = proxy._status(raw, required=True)
    description = raw.get("statusDescription")
    if description is not None and not isinstance(description, str):
        raise MalformedProxyResponse(f"statusDescription must be a string, got {description!r}")
    # for parity: ALB reads the header map that matches the target group's multi-value setting.
    key = "multiValueHeaders" if multi_value else "headers"
    headers = proxy._headers({key: raw.get(key)})
    encoded = proxy._flag(raw, "isBase64Encoded")
    return GatewayResponse(status, headers, proxy._body(raw, encoded))


class LoadBalancer:
    """Turns every HTTP request into an ALB event, invokes, and reads the target's answer."""

    def __init__(self, invoker: Invoker, *, multi_value: bool = False, region: str = "us-east-1",
                 log: Callable[[str], None] = lambda line: None) -> None:
        self._invoker = invoker
        self.multi_value = multi_value
        self.host = f"lambdaserve-1234567890.{region}.elb.amazonaws.com"  # name-id.region, as ALB's
        self._log = log

    def refuse_too_large(self, req: IncomingRequest, size: str) -> GatewayResponse:
        """The answer to a body too big to read at all (the server leaves it unread)."""
        return self._finish(req, self._page(413, "413 Request Entity Too Large"),
                            f"request body of {size} bytes is over ALB's 1 MB limit", time.perf_counter())

    def handle(self, req: IncomingRequest,
               respond_early: Callable[[GatewayResponse], None] | None = None) -> GatewayResponse:
        started = time.perf_counter()
        if len(req.body) > MAX_BYTES:
            return self._finish(req, self._page(413, "413 Request Entity Too Large"),
                                f"request body of {len(req.body)} bytes is over ALB's 1 MB limit", started)
        # for parity: the target sees the load balancer's DNS name and its HTTPS listener, not ours
        seen = req.at_path(req.path, self.host)
        event = multi_value_event(seen) if self.multi_value else alb_event(seen)
        try:
            outcome = self._invoker.invoke(json.dumps(event).encode())
        except EmulatorError as exc:
            status, error_type = error_status(exc)
            return self._finish(req, self._bad_gateway(), f"invoke failed ({status} {error_type}: {exc})",
                                started)
        if outcome.function_error is not None:
            return self._finish(req, self._bad_gateway(), f"function error ({outcome.function_error})",
                                started)
        try:
            response = parse_alb(outcome.payload, multi_value=self.multi_value)
        except MalformedProxyResponse as exc:
            return self._finish(req, self._bad_gateway(), f"malformed response: {exc}", started)
        return self._finish(req, response, "", started)

    def _page(self, status: int, line: str) -> GatewayResponse:
        return GatewayResponse(status, [("Server", "awselb/2.0"), ("Content-Type", "text/html")],
                               _PAGE.format(status=line).encode())

    def _bad_gateway(self) -> GatewayResponse:
        return self._page(502, "502 Bad Gateway")

    def _finish(self, req: IncomingRequest, response: GatewayResponse, reason: str,
                started: float) -> GatewayResponse:
        elapsed = (time.perf_counter() - started) * 1000
        line = (f'{req.source_ip} "{req.method} {req.path} {req.protocol}" {response.status} '
                f"{len(response.body)} {elapsed:.1f} ms")
        if reason:  # as the failure's log: before the answer (apigw.py says why)
            self._log(f'{line} error="{reason}"')
        else:
            after_answer(functools.partial(self._log, line))
        return response

    def close(self) -> None:
        """Nothing to stop: the load balancer holds no threads."""
