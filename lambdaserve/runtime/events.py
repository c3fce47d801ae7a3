"""Every event source Lambda can hand us, parsed into one HttpRequest, and answered in its own shape.

Sources: API Gateway REST proxy (payload v1), HTTP API (payload v2), Lambda Function URL (v2
shape), ALB (single- or multi-value headers) and a direct invoke (any other JSON value).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from lambdaserve.errors import LambdaServeError, RequestError

SOURCE_REST = "apigw-rest"
SOURCE_HTTP = "apigw-http"
SOURCE_URL = "function-url"
SOURCE_ALB = "alb"
SOURCE_DIRECT = "direct"
SOURCE_SCHEDULE = "schedule"  # EventBridge keep-warm pings
# Record sources (eventSource / SNS's EventSource) by the name a user knows them by.
_RECORD_SOURCES = {"aws:sqs": "SQS", "aws:s3": "S3", "aws:sns": "SNS", "aws:kinesis": "Kinesis",
                   "aws:dynamodb": "DynamoDB", "aws:kafka": "Kafka", "SelfManagedKafka": "Kafka",
                   "aws:mq": "Amazon MQ", "aws:rmq": "RabbitMQ", "aws:ses": "SES",
                   "aws:codecommit": "CodeCommit"}


class UnsupportedEventError(LambdaServeError):
    """An event from a source the runtime does not serve (SQS, S3, SNS, ...).

    Raised out of the handler so Lambda counts a function error: an answer would tell SQS to
    delete the messages and stop async sources from retrying or reaching a dead-letter queue.
    """


# The request and response records are plain classes, compared by identity: each is one
# request's, and a dataclass compiles every generated method with exec at import, inside every
# function's cold start (~10 M instructions for these three; see docs/benchmarks.md).
class HttpRequest:
    """One request, whatever the source. Header names are lower case; values keep every repeat."""

    __slots__ = ("source", "method", "path", "headers", "query", "raw_body", "is_base64", "request_id",
                 "cookies", "multi_value", "direct_body", "prefix")

    def __init__(self, source: str, method: str, path: str, headers: dict[str, list[str]] | None = None,
                 query: dict[str, list[str]] | None = None, raw_body: str | None = None,
                 is_base64: bool = False, request_id: str | None = None, cookies: list[str] | None = None,
                 multi_value: bool = False, direct_body: Any = None, prefix: str = "") -> None:
        self.source = source
        self.method = method
        self.path = path
        self.headers: dict[str, list[str]] = {} if headers is None else headers
        self.query: dict[str, list[str]] = {} if query is None else query
        self.raw_body = raw_body
        self.is_base64 = is_base64
        self.request_id = request_id
        self.cookies: list[str] = [] if cookies is None else cookies
        self.multi_value = multi_value  # ALB in multi-value mode answers with multiValueHeaders
        self.direct_body = direct_body  # a direct invoke's payload, already JSON
        # What precedes the routed path in the URL the client used: "/prod" for a REST stage (or a
        # custom domain's base path), "" for Function URLs and ALB. Pages need it for their links.
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"HttpRequest({self.source}, {self.method} {self.path!r})"

    def header(self, name: str) -> str | None:
        return _last(self.headers.get(name.lower()))

    def query_value(self, name: str) -> str | None:
        return _last(self.query.get(name))

    def body_bytes(self) -> bytes:
        """The body as sent; RequestError (400) when a base64 body is not base64."""
        if self.raw_body is None:
            return b""
        if not self.is_base64:
            return self.raw_body.encode("utf-8", "surrogatepass")
        try:
            import base64  # binary bodies are rare; keep base64 out of the cold start

            return base64.b64decode(self.raw_body, validate=True)
        except ValueError:  # binascii.Error is a ValueError
            raise RequestError(
                "the body is marked base64-encoded but is not valid base64",
                hint="Encode the body with standard base64 (A-Z, a-z, 0-9, +, /, =).",
            ) from None

    def body_size_hint(self) -> int:
        """Decoded size of the body, computed without decoding it."""
        if self.raw_body is None:
            return 0
        return len(self.raw_body) * 3 // 4 if self.is_base64 else len(self.raw_body)


class RawBody:
    """A body sent as it is (a page, a script), not as JSON; binary data goes out base64-encoded."""

    __slots__ = ("data", "text")

    def __init__(self, data: bytes, text: bool = True) -> None:
        self.data = data
        self.text = text  # UTF-8 text; False: binary, sent base64-encoded

    def __repr__(self) -> str:
        return f"RawBody({len(self.data)} bytes, text={self.text})"


class HttpResponse:
    """One answer: status, a JSON-able body (or a RawBody) and headers, before the source's shape."""

    __slots__ = ("status", "body", "headers")

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body  # JSON-able, or a RawBody; serialised by the formatter
        self.headers: dict[str, str] = {} if headers is None else headers

    def __repr__(self) -> str:
        return f"HttpResponse({self.status}, {self.body!r}, {self.headers!r})"


