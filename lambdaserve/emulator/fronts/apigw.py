"""API Gateway in front of the local Lambda: REST (payload 1.0) or HTTP API (payload 2.0).

Routes come from the config: ``POST <api.path>`` plus ``GET /health``, ``/metadata`` and
``/openapi.json``, all proxied to the one function. A REST API is served under ``/<stage>/...`` as
on AWS, and also without the stage prefix as ``sam local start-api`` does; either way the event is
the one AWS would send for the staged URL. Every error answer is API Gateway's own bare body,
and the log line says why, as ``$context.integrationErrorMessage`` would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from lambdaserve.config.cors import CORS_HEADERS, CORS_MAX_AGE_S, CORS_METHODS
from lambdaserve.emulator.execution.after_answer import after_answer
from lambdaserve.emulator.fronts import routing
from lambdaserve.emulator.fronts.deadline import DeadlineWatcher
from lambdaserve.emulator.fronts.events import API_ID, IncomingRequest, domain_name, http_event, rest_event
from lambdaserve.emulator.fronts.invoker import Invoker, error_status
from lambdaserve.emulator.fronts.proxy_response import (
    GatewayResponse,
    MalformedProxyResponse,
    parse_http,
    parse_rest,
)
from lambdaserve.errors import EmulatorError

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
BUILTIN_ROUTES = (("GET", "/health"), ("GET", "/metadata"), ("GET", "/openapi.json"))


ApiKind = Literal["rest", "http"]  # API Gateway's REST API (v1 events) or HTTP API (v2 events)


@dataclass(frozen=True)
class ApiSettings:
    kind: ApiKind = "rest"
    path: str = "/predict"
    stage: str = "prod"
    cors_origins: tuple[str, ...] = ()
    binary_media_types: tuple[str, ...] = ()
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    function_timeout_s: float = 30.0
    # REST waits 29 s for the integration, HTTP APIs 30 s.
    integration_timeout_s: float | None = None
    extra_get_paths: tuple[str, ...] = ()  # e.g. the try-it page's; "{proxy+}" ends a greedy path
    api_keys: tuple[str, ...] = ()  # api.auth = api_key: x-api-key must be one of these
    open_paths: tuple[str, ...] = ()  # routes that need no key (cloud's public paths)
    region: str = "us-east-1"

    @cached_property
    def host(self) -> str:
        """The API's execute-api host name, as the function sees it on AWS."""
        return domain_name(API_ID, self.region)

    @property
    def rest(self) -> bool:
        return self.kind == "rest"

    @property
    def wait_s(self) -> float:
        if self.integration_timeout_s is not None:
            return self.integration_timeout_s
        return 29.0 if self.rest else 30.0

    def routes(self) -> tuple[tuple[str, str], ...]:
        return self._routes

    # Settings are frozen: the routes are worked out once, not on every request.
    @cached_property
    def _routes(self) -> tuple[tuple[str, str], ...]:
        return (("POST", self.path),) + BUILTIN_ROUTES + tuple(("GET", p) for p in self.extra_get_paths)

    @cached_property
    def _route_set(self) -> frozenset[tuple[str, str]]:
        return frozenset(self._routes)

    @cached_property
    def _resources(self) -> tuple[str, ...]:
        return tuple(route for _, route in self._routes)

    def serves(self, method: str, route: str | None) -> bool:
        return (method, route) in self._route_set

    def route_of(self, path: str) -> str | None:
        """The route (resource) that serves ``path``, whatever the method; None: no route."""
        # for parity: REST APIs match /p/ to the resource /p (the event keeps the slash in `path`);
        # HTTP APIs route /p/ apart from /p, so there it stays unmatched.
        return routing.route_of(path, self._resources, trailing_slash=self.rest)


# What lambdaserve's templates allow in CORS preflight (config/cors.py, which cloud/cfn deploys).
REST_CORS_HEADERS = ",".join(CORS_HEADERS["rest"])
HTTP_CORS_HEADERS = ",".join(CORS_HEADERS["http"])
CORS_ALLOW_METHODS = ",".join(CORS_METHODS)


