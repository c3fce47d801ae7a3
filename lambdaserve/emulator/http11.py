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
import io
import re
import socket
import socketserver
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from io import BufferedIOBase
from typing import Any

MAX_LINE = 65536  # http.server's limits
MAX_HEADERS = 100
LINGER_S = 2.0  # after a refusal, how long to read and drop what the client still sends
LINGER_BYTES = 32 * 1024 * 1024
_REASONS = {s.value: s.phrase for s in http.HTTPStatus}
# RFC 9110 tokens (methods, header names), and what a field value may not hold.
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_BAD_TARGET = re.compile(r"[^\x21-\x7e]")  # RFC 9112 3.2: visible ASCII only
# RFC 9112 3.2.2: absolute-form, e.g. "http://host/path?q" (what a proxy-minded client sends).
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://(?P<authority>[^/?#]*)(?P<rest>[^#]*)$")
_CHUNK_SIZE = re.compile(rb"^[0-9A-Fa-f]{1,16}$")  # no sign, no 0x: a negative size is malformed
# A well-formed field line in one match: token, colon, a value without control characters, then
# the line's end (readline leaves one LF, maybe after CRs). Anything else takes the slow path,
# which says what is wrong with it; the two accept exactly the same lines.
_FIELD = re.compile(r"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):([^\x00-\x08\x0a-\x1f\x7f]*)\r*\n")


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
        # A dict made once: each request asks for four or five headers before it is answered.
        by_name = self.__dict__.get("_by_name")
        if by_name is None:
            by_name = {}
            for key, value in self.headers:
                by_name.setdefault(key.lower(), value)
            self.__dict__["_by_name"] = by_name
        return by_name.get(name.lower())

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


