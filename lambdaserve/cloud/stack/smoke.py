"""After a deploy: GET <ApiUrl>/health until it answers (a new API can take seconds to appear),
then POST the golden requests (``lambdaserve.runtime.golden``) and compare the answers.

/health alone proves little: it answers 200 from a function whose every prediction fails.
The golden requests are the ones ``build`` sent to the package, with its answers: labels
must match exactly and scores within the recorded tolerance. A 5xx or a different answer
fails the smoke test. They are not sent when api.auth protects the predict route (the
smoke test holds no credentials); the result says so.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from lambdaserve.cloud.aws import Sleep
from lambdaserve.runtime.golden import GoldenSet, check

# (url, timeout seconds) -> (HTTP status, body); raises OSError when unreachable.
HttpGet = Callable[[str, float], tuple[int, bytes]]
# (url, JSON body, timeout seconds) -> (HTTP status, body); raises OSError when unreachable.
HttpPost = Callable[[str, bytes, float], tuple[int, bytes]]


def urllib_get(url: str, timeout: float) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 (http(s) only)
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def urllib_post(url: str, body: bytes, timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (http(s) only)
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
    golden_sent: int = 0  # golden requests sent (and passed, when ok)
    failures: tuple[str, ...] = field(default_factory=tuple)  # "<name>: why", one per failed request
    notes: tuple[str, ...] = field(default_factory=tuple)  # what was not checked, and why


def smoke_test(api_url: str, *, http_get: HttpGet | None = None, sleep: Sleep = time.sleep,
               attempts: int = 6, delay: float = 5.0, timeout: float = 30.0,
               auth: str = "none", golden: GoldenSet | None = None,
               http_post: HttpPost | None = None) -> SmokeResult:
    """Healthy on a 200 (retried on errors, 5xx and 403/404: DNS and stage propagation), then
    every golden request must pass ``golden.check``."""
    health = _health(api_url, http_get or urllib_get, sleep, attempts, delay, timeout, auth)
    if not health.ok or golden is None or not golden.requests:
        return health
    if auth != "none":
        note = (f"{len(golden.requests)} golden requests not sent: api.auth = {auth} protects the "
                "predict route; send them yourself with credentials")
        return SmokeResult(health.url, True, health.status, health.detail, health.attempts, notes=(note,))
    post = http_post or urllib_post
    failures = []
    for request in golden.requests:
        url = request.url(api_url)
        try:
            status, body = post(url, request.data(), timeout)
            why = check(request, status, body, golden.tolerance)
        except OSError as exc:
            why = f"no answer ({exc})"
        if why is not None:
            failures.append(f"{request.name or url}: {why}")
    sent = len(golden.requests)
    if failures:
        detail = f"{len(failures)} of {sent} golden requests failed: {failures[0]}"
        return SmokeResult(health.url, False, health.status, detail, health.attempts, sent, tuple(failures))
    what = "answered as recorded" if golden.recorded else "answered 2xx (no answers recorded to compare)"
    detail = f"{health.detail[:80]}; {sent} golden requests {what}"
    return SmokeResult(health.url, True, health.status, detail, health.attempts, sent)


def _health(api_url: str, get: HttpGet, sleep: Sleep, attempts: int, delay: float, timeout: float,
            auth: str) -> SmokeResult:
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
