"""Strict parsing of a Lambda proxy response, as API Gateway does it.

API Gateway answers a malformed response with its own bare 5xx and keeps the reason in
``$context.integrationErrorMessage``. Here every rejection raises ``MalformedProxyResponse``
whose message is that reason, so the local log always says why.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# REST APIs reject any other key; HTTP APIs ignore unknown ones.
REST_KEYS = frozenset({"statusCode", "body", "headers", "multiValueHeaders", "isBase64Encoded",
                       "base64Encoded", "cookies"})


class MalformedProxyResponse(ValueError):
    """The function answered, but not in the Lambda proxy response format."""


@dataclass(frozen=True)
class GatewayResponse:
    """What the gateway sends back to the client."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None


def _status(raw: dict[str, Any], required: bool) -> int:
    if "statusCode" not in raw or raw["statusCode"] is None:
        if required:
            raise MalformedProxyResponse("statusCode is missing")
        return 200
    value = raw["statusCode"]
    # A numeric string passes (API Gateway reads it as a number); a bool or float does not.
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise MalformedProxyResponse(f"statusCode must be an integer from 100 to 599, got {value!r}")
    return value


def _headers(raw: dict[str, Any]) -> list[tuple[str, str]]:
    single = raw.get("headers") or {}
    multi = raw.get("multiValueHeaders") or {}
    if not isinstance(single, dict):
        raise MalformedProxyResponse(f"headers must be an object of strings, got {type(single).__name__}")
    if not isinstance(multi, dict):
        raise MalformedProxyResponse(
            f"multiValueHeaders must be an object of string lists, got {type(multi).__name__}")
    out: list[tuple[str, str]] = []
    for name, values in multi.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise MalformedProxyResponse(f"multiValueHeaders[{name!r}] must be a list of strings, "
                                         f"got {values!r}")
        out.extend((name, v) for v in values)
    for name, value in single.items():
        if not isinstance(value, str):
            raise MalformedProxyResponse(f"headers[{name!r}] must be a string, got {value!r}")
        # A pair present in both maps appears once.
        if value not in multi.get(name, []):
            out.append((name, value))
    return out


def _flag(raw: dict[str, Any], key: str) -> bool:
    value = raw.get(key)
    if value is None:
        return False
    if isinstance(value, str) and value in ("true", "True", "false", "False"):
        return value in ("true", "True")
    if not isinstance(value, bool):
        raise MalformedProxyResponse(f"{key} must be true or false, got {value!r}")
    return value


def _body(raw: dict[str, Any], decode: bool) -> bytes:
    body = raw.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedProxyResponse(
            f"body must be a string (use json.dumps), got {type(body).__name__}")
    if not decode:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedProxyResponse(f"isBase64Encoded is true but body is not base64: {exc}") from exc


def _load(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedProxyResponse(f"the response is not valid JSON: {exc}") from exc


def _with_content_type(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return headers


def parse_rest(payload: bytes, *, binary_media_types: Sequence[str] = (),
               accept: str | None = None) -> GatewayResponse:
    """A REST API (payload 1.0) proxy response."""
    raw = _load(payload)
    if not isinstance(raw, dict):
        raise MalformedProxyResponse(f"the response must be a JSON object, got {type(raw).__name__}")
    if not REST_KEYS.issuperset(raw):
        unknown = sorted(set(raw) - REST_KEYS)
        raise MalformedProxyResponse(f"unexpected keys {unknown}; allowed: {', '.join(sorted(REST_KEYS))}")
    status = _status(raw, required=False)
    headers = _with_content_type(_headers(raw))
    # REST checks base64Encoded first, then isBase64Encoded.
    encoded = _flag(raw, "base64Encoded") if raw.get("base64Encoded") is not None else _flag(
        raw, "isBase64Encoded")
    # REST decodes only when the response type (or Accept) is a binary media type of the API.
    content_type = next(v for k, v in headers if k.lower() == "content-type").split(";")[0].strip()
    binary = "*/*" in binary_media_types or content_type in binary_media_types or (
        accept is not None and accept.split(";")[0].strip() in binary_media_types)
    return GatewayResponse(status, headers, _body(raw, encoded and binary))


def parse_http(payload: bytes) -> GatewayResponse:
    """An HTTP API (payload 2.0) proxy response; any JSON without statusCode is a 200 body."""
    raw = _load(payload)
    if not isinstance(raw, dict) or "statusCode" not in raw:
        return GatewayResponse(200, [("Content-Type", "application/json")], payload.strip())
    status = _status(raw, required=True)
    headers = _with_content_type(_headers({"headers": raw.get("headers")}))
    cookies = raw.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise MalformedProxyResponse(f"cookies must be a list of strings, got {cookies!r}")
    headers.extend(("Set-Cookie", c) for c in cookies)
    return GatewayResponse(status, headers, _body(raw, _flag(raw, "isBase64Encoded")))
