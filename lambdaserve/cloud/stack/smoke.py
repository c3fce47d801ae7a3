"""After a deploy, GET <ApiUrl>/health until it answers (a new API can take seconds to appear)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from lambdaserve.cloud.aws import Sleep

# (url, timeout seconds) -> (HTTP status, body); raises OSError when unreachable.
HttpGet = Callable[[str, float], tuple[int, bytes]]


def urllib_get(url: str, timeout: float) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 (http(s) only)
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


@dataclass(frozen=True)
class SmokeResult:
    url: str
    ok: bool
    status: int  # 0 when it never answered
    detail: str
    attempts: int


def smoke_test(api_url: str, *, http_get: HttpGet | None = None, sleep: Sleep = time.sleep,
               attempts: int = 6, delay: float = 5.0, timeout: float = 30.0,
               auth: str = "none") -> SmokeResult:
    """Healthy on a 200; retried on errors, 5xx and 403/404 (DNS and stage propagation)."""
    get = http_get or urllib_get
    url = api_url.rstrip("/") + "/health"
    status, detail = 0, "no answer"
    for attempt in range(1, attempts + 1):
        try:
            status, body = get(url, timeout)
            detail = f"{status}: {body[:200].decode('utf-8', 'replace')}"
        except OSError as exc:
            status, detail = 0, f"no answer ({exc})"
        if status == 200:
            return SmokeResult(url, True, status, detail, attempt)
        if status in (401, 403) and auth != "none":
            detail = f"{status}: protected by {auth} auth, as configured"
            return SmokeResult(url, True, status, detail, attempt)
        if 400 <= status < 500 and status not in (403, 404, 429):
            break  # a real client error will not go away by waiting
        if attempt < attempts:
            sleep(delay)
    return SmokeResult(url, False, status, detail, attempts)
