"""Differential fuzzing of our HTTP/1.1 reader against h11 on the same bytes.

Where both read a request, they must read the same method, target, headers and body; where one
refuses, the other must too, except for the deliberate differences listed in ``_DEVIATIONS``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdaserve.emulator import http11

LIMIT = 1 << 20


@dataclass(frozen=True)
class Parts:
    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...]
    framing: str  # which body framing the generator chose (see _FRAMINGS)
    body: bytes
    eol: str

    def wire(self) -> bytes:
        head = f"{self.method} {self.target} {self.version}{self.eol}"
        head += "".join(f"{k}: {v}{self.eol}" for k, v in self.headers) + self.eol
        return head.encode("latin-1") + self.body


# Deliberate differences, each a reason: (what we do, what h11 does).
_DEVIATIONS = {
    # RFC 9112 6.3 lets a server reject a request with both; a length beside chunked could smuggle.
    "te+cl": ("400", "reads the chunked body, ignores Content-Length"),
    # We serve HTTP/1.x only: another major version is a 505, h11 parses it as given.
    "version": ("505", "accepts any d.d version"),
    # RFC 9110 5.5 lets a recipient reject control characters in a field value; h11 refuses only
    # NUL, CR and LF.
    "ctl-in-value": ("400", "keeps the control character"),
    # RFC 9112 3.2: a target in none of the forms ("p"), or an http URI with an empty host (RFC
    # 9110 4.2.1), is refused; h11 does not parse targets.
    "target-form": ("400", "passes the target on"),
    # As http.server: "//x" is read as "/x", never as a scheme-relative URL.
    "leading-slashes": ("/double", "//double"),
}

_TOKENS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "P(ST", "G T", "get"])
_TARGETS = st.sampled_from([
    "/", "/prod/predict", "/a?b=c&d", "*", "/%7Ea", "//double", "http://h.example/p?q=1",
    "https://user@h.example:8443", "http:///p", "p", "/caf\xe9", "/a\x7fb", "/a#frag",
])
_VERSIONS = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "HTTP/1", "HTTPS/1.1",
                             "http/1.1"])
_NAMES = st.sampled_from(["Accept", "X-Custom", "x-a", "User-Agent", "Bad Name", "X:", "", "X\x00"])
_VALUES = st.text(alphabet=st.sampled_from(list("abc 09-=;,\t") + ["\xe9", "\x7f", "\x01"]), max_size=12)
_FRAMINGS = ["none", "cl", "cl-short", "cl-twice", "cl-differ", "cl-list", "cl-plus", "te", "te-twice",
             "te+cl", "te-gzip", "te-list", "te-bad-chunk"]


def _framed(framing: str, body: bytes) -> tuple[list[tuple[str, str]], bytes]:
    n = len(body)
    chunked = (b"%x\r\n" % n + body + b"\r\n" if body else b"") + b"0\r\n\r\n"
    return {
        "none": ([], b""),
        "cl": ([("Content-Length", str(n))], body),
        "cl-short": ([("Content-Length", str(n + 3))], body),
        "cl-twice": ([("Content-Length", str(n)), ("Content-Length", str(n))], body),
        "cl-differ": ([("Content-Length", str(n)), ("Content-Length", str(n + 1))], body),
        "cl-list": ([("Content-Length", f"{n}, {n}")], body),
        "cl-plus": ([("Content-Length", f"+{n}")], body),
        "te": ([("Transfer-Encoding", "chunked")], chunked),
        "te-twice": ([("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "identity")], chunked),
        "te+cl": ([("Transfer-Encoding", "chunked"), ("Content-Length", str(n))], chunked),
        "te-gzip": ([("Transfer-Encoding", "gzip")], body),
        "te-list": ([("Transfer-Encoding", "gzip, chunked")], chunked),
        "te-bad-chunk": ([("Transfer-Encoding", "chunked")], b"-%x\r\n" % n + body + b"\r\n0\r\n\r\n"),
    }[framing]


@st.composite
def requests(draw: st.DrawFn) -> Parts:
    framing = draw(st.sampled_from(_FRAMINGS))
    body = draw(st.binary(max_size=40))
    framing_headers, wire_body = _framed(framing, body)
    extra = draw(st.lists(st.tuples(_NAMES, _VALUES), max_size=4))
    headers = [("Host", "h.example"), *extra, *framing_headers]
    order = draw(st.permutations(range(len(headers))))
    return Parts(draw(_TOKENS), draw(_TARGETS), draw(_VERSIONS), tuple(headers[i] for i in order),
                 framing, wire_body, draw(st.sampled_from(["\r\n", "\n"])))


@dataclass(frozen=True)
class Read:
    method: str
    target: str
    minor: str  # "1.1" or "1.0"
    headers: tuple[tuple[str, str], ...]  # lower-case names, framing headers left out
    body: bytes


def _ours(data: bytes) -> Read | str:
    rfile = io.BufferedReader(io.BytesIO(data))
    try:
        req = http11.read_head(rfile)
        if req is None:
            return "closed"
        body = http11.read_body(rfile, req, LIMIT)
    except http11.HttpError as exc:
        return str(exc.status)
    assert body is not None
    return Read(req.method, req.target, req.version.removeprefix("HTTP/"), _plain(req.headers), body)


def _plain(headers: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    skip = ("content-length", "transfer-encoding", "host")
    return tuple((k.lower(), v) for k, v in headers if k.lower() not in skip)


def _theirs(data: bytes) -> Read | str:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    conn.receive_data(b"")  # then the client closes: an incomplete body is an error, not a wait
    body = b""
    request = None
    try:
        while True:
            event = conn.next_event()
            if isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed) or event is h11.NEED_DATA:
                return "closed" if request is None else "incomplete"
    except h11.RemoteProtocolError:
        return "refused"
    assert request is not None
    target = request.target.decode("latin-1")
    if not target.startswith("/") and target != "*":  # absolute-form: the path and query
        split = urlsplit(target)
        target = (split.path or "/") + (f"?{split.query}" if split.query else "")
    version = request.http_version.decode()
    minor = "1.1" if version.startswith("1.") and version != "1.0" else version
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers)
    return Read(request.method.decode(), target, minor, _plain(list(headers)), body)


def _deviation(parts: Parts) -> str | None:
    if parts.framing == "te+cl":
        return "te+cl"
    if parts.version == "HTTP/2.0":
        return "version"
    if parts.target in ("http:///p", "p"):
        return "target-form"
    if any(ch in value for _, value in parts.headers for ch in "\x01\x7f"):
        return "ctl-in-value"
    if parts.target.startswith("//"):
        return "leading-slashes"
    return None


@pytest.mark.slow  # about 6 s: 400 generated requests through both readers
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_our_reader_agrees_with_h11(parts: Parts):
    data = parts.wire()
    ours, theirs = _ours(data), _theirs(data)
    reason = _deviation(parts)
    if reason == "leading-slashes" and isinstance(theirs, Read):
        theirs = replace(theirs, target="/" + theirs.target.lstrip("/"))
        reason = None
    if reason is not None and isinstance(theirs, Read):
        expected_ours, _ = _DEVIATIONS[reason]
        # a request both would refuse for another fault is refused for that one
        assert ours == expected_ours or not isinstance(ours, Read), (data, ours)
        return
    if isinstance(ours, Read) or isinstance(theirs, Read):
        assert ours == theirs, data
    else:  # both refuse (our status, h11's reason), or both saw nothing
        assert (ours == "closed") == (theirs == "closed"), (data, ours, theirs)


@pytest.mark.parametrize("reason", sorted(_DEVIATIONS))
def test_every_listed_deviation_still_deviates(reason):
    parts = {
        "te+cl": Parts("POST", "/p", "HTTP/1.1", (("Host", "h"), ("Transfer-Encoding", "chunked"),
                                                  ("Content-Length", "2")), "te+cl", b"2\r\nab\r\n0\r\n\r\n",
                       "\r\n"),
        "version": Parts("GET", "/", "HTTP/2.0", (("Host", "h"),), "none", b"", "\r\n"),
        "leading-slashes": Parts("GET", "//double", "HTTP/1.1", (("Host", "h"),), "none", b"", "\r\n"),
        "target-form": Parts("GET", "p", "HTTP/1.1", (("Host", "h"),), "none", b"", "\r\n"),
        "ctl-in-value": Parts("GET", "/", "HTTP/1.1", (("Host", "h"), ("X", "a\x01b")), "none", b"", "\r\n"),
    }[reason]
    data = parts.wire()
    ours, theirs = _ours(data), _theirs(data)
    # the list stays honest: if h11 or our reader changes, the entry goes
    if isinstance(ours, Read):
        assert isinstance(theirs, Read) and (ours.target, theirs.target) == _DEVIATIONS[reason]
    else:
        assert ours == _DEVIATIONS[reason][0] and isinstance(theirs, Read)
