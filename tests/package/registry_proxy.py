"""A fault-injecting HTTP proxy in front of the test registry, for the push fault tests.

It adds what docker-registry's test setup lacks (Bearer or Basic auth with a token
endpoint) and injects one-shot faults: an expired token, a connection dropped in the middle
of a chunk (after forwarding the half it read, like a real network cut), a corrupted chunk,
and a wrong manifest digest. The registry keeps upload state in the URL (``_state``); the
proxy always forwards the newest state for an upload, like a registry with server-side
state (ECR), so a client can resume mid-chunk.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import re
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_UPLOAD_RE = re.compile(r"/blobs/uploads/([0-9a-f-]{36})")
_BLOB_RE = re.compile(r"/blobs/sha256:[0-9a-f]{64}$")
_HOP = {"connection", "keep-alive", "transfer-encoding", "authorization", "content-length"}


@dataclass
class Faults:
    expire_token_after: int | None = None  # authorised requests before tokens expire (once)
    drop_patch: int = 0  # cut the n-th PATCH from now after forwarding half its body
    corrupt_patch: bool = False  # flip one byte of the next PATCH's body
    wrong_manifest_digest: bool = False
    redirect_patch: bool = False  # answer the next PATCH with a 307 to itself
    redirect_blob_gets: bool = False  # send blob GETs straight to the registry, as S3 URLs are
    drop_method: str = ""  # cut the next requests of this method before forwarding them
    drop_times: int = 1


@dataclass
class ProxyLog:
    requests: list[tuple[str, str, int]] = field(default_factory=list)  # method, path, status
    bytes_received: int = 0
    tokens_issued: int = 0
    dropped: int = 0


class FaultProxy:
    def __init__(self, upstream: str, *, auth: str | None = None, username: str = "robot",
                 password: str = "s3cret", anonymous_pull: bool = False) -> None:
        self.upstream, self.auth, self.anonymous_pull = upstream, auth, anonymous_pull
        self.username, self.password = username, password
        self.faults, self.log = Faults(), ProxyLog()
        self.tokens: set[str] = set()
        self.latest_state: dict[str, str] = {}
        self.authorised = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    def count(self, method: str, fragment: str = "") -> int:
        return sum(1 for m, p, _ in self.log.requests if m == method and fragment in p)


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:  # keep test output quiet
            pass

        def _reply(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and self.command != "HEAD":
                self.wfile.write(body)
            proxy.log.requests.append((self.command, self.path, status))

        def _token(self) -> None:
            given = self.headers.get("Authorization", "")
            # Like public.ecr.aws: anyone gets a token, but an anonymous one only for pulls.
            anonymous = proxy.anonymous_pull and not given and ":push" not in urllib.parse.unquote(self.path)
            if given != _basic(proxy.username, proxy.password) and not anonymous:
                self._reply(401, {}, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
                return
            with proxy.lock:
                proxy.log.tokens_issued += 1
                token = f"token-{proxy.log.tokens_issued}"
                proxy.tokens.add(token)
            self._reply(200, {"Content-Type": "application/json"}, f'{{"token":"{token}"}}'.encode())

        def _allowed(self) -> bool:
            given = self.headers.get("Authorization", "")
            if proxy.auth == "basic":
                ok = given == _basic(proxy.username, proxy.password)
                challenge = 'Basic realm="test"'
            else:
                ok = given.startswith("Bearer ") and given[7:] in proxy.tokens
                challenge = f'Bearer realm="http://{proxy.host}/token",service="test-registry"'
            if ok and proxy.faults.expire_token_after is not None:
                with proxy.lock:
                    proxy.authorised += 1
                    if proxy.authorised >= proxy.faults.expire_token_after:
                        proxy.faults.expire_token_after = None
                        proxy.tokens.clear()
                        ok = False
            if not ok:
                self._read_body()
                self._reply(401, {"WWW-Authenticate": challenge}, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            return ok

        def _read_body(self, limit: int | None = None) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():  # Go clients stream so
                # A bytearray: `bytes +=` copied the whole body per chunk, quadratic in a layer's size
                # (a 70 MB layer in 32 KB chunks: ~60 CPU-s, mostly the kernel zeroing fresh pages).
                data = bytearray()
                while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                    data += self.rfile.read(size)
                    self.rfile.readline()
                while self.rfile.readline().strip():  # trailers, up to the blank line
                    pass
                proxy.log.bytes_received += len(data)
                return bytes(data)
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length if limit is None else min(limit, length))
            proxy.log.bytes_received += len(data)
            return data

        def _target(self) -> str:
            parts = urllib.parse.urlsplit(self.path)
            match = _UPLOAD_RE.search(parts.path)
            if not match or match.group(1) not in proxy.latest_state:
                return self.path
            query = dict(urllib.parse.parse_qsl(parts.query))
            query["_state"] = proxy.latest_state[match.group(1)]
            return urllib.parse.urlunsplit(("", "", parts.path, urllib.parse.urlencode(query), ""))

        def _forward(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            conn = http.client.HTTPConnection(proxy.upstream, timeout=60)
            try:
                conn.request(self.command, self._target(), body=body if self.command != "HEAD" else None,
                             headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                out = {k: v for k, v in resp.getheaders() if k.lower() not in _HOP}
                if self.command == "HEAD" and resp.getheader("Content-Length"):
                    out["Content-Length"] = resp.getheader("Content-Length") or "0"
                location = resp.getheader("Location") or ""
                match = _UPLOAD_RE.search(location)
                if match:
                    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query)).get("_state")
                    if state:
                        proxy.latest_state[match.group(1)] = state
                return resp.status, out, data
            finally:
                conn.close()

        def _headers(self) -> dict[str, str]:
            return {k: v for k, v in self.headers.items() if k.lower() not in _HOP}

        def _drop_mid_patch(self) -> None:
            """Forward half of this chunk to the registry, then cut the client's connection."""
            length = int(self.headers.get("Content-Length") or 0)
            half = self._read_body(length // 2)
            start = int((self.headers.get("Content-Range") or "0-0").split("-")[0])
            headers = {**self._headers(), "Content-Range": f"{start}-{start + len(half) - 1}"}
            self._forward(half, headers)
            proxy.log.dropped += 1
            proxy.log.requests.append((self.command, self.path, 0))
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

        def _handle(self) -> None:
            if self.path.startswith("/token"):
                self._token()
                return
            if proxy.auth and not self._allowed():
                return
            if self.command == proxy.faults.drop_method:
                proxy.faults.drop_times -= 1
                if proxy.faults.drop_times <= 0:
                    proxy.faults.drop_method = ""
                proxy.log.dropped += 1
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if self.command == "PATCH" and proxy.faults.drop_patch:
                proxy.faults.drop_patch -= 1
                if proxy.faults.drop_patch == 0:
                    self._drop_mid_patch()
                    return
            if self.command == "PATCH" and proxy.faults.redirect_patch:
                proxy.faults.redirect_patch = False
                self._read_body()
                self._reply(307, {"Location": self._target()})
                return
            if self.command == "GET" and proxy.faults.redirect_blob_gets and _BLOB_RE.search(self.path):
                self._reply(307, {"Location": f"http://{proxy.upstream}{self.path}"})
                return
            body = self._read_body()
            if self.command == "PATCH" and proxy.faults.corrupt_patch and body:
                proxy.faults.corrupt_patch = False
                body = bytes([body[0] ^ 0xFF]) + body[1:]
            status, headers, data = self._forward(body, self._headers())
            if self.command == "PUT" and "/manifests/" in self.path and proxy.faults.wrong_manifest_digest:
                proxy.faults.wrong_manifest_digest = False
                headers["Docker-Content-Digest"] = "sha256:" + hashlib.sha256(b"tampered").hexdigest()
            self._reply(status, headers, data)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    return Handler


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
