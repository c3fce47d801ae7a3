"""Lambda events built from an HTTP request, in the shapes AWS sends them.

One ``IncomingRequest`` (what arrived on the socket) becomes the event of a REST API (payload 1.0),
an HTTP API (payload 2.0), a Function URL or an ALB target group. Absent parts follow AWS: the
1.0 payload carries ``null`` for them, the 2.0 payload leaves the key out.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from lambdaserve.emulator.execution.lambda_text import request_id as new_request_id

ACCOUNT_ID = "123456789012"
API_ID = "lambdaserve"

# HTTP APIs, Function URLs and ALB pass text/* and these types as text, and base64-encode any other
# body: form-urlencoded, +json, graphql, one without a Content-Type, and any with a Content-Encoding.
_TEXT_TYPES = frozenset(("application/json", "application/xml", "application/javascript"))


@dataclass(frozen=True)
class IncomingRequest:
    """An HTTP request as it reached the gateway; ``path`` has no query string."""

    method: str
    path: str
    query: str = ""
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    port: int = 443
    time_s: float = field(default_factory=time.time)
    request_id: str = field(default_factory=new_request_id)

    def _by_name(self) -> dict[str, str]:
        # Cached by hand: 3.11's cached_property takes a lock on every read, and a request's
        # headers are looked up about ten times on the way to its event.
        found: dict[str, str] | None = self.__dict__.get("_headers_by_name")
        if found is None:
            found = {key.lower(): value for key, value in self.headers}  # the last value wins
            self.__dict__["_headers_by_name"] = found
        return found

    def header(self, name: str) -> str | None:
        """The last value of a header, matched case-insensitively."""
        return self._by_name().get(name.lower())

    def at_path(self, path: str, host: str | None = None) -> IncomingRequest:
        """The same request on another path (the gateway's path without its stage); with
        ``host``, as it reached that AWS host on 443 (what the function sees, not local values)."""
        if host is None:
            moved = IncomingRequest(self.method, path, self.query, self.headers, self.body, self.source_ip,
                                    self.protocol, self.port, self.time_s, self.request_id)
            moved.__dict__["_headers_by_name"] = self._by_name()  # same headers: no second pass
            return moved
        by_name = self._by_name()
        if "host" in by_name:
            headers = [(k, host if k.lower() == "host" else v) for k, v in self.headers]
        else:
            headers = [*self.headers, ("Host", host)]
        moved = IncomingRequest(self.method, path, self.query, headers, self.body, self.source_ip,
                                self.protocol, 443, self.time_s, self.request_id)
        moved.__dict__["_headers_by_name"] = {**by_name, "host": host}  # no second pass either
        return moved

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    @property
    def host(self) -> str:
        return self.header("host") or "localhost"


def _grouped(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def _api_id(host: str) -> str:
    # On AWS the API's id is the first label of its execute-api host name.
    return host.split(".")[0] if ".execute-api." in host else API_ID


@lru_cache(maxsize=8)  # strftime is slow, and a second holds many requests
def _second(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def _request_time(req: IncomingRequest) -> str:
    return _second(int(req.time_s))


def _is_text(req: IncomingRequest) -> bool:
    content_type = req.content_type
    return ((content_type in _TEXT_TYPES or content_type.startswith("text/"))
            and req.header("content-encoding") is None)


def _body(req: IncomingRequest, encode: bool) -> tuple[str | None, bool]:
    if not req.body:
        return None, False
    if encode:
        return base64.b64encode(req.body).decode("ascii"), True
    try:
        return req.body.decode("utf-8"), False
    except UnicodeDecodeError:  # not text after all: send it the only way JSON can carry it
        return base64.b64encode(req.body).decode("ascii"), True


def _forwarded(req: IncomingRequest) -> list[tuple[str, str]]:
    # API Gateway and ALB add these; a client's own X-Forwarded-For is extended, not replaced.
    prior = req.header("x-forwarded-for")
    chain = f"{prior}, {req.source_ip}" if prior else req.source_ip
    kept = [(k, v) for k, v in req.headers
            if k.lower() not in ("x-forwarded-for", "x-forwarded-port", "x-forwarded-proto")]
    trace = [] if req.header("x-amzn-trace-id") else [("X-Amzn-Trace-Id", _trace_id(req))]
    return kept + trace + [("X-Forwarded-For", chain), ("X-Forwarded-Port", str(req.port)),
                           ("X-Forwarded-Proto", "https" if req.port == 443 else "http")]


def _trace_id(req: IncomingRequest) -> str:
    return f"Root=1-{int(req.time_s):08x}-{req.request_id.replace('-', '')[:24]}"


# The REST identity of an unauthenticated caller: these are null, in this order, then the caller's
# (clientCert is null without mutual TLS).
_NO_IDENTITY: dict[str, Any] = dict.fromkeys((
    "cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "principalOrgId", "accessKey",
    "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "user", "clientCert"))


def api_key_id(key: str) -> str:
    """A stable id for a local API key, shaped as API Gateway's (10 lowercase letters and digits)."""
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def domain_name(api_id: str, region: str) -> str:
    return f"{api_id}.execute-api.{region}.amazonaws.com"


def rest_event(req: IncomingRequest, *, resource: str, stage: str,
               path_parameters: Mapping[str, str] | None = None,
               stage_variables: Mapping[str, str] | None = None,
               binary_media_types: Sequence[str] = (), api_key: str | None = None) -> dict[str, Any]:
    """A REST API (payload 1.0) Lambda proxy event for ``req`` on ``resource``; ``api_key``: the
    key the method required and the caller sent."""
    headers = _forwarded(req)
    query = parse_qsl(req.query, keep_blank_values=True) if req.query else []  # most have none
    multi_query = _grouped(query)
    multi_headers = _grouped(headers)
    # REST APIs encode a body only when its Content-Type is one of the API's binary media types.
    encode = req.content_type in binary_media_types or "*/*" in binary_media_types
    body, encoded = _body(req, encode)
    user_agent = req.header("user-agent")
    identity: dict[str, Any] = dict(_NO_IDENTITY, sourceIp=req.source_ip, userAgent=user_agent)
    if api_key is not None:
        identity["apiKey"], identity["apiKeyId"] = api_key, api_key_id(api_key)
    host = req.host
    return {
        "resource": resource,
        "path": req.path,
        "httpMethod": req.method,
        "headers": {k: v[-1] for k, v in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": dict(stage_variables) if stage_variables else None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": _api_id(host),
            "authorizer": None,  # no authorizer; with one, what it returned
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "extendedRequestId": req.request_id,
            "httpMethod": req.method,
            "identity": identity,
            "path": f"/{stage}{req.path}",
            "protocol": req.protocol,
            "requestId": req.request_id,
            "requestTime": _request_time(req),
            "requestTimeEpoch": int(req.time_s * 1000),
            "resourceId": "lsrv01",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def http_event(req: IncomingRequest, *, route_key: str, stage: str = "$default",
               path_parameters: Mapping[str, str] | None = None,
               stage_variables: Mapping[str, str] | None = None,
               account_id: str = ACCOUNT_ID, api_id: str | None = None) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event; ``req.path`` is the path without the stage."""
    raw_path = req.path if stage == "$default" else f"/{stage}{req.path}"
    headers: dict[str, list[str]] = {}
    cookies: list[str] = []
    for key, value in _forwarded(req):
        if key.lower() == "cookie":  # 2.0 moves cookies out of the headers into their own list
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        else:
            headers.setdefault(key.lower(), []).append(value)
    query = _grouped(parse_qsl(req.query, keep_blank_values=True)) if req.query else {}
    body, encoded = _body(req, not _is_text(req))
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": req.query,
    }
    if cookies:
        event["cookies"] = cookies
    # Duplicate headers and query parameters are joined with commas in 2.0.
    event["headers"] = {k: ",".join(v) for k, v in headers.items()}
    if query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in query.items()}
    event["requestContext"] = {
        "accountId": account_id,
        "apiId": api_id or _api_id(req.host),
        "domainName": req.host,
        "domainPrefix": req.host.split(".")[0],
        "http": {"method": req.method, "path": raw_path, "protocol": req.protocol,
                 "sourceIp": req.source_ip, "userAgent": req.header("user-agent") or ""},
        "requestId": req.request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": _request_time(req),
        "timeEpoch": int(req.time_s * 1000),
    }
    if body is not None:
        event["body"] = body
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    event["isBase64Encoded"] = encoded
    if stage_variables:
        event["stageVariables"] = dict(stage_variables)
    return event


def function_url_event(req: IncomingRequest) -> dict[str, Any]:
    """A Lambda Function URL event: payload 2.0 on the $default route and stage, no API."""
    return http_event(req, route_key="$default", account_id="anonymous", api_id=req.host.split(".")[0])


def alb_event(req: IncomingRequest, *, target_group: str = "lambdaserve") -> dict[str, Any]:
    """An ALB target group event (multi-value headers off, the default)."""
    headers = {k.lower(): v for k, v in _forwarded(req)}
    # ALB passes query values as they arrived, still URL-encoded.
    query: dict[str, str] = {}
    for part in filter(None, req.query.split("&")):
        key, _, value = part.partition("=")
        query[key] = value
    body, encoded = _body(req, not _is_text(req))
    return {
        "requestContext": {"elb": {"targetGroupArn": (
            f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT_ID}:targetgroup/{target_group}/0123456789abcdef")}},
        "httpMethod": req.method,
        "path": req.path,
        "queryStringParameters": query,
        "headers": headers,
        "body": body or "",
        "isBase64Encoded": encoded,
    }
