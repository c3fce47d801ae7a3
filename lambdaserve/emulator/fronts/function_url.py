"""A Lambda Function URL in front of the local Lambda (``serve --front url``).

A Function URL has no routes and no stage: every method and path reaches the function as a
payload 2.0 event whose ``requestContext.domainName`` is ``<url-id>.lambda-url.<region>.on.aws``
(that host is what tells it from an HTTP API event). The answer is read with the 2.0 rules:
JSON without ``statusCode`` becomes a 200 ``application/json`` body as it is, ``cookies`` become
``Set-Cookie`` (AWS Lambda developer guide, "Invoking Lambda function URLs", response payload).

Failures: a function error or a malformed response is a 502 "Internal Server Error" (as users
report it); Lambda's own refusals (throttle 429, payload over 6 MB 413) keep their status, with
a body of ours (the exact AWS bodies were not checked here). The URL waits as long as the
function's timeout; there is no gateway deadline in between.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable

from lambdaserve.emulator.execution.after_answer import after_answer
from lambdaserve.emulator.fronts.events import IncomingRequest, function_url_event
from lambdaserve.emulator.fronts.invoker import Invoker, error_status
from lambdaserve.emulator.fronts.proxy_response import GatewayResponse, MalformedProxyResponse, parse_http
from lambdaserve.errors import EmulatorError
from lambdaserve.runtime.limits import SYNC_REQUEST_BYTES

URL_ID = "abcdefghijklmnop1234567890abcdef"  # 32 characters, as Lambda makes them


class FunctionUrl:
    """Turns every HTTP request into a Function URL event, invokes, and reads the 2.0 answer."""

    def __init__(self, invoker: Invoker, *, region: str = "us-east-1",
                 log: Callable[[str], None] = lambda line: None) -> None:
        self._invoker = invoker
        self.host = f"{URL_ID}.lambda-url.{region}.on.aws"
        self._log = log

    def _own(self, status: int, message: str) -> GatewayResponse:
        return GatewayResponse(status, [("Content-Type", "application/json")],
                               json.dumps({"Message": message}, separators=(",", ":")).encode())

    def refuse_too_large(self, req: IncomingRequest, size: str) -> GatewayResponse:
        """The answer to a body too big to read at all (the server leaves it unread)."""
        return self._finish(req, self._too_large(), f"request of {size} bytes is over 6 MB",
                            time.perf_counter())

    def _too_large(self) -> GatewayResponse:
        return self._own(413, f"Request must be smaller than {SYNC_REQUEST_BYTES} bytes "
                              "for the InvokeFunction operation")

    def handle(self, req: IncomingRequest,
               respond_early: Callable[[GatewayResponse], None] | None = None) -> GatewayResponse:
        started = time.perf_counter()
        if len(req.body) > SYNC_REQUEST_BYTES:  # there is no gateway in front: Lambda's own limit
            return self._finish(req, self._too_large(), "request over 6 MB", started)
        # for parity: the function sees the URL's own host, whatever the client dialled locally.
        event = function_url_event(req.at_path(req.path, self.host))
        try:
            outcome = self._invoker.invoke(json.dumps(event).encode(), request_id=req.request_id)
        except EmulatorError as exc:
            status, error_type = error_status(exc)
            return self._finish(req, self._own(status, str(exc)), f"{error_type}: {exc}", started)
        if outcome.function_error is not None:
            return self._finish(req, self._internal(), f"function error ({outcome.function_error})",
                                started)
        try:
            response = parse_http(outcome.payload)
        except MalformedProxyResponse as exc:
            return self._finish(req, self._internal(), f"malformed response: {exc}", started)
        return self._finish(req, response, "", started)

    def _internal(self) -> GatewayResponse:
        return GatewayResponse(502, [("Content-Type", "application/json")], b"Internal Server Error")

    def _finish(self, req: IncomingRequest, response: GatewayResponse, reason: str,
                started: float) -> GatewayResponse:
        response.headers.append(("x-amzn-RequestId", req.request_id))
        elapsed = (time.perf_counter() - started) * 1000
        line = (f'{req.source_ip} "{req.method} {req.path} {req.protocol}" {response.status} '
                f"{len(response.body)} {elapsed:.1f} ms requestId={req.request_id}")
        if reason:  # as the failure's log: before the answer (apigw.py says why)
            self._log(f'{line} error="{reason}"')
        else:
            after_answer(functools.partial(self._log, line))
        return response

    def close(self) -> None:
        """Nothing to stop: the URL holds no threads."""