class DeadlineReader(io.RawIOBase):
    """A socket's raw reader that will not wait past ``deadline`` (time.monotonic()).

    A socket timeout bounds each recv, not a request head: a client dripping a byte per recv
    would hold its thread for ever. Each recv here first checks the head's deadline, so a head
    takes at most its budget plus one recv's timeout. Closing it leaves the socket open.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise TimeoutError("the request head took too long")
        return self._sock.recv_into(b)


def read_head(rfile: BufferedIOBase, head_timeout_s: float | None = None) -> Request | None:
    """The next request line and headers; None when the client closed the connection (or,
    under a read timeout, stayed idle between requests). With ``head_timeout_s`` and a reader
    over a ``DeadlineReader``, the whole head must arrive within that time of its first byte."""
    raw = None if head_timeout_s is None else getattr(rfile, "raw", None)
    if head_timeout_s is None or not isinstance(raw, DeadlineReader):
        try:
            line = _line(rfile, 414, "Request line")
        except TimeoutError:
            return None  # an idle keep-alive connection: closed without a word, as a proxy does
        try:
            return _rest_of_head(rfile, line)
        except TimeoutError:
            raise HttpError(408, "Request Timeout") from None
    try:
        if not rfile.peek(1):  # type: ignore[attr-defined]  # a BufferedReader
            return None
    except TimeoutError:
        return None
    raw.deadline = time.monotonic() + head_timeout_s  # from the head's first byte
    try:
        return _rest_of_head(rfile, _line(rfile, 414, "Request line"))
    except TimeoutError:
        raise HttpError(408, "Request Timeout") from None
    finally:
        raw.deadline = None


def _rest_of_head(rfile: BufferedIOBase, line: bytes) -> Request | None:
    while line in (b"\r\n", b"\n"):  # RFC 9112: ignore empty lines before a request
        line = _line(rfile, 414, "Request line")
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise HttpError(400, "Incomplete request line")
    text = line.decode("iso-8859-1").rstrip("\r\n")
    parts = text.split(" ")
    if len(parts) != 3 or not all(parts):
        raise HttpError(400, f"Bad request syntax ({line[:100]!r})")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        version = _other_version(version)
    if not _TOKEN.match(method):
        raise HttpError(400, f"Bad request method ({method[:20]!r})")
    authority = None
    if not (target.startswith("/") or target == "*"):
        target, authority = _absolute_form(target)
    if _BAD_TARGET.search(target):
        raise HttpError(400, f"Bad request target ({target[:100]!r})")
    if target.startswith("//"):  # as http.server: never a scheme-relative URL
        target = "/" + target.lstrip("/")
    headers: list[tuple[str, str]] = []
    field = _FIELD.fullmatch
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise HttpError(431, "Header line too long")
        if line in (b"\r\n", b"\n"):
            if authority is not None:  # RFC 9112 3.2.2: the target's host replaces Host
                headers = [(k, v) for k, v in headers if k.lower() != "host"] + [("Host", authority)]
            return Request(method, target, version, headers)
        found = field(line.decode("iso-8859-1"))
        if found is not None:  # the common case, checked in one match
            headers.append((found[1], found[2].strip(" \t")))
            if len(headers) > MAX_HEADERS:
                raise HttpError(431, "Too many headers")
            continue
        if not line.endswith(b"\n"):
            raise HttpError(400, "Incomplete request head")
        text = line.decode("iso-8859-1").rstrip("\r\n")
        if text[0] in " \t" and headers:  # an obsolete folded continuation line
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {text.strip()}")
            continue
        name, sep, value = text.partition(":")
        # RFC 9112 5.1: no whitespace between a field name and its colon
        if not sep or not _TOKEN.match(name) or _BAD_VALUE.search(value):
            raise HttpError(400, f"Bad header line ({line[:100]!r})")
        headers.append((name, value.strip(" \t")))
        if len(headers) > MAX_HEADERS:
            raise HttpError(431, "Too many headers")


def _other_version(version: str) -> str:
    # RFC 9110 2.5: a later HTTP/1.x is answered as the highest 1.x we speak; other majors are 505.
    if re.fullmatch(r"HTTP/1\.\d", version):
        return "HTTP/1.1"
    if re.fullmatch(r"HTTP/\d(\.\d)?", version):
        raise HttpError(505, f"HTTP version not supported ({version!r})")
    raise HttpError(400, f"Bad request version ({version[:20]!r})")


def _absolute_form(target: str) -> tuple[str, str]:
    """("/path?query", "host[:port]") of an absolute-form target; else a 400."""
    found = _ABSOLUTE.match(target)
    if found is None or not found["authority"] or _BAD_TARGET.search(target):
        raise HttpError(400, f"Bad request target ({target[:100]!r})")
    rest = found["rest"]
    return (rest if rest.startswith("/") else "/" + rest), found["authority"].rpartition("@")[2]


def read_body(rfile: BufferedIOBase, req: Request, limit: int, *, drain: bool = False) -> bytes | None:
    """The body by Content-Length or chunked; None when it is over ``limit`` (then left unread,
    or read and dropped with ``drain`` so the connection stays usable). A body that stops
    arriving under a read timeout is a 408."""
    try:
        return _read_body(rfile, req, limit, drain)
    except TimeoutError:
        raise HttpError(408, "Request Timeout") from None


def _content_length(req: Request) -> int:
    # RFC 9110 8.6: "5, 5" (a list of one repeated length) may be read as 5
    values = {p.strip() for k, v in req.headers if k.lower() == "content-length" for p in v.split(",")}
    if not values:
        return 0
    # RFC 9112 6.3: several differing lengths, or one that is not all digits, is unrecoverable
    if len(values) != 1:
        raise HttpError(400, "Bad Content-Length")
    value = values.pop()
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise HttpError(400, "Bad Content-Length")
    return int(value)


def _read_body(rfile: BufferedIOBase, req: Request, limit: int, drain: bool) -> bytes | None:
    coding = req.header("Transfer-Encoding")
    if coding is not None:
        codings_sent = [v for k, v in req.headers if k.lower() == "transfer-encoding"]
        if len(codings_sent) > 1:  # only the first is looked up: a second could smuggle a request
            raise HttpError(400, "Transfer-Encoding sent more than once")
        codings = [c.strip().lower() for c in coding.split(",")]
        # RFC 9112 6.1: chunked must come last; a length beside it could smuggle a request
        if codings[-1] != "chunked" or req.header("Content-Length") is not None:
            raise HttpError(400, f"Bad Transfer-Encoding ({coding[:40]!r})")
        if codings != ["chunked"]:
            raise HttpError(400, f"Transfer-Encoding {coding[:40]!r} is not supported; send chunked")
        return _read_chunked(rfile, limit, drain)
    length = _content_length(req)
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
        line = rfile.readline(1024)
        token = line.split(b";")[0].strip(b" \t\r\n")
        if not line.endswith(b"\n") or not _CHUNK_SIZE.match(token):
            raise HttpError(400, "Bad chunk size")
        chunk = int(token, 16)
        if chunk == 0:
            for _ in range(MAX_HEADERS + 1):  # trailers, up to the blank line
                trailer = rfile.readline(MAX_LINE + 1)
                if not trailer.endswith(b"\n"):
                    raise HttpError(400, "Incomplete chunked body")
                if trailer in (b"\r\n", b"\n"):
                    return b"".join(parts) if size <= limit else None
            raise HttpError(431, "Too many trailers")
        size += chunk
        if size > limit and not drain:
            return None
        data = _read_exactly(rfile, chunk, keep=size <= limit)
        if size <= limit:
            parts.append(data)
        if rfile.readline(3) not in (b"\r\n", b"\n"):  # the CRLF after each chunk
            raise HttpError(400, "Bad chunk framing")


def _read_exactly(rfile: BufferedIOBase, n: int, *, keep: bool) -> bytes:
    """``n`` bytes of body, or a 400 when the client stops short; dropped unless ``keep``."""
    parts: list[bytes] = []
    while n > 0:
        data = rfile.read(min(n, 1 << 20))
        if not data:
            raise HttpError(400, "Incomplete body")
        n -= len(data)
        if keep:
            parts.append(data)
    return b"".join(parts)


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
    """One client connection; subclasses answer with ``send`` from ``handle_request``.

    With ``read_timeout_s`` on the server, a connection that sends nothing for that long is
    closed when idle between requests, and answered 408 when it stalls inside one or when its
    request head is not complete that long after its first byte.
    """

    def setup(self) -> None:
        super().setup()
        read_timeout = getattr(self.server, "read_timeout_s", None)
        self._head_timeout_s = read_timeout
        if read_timeout is not None:
            self.connection.settimeout(read_timeout)
            self.rfile.close()  # the socket stays open; heads are now read against a deadline
            self.rfile = io.BufferedReader(DeadlineReader(self.connection))
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
        try:
            self._serve()
        finally:
            self._linger()

    def _serve(self) -> None:
        while not self.close_connection:
            try:
                req = read_head(self.rfile, self._head_timeout_s)
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

    def _linger(self) -> None:
        """Close gracefully. Closing with request bytes unread makes the kernel reset the
        connection, and the client can lose the answer just sent (a 400, a 413)."""
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER_S
            drained = 0
            while drained < LINGER_BYTES:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.connection.settimeout(left)
                data = self.connection.recv(1 << 16)
                if not data:
                    return
                drained += len(data)
