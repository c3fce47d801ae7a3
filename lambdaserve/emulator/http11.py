"""A lean HTTP/1.1 server core for the emulator's two servers (the fronts, the Runtime API).

http.server parses every header block with the email package and writes each response in
several pieces; on the serve path that cost more than the rest of the front. Here a request
head is split by hand, and every response leaves in one ``sendall`` (one segment under
TCP_NODELAY, so the peer never waits on a delayed ACK). One thread per connection, which
keep-alive clients reuse for all their requests.
"""

from __future__ import annotations

import contextlib
import email.utils
import http
import socket
import socketserver
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from io import BufferedIOBase

MAX_LINE = 65536  # http.server's limits
MAX_HEADERS = 100
_REASONS = {s.value: s.phrase for s in http.HTTPStatus}


class HttpError(Exception):
    """A request this server cannot read; answered with ``status`` and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    method: str
    target: str  # as sent: path and query
    version: str  # HTTP/1.0 or HTTP/1.1
    headers: list[tuple[str, str]]  # in order, names as sent

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def keep_alive(self) -> bool:
        connection = (self.header("Connection") or "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection


def _line(rfile: BufferedIOBase, status: int, what: str) -> bytes:
    line = rfile.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise HttpError(status, f"{what} too long")
    return line


def read_head(rfile: BufferedIOBase) -> Request | None:
    """The next request line and headers; None when the client closed the connection."""
    line = _line(rfile, 414, "Request line")
    while line in (b"\r\n", b"\n"):  # RFC 9112: ignore empty lines before a request
        line = _line(rfile, 414, "Request line")
    if not line:
        return None
    parts = line.decode("iso-8859-1").split()
    if len(parts) != 3:
        raise HttpError(400, f"Bad request syntax ({line[:100]!r})")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise HttpError(505 if version.startswith("HTTP/") else 400, f"Bad request version ({version!r})")
    if target.startswith("//"):  # as http.server: never a scheme-relative URL
        target = "/" + target.lstrip("/")
    headers: list[tuple[str, str]] = []
    while True:
        line = _line(rfile, 431, "Header line")
        if line in (b"\r\n", b"\n", b""):
            return Request(method, target, version, headers)
        text = line.decode("iso-8859-1")
        if text[0] in " \t" and headers:  # an obsolete folded continuation line
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {text.strip()}")
            continue
        name, sep, value = text.partition(":")
        if not sep or not name.strip():
            raise HttpError(400, f"Bad header line ({line[:100]!r})")
        headers.append((name.strip(), value.strip()))
        if len(headers) > MAX_HEADERS:
            raise HttpError(431, "Too many headers")


def read_body(rfile: BufferedIOBase, req: Request, limit: int, *, drain: bool = False) -> bytes | None:
    """The body by Content-Length or chunked; None when it is over ``limit`` (then left unread,
    or read and dropped with ``drain`` so the connection stays usable)."""
    if "chunked" in (req.header("Transfer-Encoding") or "").lower():
        return _read_chunked(rfile, limit, drain)
    try:
        length = int(req.header("Content-Length") or 0)
    except ValueError:
        raise HttpError(400, "Bad Content-Length") from None
    if length < 0:
        raise HttpError(400, "Bad Content-Length")
    if length > limit:
        while drain and length > 0:
            data = rfile.read(min(length, 1 << 20))
            if not data:
                raise HttpError(400, "Incomplete body")
            length -= len(data)
        return None
    body = rfile.read(length) if length else b""
    if len(body) < length:
        raise HttpError(400, "Incomplete body")
    return body


def _read_chunked(rfile: BufferedIOBase, limit: int, drain: bool) -> bytes | None:
    parts: list[bytes] = []
    size = 0
    while True:
        try:
            chunk = int(rfile.readline(1024).split(b";")[0].strip(), 16)
        except ValueError:
            raise HttpError(400, "Bad chunk size") from None
        if chunk == 0:
            while rfile.readline(1024).strip():  # trailers
                pass
            return b"".join(parts) if size <= limit else None
        size += chunk
        if size > limit and not drain:
            return None
        data = rfile.read(chunk)
        if size <= limit:
            parts.append(data)
        rfile.readline(8)  # the CRLF after each chunk


_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """The Date header, formatted once a second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, email.utils.formatdate(now, usegmt=True))
    return _date_cache[1]


def response(status: int, headers: Iterable[tuple[str, str]], body: bytes, *,
             head: bool = False, close: bool = False) -> bytes:
    """One response, head and body together; Content-Length and Connection are set here."""
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}", f"Date: {http_date()}"]
    lines += [f"{name}: {value}" for name, value in headers
              if name.lower() not in ("content-length", "connection", "transfer-encoding", "date")]
    lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    wire = ("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1", "replace")
    return wire if head else wire + body


class Connection(socketserver.StreamRequestHandler):
    """One client connection; subclasses answer with ``send`` from ``handle_request``."""

    def setup(self) -> None:
        super().setup()
        # Without it, Nagle + delayed ACK cost ~40-90 ms on every small response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.close_connection = False
        self._write_lock = threading.Lock()  # another thread may answer (a deadline, a parked GET)

    def send(self, wire: bytes) -> None:
        with self._write_lock:
            self.connection.sendall(wire)

    def continue_100(self, req: Request) -> None:
        """Answer Expect: 100-continue before reading the body, as http.server does."""
        if req.version == "HTTP/1.1" and (req.header("Expect") or "").lower() == "100-continue":
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")

    def handle_request(self, req: Request) -> None:
        raise NotImplementedError

    def refuse(self, status: int, message: str) -> None:
        """Answer a request that could not be read, and close."""
        self.send(response(status, [("Content-Type", "text/plain")], message.encode(), close=True))

    def handle(self) -> None:
        while not self.close_connection:
            try:
                req = read_head(self.rfile)
                if req is None:
                    return
                self.close_connection = not req.keep_alive
                self.handle_request(req)
            except HttpError as exc:
                with contextlib.suppress(OSError):
                    self.refuse(exc.status, str(exc))
                return
            except OSError:  # the client left or reset the connection
                return