class ApiGateway:
    """Turns HTTP requests into proxy events, invokes, and parses the answer strictly."""

    def __init__(self, invoker: Invoker, settings: ApiSettings,
                 log: Callable[[str], None] = lambda line: None) -> None:
        self._invoker = invoker
        self.settings = settings
        self._log = log
        self._deadlines = DeadlineWatcher()

    # -- the gateway's own answers ------------------------------------------------------------
    def _own(self, status: int, message: str, error_type: str | None = None) -> GatewayResponse:
        headers = [("Content-Type", "application/json")]
        if error_type and self.settings.rest:
            headers.append(("x-amzn-ErrorType", error_type))
        origins = self.settings.cors_origins
        if self.settings.rest and len(origins) == 1:  # the template's DEFAULT_4XX/5XX responses
            headers.append(("Access-Control-Allow-Origin", origins[0]))
        # for parity: API Gateway writes {"message":"Forbidden"}, without spaces
        body = json.dumps({"message": message}, separators=(",", ":")).encode()
        return GatewayResponse(status, headers, body)

    def _internal_error(self, status: int) -> GatewayResponse:
        if self.settings.rest:
            return self._own(status, "Internal server error", "InternalServerErrorException")
        return self._own(500, "Internal Server Error")

    def _timeout_reason(self) -> str:
        return f"integration timed out after {self.settings.wait_s:g} s (the function runs on)"

    def _timed_out(self) -> GatewayResponse:
        if self.settings.rest:
            return self._own(504, "Endpoint request timed out", "InternalServerErrorException")
        return self._own(503, "Service Unavailable")

    def _not_found(self) -> GatewayResponse:
        if self.settings.rest:
            return self._own(403, "Missing Authentication Token", "MissingAuthenticationTokenException")
        return self._own(404, "Not Found")

    def _too_large(self) -> GatewayResponse:
        """A body over API Gateway's own 10 MB: REST answers before any gateway response
        (plain text, no CORS), as measured on AWS. The HTTP API's answer is not verified."""
        if self.settings.rest:
            body = f"HTTP content length exceeded {MAX_REQUEST_BYTES} bytes.".encode()
            return GatewayResponse(413, [("Content-Type", "text; charset=utf-8")], body)
        return self._own(413, "Request Entity Too Large")

    def _too_large_for_lambda(self) -> GatewayResponse:
        """Under 10 MB but an event over Lambda's 6 MB: Lambda's 413 reaches the client (REST as
        measured on AWS, with BadRequestException; the HTTP API's body is not verified)."""
        if self.settings.rest:
            return self._own(413, "Request Too Long", "BadRequestException")
        return self._own(413, "Request Entity Too Large")

    def refuse_too_large(self, req: IncomingRequest, size: str) -> GatewayResponse:
        """The answer to a body too big to read at all (the server leaves it unread)."""
        return self._finish(req, self._too_large(),
                            f"request body of {size} bytes is over API Gateway's 10 MB limit",
                            time.perf_counter())

    # -- routing and CORS ---------------------------------------------------------------------
    def _unstaged(self, path: str) -> str:
        prefix = f"/{self.settings.stage}"
        if self.settings.stage != "$default" and path.startswith(prefix + "/"):
            return path[len(prefix):]
        if self.settings.stage != "$default" and path == prefix:  # the stage's root resource
            return "/"
        return path

    def _allowed_origin(self, origin: str | None) -> str | None:
        origins = self.settings.cors_origins
        if not origins or origin is None:
            return None
        if "*" in origins:
            return "*"
        return origin if origin in origins else None

    def _gateway_answers_preflight(self) -> bool:
        # A REST mock can name one origin only; with several, OPTIONS goes to the function.
        origins = self.settings.cors_origins
        return bool(origins) and (not self.settings.rest or len(origins) == 1)

    def _preflight(self, req: IncomingRequest) -> GatewayResponse:
        if self.settings.rest:  # the OPTIONS mock: static headers, whatever the Origin
            return GatewayResponse(200, [("Content-Type", "application/json"),
                                         ("Access-Control-Allow-Origin", self.settings.cors_origins[0]),
                                         ("Access-Control-Allow-Methods", CORS_ALLOW_METHODS),
                                         ("Access-Control-Allow-Headers", REST_CORS_HEADERS),
                                         ("Access-Control-Max-Age", str(CORS_MAX_AGE_S))])
        # HTTP APIs answer preflight themselves, with CORS headers only for an allowed origin.
        origin = self._allowed_origin(req.header("origin"))
        if origin is None:
            return GatewayResponse(204, [])
        return GatewayResponse(204, [("Access-Control-Allow-Origin", origin),
                                     ("Access-Control-Allow-Methods", CORS_ALLOW_METHODS),
                                     ("Access-Control-Allow-Headers", HTTP_CORS_HEADERS),
                                     ("Access-Control-Max-Age", str(CORS_MAX_AGE_S))])

    def handle(self, req: IncomingRequest,
               respond_early: Callable[[GatewayResponse], None] | None = None) -> GatewayResponse | None:
        """Answer one request; the log gets one access line, plus the reason for any 5xx.

        When the function runs past the integration timeout, the timeout answer goes to
        ``respond_early`` at the deadline and this returns None once the function is done;
        without ``respond_early`` it is returned when the function is done.
        """
        started = time.perf_counter()
        path = self._unstaged(req.path)
        if len(req.body) > MAX_REQUEST_BYTES:
            reason = f"request body of {len(req.body)} bytes is over API Gateway's 10 MB limit"
            return self._finish(req, self._too_large(), reason, started)
        route = self.settings.route_of(path)
        if req.method == "OPTIONS" and route is not None and self._gateway_answers_preflight():
            return self._finish(req, self._preflight(req), "", started)
        proxied_options = req.method == "OPTIONS" and route is not None and bool(self.settings.cors_origins)
        if not self.settings.serves(req.method, route) and not proxied_options:
            return self._finish(req, self._not_found(), "", started)
        api_key = None
        if self.settings.rest and self.settings.api_keys:
            api_key = req.header("x-api-key")
            if routing.forbidden(self.settings.api_keys, self.settings.open_paths, route, api_key):
                # for parity: REST checks the key before the integration; the function never runs.
                return self._finish(req, self._own(403, "Forbidden", "ForbiddenException"),
                                    "no valid x-api-key", started)
            if route in self.settings.open_paths:
                api_key = None  # a method that requires no key puts none in the event
        # for parity: the function sees the API's own host on 443, not the local address
        staged = req.at_path(path, self.settings.host)
        event = self._event(staged, route or path, api_key)
        # Only a function allowed to outlast the gateway needs a watch; else its own timeout is first.
        outlasts = self.settings.function_timeout_s > self.settings.wait_s
        deadline = None
        if outlasts and respond_early is not None:
            early = respond_early

            def expire() -> None:
                early(self._finish(req, self._timed_out(), self._timeout_reason(), started))

            deadline = self._deadlines.add(self.settings.wait_s, expire)
        response, reason = self._integrate(staged, event)
        if deadline is not None and not deadline.settle():
            return None  # the timeout answer went out already
        if outlasts and time.perf_counter() - started > self.settings.wait_s:
            response, reason = self._timed_out(), self._timeout_reason()
        origin = self._allowed_origin(req.header("origin"))
        if origin is not None and not self.settings.rest:  # HTTP API's managed CORS wins
            response = GatewayResponse(response.status, [
                (k, v) for k, v in response.headers if k.lower() != "access-control-allow-origin"]
                + [("Access-Control-Allow-Origin", origin)], response.body)
        return self._finish(req, response, reason, started)

    def _finish(self, req: IncomingRequest, response: GatewayResponse, reason: str,
                started: float) -> GatewayResponse:
        id_header = "x-amzn-RequestId" if self.settings.rest else "Apigw-Requestid"
        response.headers.append((id_header, req.request_id))
        elapsed = (time.perf_counter() - started) * 1000

        def log() -> None:
            line = (f'{req.source_ip} "{req.method} {req.path} {req.protocol}" {response.status} '
                    f"{len(response.body)} {elapsed:.1f} ms requestId={req.request_id}")
            self._log(line + (f' integrationError="{reason}"' if reason else ""))

        # As an access log is written: after the REPORT, once the client has its answer; a line
        # that says why something failed is written before that answer, as the failure's log is.
        if reason:
            log()
        else:
            after_answer(log)
        return response

    # -- the integration --------------------------------------------------------------------
    def _event(self, req: IncomingRequest, route: str, api_key: str | None) -> bytes:
        s = self.settings
        params = routing.path_parameters(route, req.path)
        if s.rest:
            event = rest_event(req, resource=route, stage=s.stage, stage_variables=s.stage_variables,
                               binary_media_types=s.binary_media_types, path_parameters=params,
                               api_key=api_key)
        else:
            event = http_event(req, route_key=f"{req.method} {route}", stage=s.stage, path_parameters=params,
                               stage_variables=s.stage_variables)
        return _EVENT_JSON.encode(event).encode()

    def _integrate(self, req: IncomingRequest, event: bytes) -> tuple[GatewayResponse, str]:
        try:
            outcome = self._invoker.invoke(event)
        except EmulatorError as exc:
            status, error_type = error_status(exc)
            reason = f"Lambda invoke failed with status {status}: {error_type}: {exc}"
            if status == 413:  # the event is over Lambda's 6 MB: the client is told, with a 413
                return self._too_large_for_lambda(), reason
            # Lambda refused the invoke otherwise (throttled): API Gateway answers 500.
            return self._internal_error(500), reason
        if outcome.function_error is not None:
            return self._internal_error(502), (
                f"Lambda execution failed with status 200 due to customer function error: "
                f"{_error_summary(outcome.payload)}. Lambda request id: {outcome.request_id}")
        try:
            if self.settings.rest:
                return parse_rest(outcome.payload, binary_media_types=self.settings.binary_media_types,
                                  accept=req.header("accept")), ""
            return parse_http(outcome.payload), ""
        except MalformedProxyResponse as exc:
            return self._internal_error(502), f"Malformed Lambda proxy response: {exc}"

    def close(self) -> None:
        self._deadlines.close()


# An event is a fresh tree of plain values: no cycles to check for; ASCII, so one cheap encode.
_EVENT_JSON = json.JSONEncoder(check_circular=False)


def _error_summary(payload: bytes) -> str:
    try:
        err = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return payload[:500].decode("utf-8", "replace")
    if isinstance(err, dict):
        return f"{err.get('errorType', 'Error')}: {err.get('errorMessage', '')}"
    return str(err)[:500]
