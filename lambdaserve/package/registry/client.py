"""A small Registry HTTP API v2 client on http.client: auth, redirects, retries, byte counts.

One client talks to one registry. It answers 401 challenges (Basic, or Bearer with a token
for the scopes it has been told about), refreshes a rejected token once with fresh
credentials, follows 30x redirects (dropping Authorization on another host, as S3's
presigned URLs require) and counts every body byte it sends, so tests and benchmarks can
prove an unchanged re-push uploads nothing.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message

from lambdaserve.errors import BuildError
from lambdaserve.package.registry.auth import (
    Challenge,
    CredentialProvider,
    Credentials,
    basic_header,
    fetch_token,
    parse_challenge,
)

# What a dropped or reset connection looks like from http.client.
NETWORK_ERRORS = (ConnectionError, http.client.HTTPException, socket.timeout, OSError)
REDIRECTS = (301, 302, 303, 307, 308)
IDEMPOTENT = ("GET", "HEAD")


class RegistryUnreachable(BuildError):
    """The connection failed (refused, reset, timed out); ``transient`` ones may be retried."""

    def __init__(self, registry: str, method: str, url: str, cause: BaseException, transient: bool) -> None:
        path = urllib.parse.urlsplit(url).path
        why = str(cause) or type(cause).__name__
        super().__init__(f"{method} {registry}{path}: cannot reach the registry ({why})",
                         hint="Check the registry address and your network (a proxy or VPN may block it).")
        self.transient = transient
MAX_REDIRECTS = 5


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes
    url: str

    def header(self, name: str) -> str:
        return str(self.headers.get(name, ""))


@dataclass
class Stats:
    bytes_sent: int = 0  # request bodies handed to the network, retries included
    requests: int = 0
    by_method: dict[str, int] = field(default_factory=dict)



def backoff(attempt: int) -> float:
    """Seconds before retry ``attempt`` (1-based): 0.5, 1, 2, 4, then 8 at most."""
    return float(min(0.5 * 2 ** (attempt - 1), 8.0))


class RegistryClient:
    def __init__(self, registry: str, *, insecure: bool = False,
                 credentials: CredentialProvider | None = None, timeout: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep, retries: int = 4) -> None:
        self.registry = registry
        self.base = f"{'http' if insecure else 'https'}://{registry}"
        self._credentials = credentials
        self._creds: Credentials | None = None
        self._creds_loaded = False
        self._auth: str | None = None
        self._challenge: Challenge | None = None
        self._scopes: list[str] = []
        self._timeout = timeout
        self._conns: dict[tuple[str, str], http.client.HTTPConnection] = {}
        self.sleep = sleep
        self.retries = retries
        self.stats = Stats()

    # -- auth ---------------------------------------------------------------
    def add_scope(self, scope: str) -> None:
        """e.g. repository:team/model:pull,push; a new scope needs a new token."""
        if scope not in self._scopes:
            self._scopes.append(scope)
            if self._challenge is not None and self._challenge.scheme == "bearer":
                self._authenticate(self._challenge, refresh=False)

    def _get_creds(self, refresh: bool) -> Credentials | None:
        if self._credentials is not None and (refresh or not self._creds_loaded):
            self._creds = self._credentials()
            self._creds_loaded = True
        return self._creds

    def _authenticate(self, challenge: Challenge, refresh: bool) -> None:
        self._challenge = challenge
        creds = self._get_creds(refresh)
        if challenge.scheme == "basic":
            if creds is None:
                raise BuildError(f"{self.registry} needs a login and none was given",
                                 hint="Pass credentials for this registry (for ECR, lambdaserve asks "
                                      "AWS for a fresh token on every push).")
            self._auth = basic_header(creds)
        elif challenge.scheme == "bearer":
            self._auth = "Bearer " + fetch_token(challenge, self._scopes, creds, self._timeout)
        else:
            raise BuildError(f"{self.registry} asks for unsupported auth '{challenge.scheme}'",
                             hint="Only Basic and Bearer registry auth are supported.")

    # -- transport ----------------------------------------------------------
    def _conn(self, scheme: str, netloc: str, fresh: bool = False) -> http.client.HTTPConnection:
        key = (scheme, netloc)
        if fresh and key in self._conns:
            self._conns.pop(key).close()
        if key not in self._conns:
            cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            self._conns[key] = cls(netloc, timeout=self._timeout)
        return self._conns[key]

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base + path

    def _send(self, method: str, url: str, headers: dict[str, str], body: bytes | None,
              stream: bool) -> tuple[http.client.HTTPResponse, bytes]:
        parts = urllib.parse.urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        hdrs = {"User-Agent": "lambdaserve", **headers}
        if body is not None:
            hdrs["Content-Length"] = str(len(body))
        if self._auth and parts.netloc == urllib.parse.urlsplit(self.base).netloc:
            hdrs.setdefault("Authorization", self._auth)
        # A kept-alive connection the server closed fails on first use; that one retry is free.
        for attempt in (0, 1):
            conn = self._conn(parts.scheme, parts.netloc, fresh=stream or attempt == 1)
            try:
                self.stats.requests += 1
                self.stats.by_method[method] = self.stats.by_method.get(method, 0) + 1
                if body:
                    self.stats.bytes_sent += len(body)
                conn.request(method, target, body=body, headers=hdrs)
                resp = conn.getresponse()
                data = b"" if stream else resp.read()
                if stream:
                    self._conns.pop((parts.scheme, parts.netloc), None)  # the caller reads it
                return resp, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self._conns.pop((parts.scheme, parts.netloc), None)
                conn.close()
                if attempt == 1 or body:
                    raise RegistryUnreachable(self.registry, method, url, exc, transient=True) from exc
            except NETWORK_ERRORS as exc:
                self._conns.pop((parts.scheme, parts.netloc), None)
                conn.close()
                # Refused, unknown host or a TLS failure will not fix itself by retrying.
                transient = not isinstance(exc, (ConnectionRefusedError, socket.gaierror, ssl.SSLError))
                raise RegistryUnreachable(self.registry, method, url, exc, transient) from exc
        raise AssertionError("unreachable")

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                body: bytes | None = None, ok: tuple[int, ...] = (200,), stream: bool = False,
                ) -> tuple[Response, http.client.HTTPResponse | None]:
        """One API call with auth and redirects; errors outside ``ok`` raise BuildError.

        With ``stream`` the body is not read: the returned HTTPResponse is the caller's to read.
        """
        url, refreshed, redirects, attempt = self.url(path), False, 0, 0
        while True:
            try:
                resp, data = self._send(method, url, headers or {}, body, stream)
            except RegistryUnreachable as exc:
                if method not in IDEMPOTENT or not exc.transient:
                    raise
                attempt += 1
                self.retrying(f"{method} {urllib.parse.urlsplit(url).path}", attempt, exc)
                continue
            if resp.status in (502, 503, 504) and method in IDEMPOTENT and attempt < self.retries:
                attempt += 1  # a busy registry or its load balancer: try again shortly
                if stream:
                    resp.close()
                self.sleep(backoff(attempt))
                continue
            if resp.status == 401 and redirects == 0:
                challenge = resp.getheader("WWW-Authenticate") or ""
                if stream:
                    resp.close()
                if not challenge or refreshed:
                    raise self._refused(method, url, resp.status, data)
                # The first 401 means "log in"; one after sending auth means the token expired:
                # ask the provider for fresh credentials and a new token, once.
                had_auth = self._auth is not None
                self._authenticate(parse_challenge(challenge), refresh=had_auth)
                refreshed = had_auth
                continue
            if resp.status in REDIRECTS and redirects < MAX_REDIRECTS:
                location = resp.getheader("Location") or ""
                if stream:
                    resp.close()
                url = urllib.parse.urljoin(url, location)
                redirects += 1
                if resp.status == 303:
                    method, body = "GET", None
                continue
            result = Response(resp.status, resp.headers, data, url)
            if resp.status not in ok:
                if stream:
                    result.body = resp.read()
                raise self._refused(method, url, resp.status, result.body)
            return result, (resp if stream else None)

    def _refused(self, method: str, url: str, status: int, body: bytes) -> BuildError:
        detail = body[:300].decode("utf-8", "replace").strip()
        path = urllib.parse.urlsplit(url).path
        if status == 401:
            hint = ("The registry rejected the credentials. For ECR, check that your AWS identity may "
                    "push to this repository (ecr:InitiateLayerUpload, ecr:PutImage).")
        elif status == 403:
            hint = "Your credentials lack permission for this repository."
        elif status == 404:
            hint = "Check the repository name and tag; for ECR, create the repository first."
        else:
            hint = "The registry refused the request; retry, or check its logs."
        return BuildError(f"{method} {self.registry}{path}: HTTP {status} {detail}", hint=hint)

    # -- small helpers ------------------------------------------------------
    def head_blob(self, repository: str, digest: str) -> bool:
        resp, _ = self.request("HEAD", f"/v2/{repository}/blobs/{digest}", ok=(200, 404))
        return resp.status == 200

    def get_json(self, path: str, accept: str) -> Response:
        resp, _ = self.request("GET", path, headers={"Accept": accept})
        return resp

    def retrying(self, what: str, attempt: int, exc: BaseException) -> None:
        """Back off before retry ``attempt`` (1-based), or give up with a clear error."""
        if attempt > self.retries:
            raise BuildError(f"{what}: the connection to {self.registry} kept failing ({exc})",
                             hint="Check your network, then push again.") from exc
        self.sleep(backoff(attempt))