def _obj(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


def _last(values: list[str] | None) -> str | None:
    return values[-1] if values else None


def _text(raw: Any) -> str | None:
    return None if raw is None else str(raw)


def _body(raw: Any) -> str | None:
    # Hand-written test events often carry the body as an object instead of a JSON string.
    if raw is None or isinstance(raw, str):
        return raw
    return json.dumps(raw)


def _single_to_multi(raw: Any) -> dict[str, list[str]]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): [str(v)] for k, v in raw.items() if v is not None}


def _multi(raw: Any) -> dict[str, list[str]]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): [str(v) for v in vs] for k, vs in raw.items() if isinstance(vs, list)}


def _lower(headers: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, values in headers.items():
        out.setdefault(name.lower(), []).extend(values)
    return out


def _strip_stage(path: str, stage: Any) -> str:
    # for parity: HTTP API puts a named stage in rawPath ("/prod/predict"); routes are stage-less.
    if isinstance(stage, str) and stage and stage != "$default":
        prefix = "/" + stage
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/"
    return path or "/"


def _prefix(public_path: Any, path: str) -> str:
    # The part of the URL's path in front of the routed one ("/prod/docs" - "/docs" = "/prod").
    public = str(public_path or "")
    if path == "/":
        return public.rstrip("/")
    return public[: -len(path)] if public.endswith(path) else ""


def _rest_route(event: dict[str, Any]) -> str | None:
    """The routed path from ``resource``, its {params} filled from pathParameters; None: unknown.

    for parity: behind a custom domain's base-path mapping `path` carries the base path
    ("/api/predict") and `resource` does not ("/predict"), so REST routes on the resource.
    """
    resource = event.get("resource")
    if not isinstance(resource, str) or not resource.startswith("/"):
        return None
    params = _obj(event.get("pathParameters"))
    parts: list[str] = []
    for segment in resource.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            value = params.get(segment[1:-1].removesuffix("+"))
            if not isinstance(value, str):
                return None
            segment = value.strip("/")
        parts.append(segment)
    return "/".join(parts) or "/"


def _rest(event: dict[str, Any]) -> HttpRequest:
    ctx = _obj(event.get("requestContext"))
    headers = _lower(_multi(event.get("multiValueHeaders")) or _single_to_multi(event.get("headers")))
    query = _multi(event.get("multiValueQueryStringParameters")) or _single_to_multi(
        event.get("queryStringParameters")
    )
    raw_path = str(event.get("path") or "/")
    route = _rest_route(event)
    # The resource wins when the path ends with it (hand-written test events often edit only `path`).
    path = route if route and raw_path.rstrip("/").endswith(route.rstrip("/")) else _strip_stage(
        raw_path, ctx.get("stage"))
    return HttpRequest(
        source=SOURCE_REST,
        method=str(event.get("httpMethod", "GET")).upper(),
        path=path,
        # for parity: REST's requestContext.path keeps the stage ("/prod/predict"); path does not.
        prefix=_prefix(ctx.get("path"), path),
        headers=headers,
        query=query,
        raw_body=_body(event.get("body")),
        is_base64=bool(event.get("isBase64Encoded")),
        request_id=_text(ctx.get("requestId")),
    )


def _v2(event: dict[str, Any], source: str) -> HttpRequest:
    ctx = _obj(event.get("requestContext"))
    http = _obj(ctx.get("http"))
    # for parity: v2 joins repeated headers and query values with commas.
    headers = {str(k).lower(): [str(v)] for k, v in _obj(event.get("headers")).items()}
    raw_query = str(event.get("rawQueryString") or "").removeprefix("?")
    if raw_query:
        query = parse_qs(raw_query, keep_blank_values=True)
    else:
        query = {str(k): str(v).split(",") for k, v in _obj(event.get("queryStringParameters")).items()}
    raw_path = str(event.get("rawPath") or http.get("path") or "/")
    cookies = event.get("cookies")
    path = _strip_stage(raw_path, ctx.get("stage"))
    return HttpRequest(
        source=source,
        method=str(http.get("method", "GET")).upper(),
        path=path,
        prefix=_prefix(raw_path, path),
        headers=headers,
        query=query,
        raw_body=_body(event.get("body")),
        is_base64=bool(event.get("isBase64Encoded")),
        request_id=_text(ctx.get("requestId")),
        cookies=[str(c) for c in cookies] if isinstance(cookies, list) else [],
    )


def _alb(event: dict[str, Any]) -> HttpRequest:
    multi = "multiValueHeaders" in event
    if multi:
        headers = _lower(_multi(event.get("multiValueHeaders")))
        raw_query = _multi(event.get("multiValueQueryStringParameters"))
    else:
        headers = _lower(_single_to_multi(event.get("headers")))
        raw_query = _single_to_multi(event.get("queryStringParameters"))
    # for parity: ALB passes query strings as sent, still URL-encoded.
    query = {unquote_plus(k): [unquote_plus(v) for v in vs] for k, vs in raw_query.items()}
    return HttpRequest(
        source=SOURCE_ALB,
        method=str(event.get("httpMethod", "GET")).upper(),
        path=str(event.get("path") or "/"),
        headers=headers,
        query=query,
        raw_body=_body(event.get("body")),
        is_base64=bool(event.get("isBase64Encoded")),
        multi_value=multi,
        request_id=_last(headers.get("x-amzn-trace-id")),
    )


def _event_source(event: dict[str, Any]) -> str | None:
    """The name of a non-HTTP event source, from the keys AWS documents for each; None: not one."""
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        tag = first.get("eventSource", first.get("EventSource"))
        if isinstance(tag, str) and (tag in _RECORD_SOURCES or tag.startswith("aws:")):
            return f"{_RECORD_SOURCES.get(tag, tag)} (eventSource {tag})"
    tag = event.get("eventSource")
    if isinstance(tag, str) and (tag in _RECORD_SOURCES or tag.startswith("aws:")):
        return f"{_RECORD_SOURCES.get(tag, tag)} (eventSource {tag})"
    source, detail_type = event.get("source"), event.get("detail-type")
    if isinstance(source, str) and isinstance(detail_type, str) and "detail" in event:
        return f"EventBridge (source {source[:100]}, detail-type {detail_type[:100]})"
    if isinstance(event.get("awslogs"), dict):
        return "CloudWatch Logs (a subscription filter)"
    return None


def lookalike_source(event: dict[str, Any]) -> str | None:
    """The name of a source that looks like a request but is not one we serve, else None.

    VPC Lattice v2 says version "2.0" like an HTTP API; a REST REQUEST authorizer carries httpMethod
    and a requestContext like a proxy event. Served as requests, they would be answered wrongly.
    """
    ctx = event.get("requestContext")
    lattice_keys = ("serviceNetworkArn", "targetGroupArn")
    if isinstance(ctx, dict) and "http" not in ctx and any(key in ctx for key in lattice_keys):
        return "a VPC Lattice event (version 2)"
    if "raw_path" in event and "method" in event and "requestContext" not in event:
        return "a VPC Lattice event (version 1)"
    if event.get("type") in ("TOKEN", "REQUEST") and ("methodArn" in event or "routeArn" in event):
        return "an API Gateway Lambda authorizer event"
    return None


def parse_event(event: Any, api_path: str) -> HttpRequest:
    """Tell the source from the event's shape and parse it; anything else is a direct invoke.

    Events of other sources (SQS, S3, ...) raise UnsupportedEventError: the invocation fails.
    """
    if isinstance(event, dict):
        lookalike = lookalike_source(event)
        if lookalike is not None:
            raise UnsupportedEventError(
                f"this function got {lookalike}; lambdaserve answers API Gateway (REST or HTTP API), "
                "Function URL, ALB and direct invokes only",
                hint="Point the source at the API's integration instead (an authorizer needs a function "
                "of its own; for VPC Lattice, put an ALB or API Gateway in front).",
            )
        ctx = event.get("requestContext")
        if isinstance(ctx, dict):
            if "elb" in ctx:
                return _alb(event)
            if event.get("version") == "2.0" or "http" in ctx:
                domain = str(ctx.get("domainName") or "")
                return _v2(event, SOURCE_URL if ".lambda-url." in domain else SOURCE_HTTP)
            if "httpMethod" in event:
                return _rest(event)
        if event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event":
            # The keep-warm schedule: answer like /health so the ping never runs a prediction.
            return HttpRequest(source=SOURCE_SCHEDULE, method="GET", path="/health",
                               request_id=_text(event.get("id")))
        source = _event_source(event)
        if source:
            raise UnsupportedEventError(
                f"lambdaserve got an event from {source}; it serves HTTP requests (API Gateway, "
                "Function URL, ALB) and direct invokes only, so this invocation fails on purpose "
                "(the source keeps or retries the event instead of dropping it)",
                hint="Remove the trigger, or invoke the function with {\"data\": [...]} from your "
                     "own consumer.")
    return HttpRequest(source=SOURCE_DIRECT, method="POST", path=api_path, direct_body=event)


def _status_line(status: int) -> str:
    try:
        from http import HTTPStatus  # ALB only

        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def format_response(request: HttpRequest, response: HttpResponse) -> Any:
    """The answer in the shape the request's source expects."""
    if request.source in (SOURCE_DIRECT, SOURCE_SCHEDULE):
        return response.body
    encoded = False
    if isinstance(response.body, RawBody):
        encoded = not response.body.text
        if encoded:
            import base64  # only binary assets need it

            body = base64.b64encode(response.body.data).decode("ascii")
        else:
            body = response.body.data.decode("utf-8")
    elif response.body is None:
        body = ""
    else:
        body = json.dumps(response.body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    out: dict[str, Any] = {"statusCode": response.status}
    if request.source == SOURCE_ALB:
        # for parity: ALB needs statusDescription, and multiValueHeaders in multi-value mode.
        out["statusDescription"] = _status_line(response.status)
        if request.multi_value:
            out["multiValueHeaders"] = {k: [v] for k, v in response.headers.items()}
        else:
            out["headers"] = dict(response.headers)
    else:
        out["headers"] = dict(response.headers)
    out["body"] = body
    out["isBase64Encoded"] = encoded
    return out
