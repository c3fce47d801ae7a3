"""Malformed HTTP gets a 400 reply (never a dropped connection), and a stalled client a timeout."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import time

import pytest

from lambdaserve.emulator import http11
from lambdaserve.emulator.fronts.apigw import ApiGateway, ApiSettings
from lambdaserve.emulator.fronts.invoke_api import InvokeApi
from lambdaserve.emulator.fronts.server import EmulatorServer
from tests.emulator.front_handlers.handlers import handler
from tests.emulator.front_handlers.inprocess import InProcessLambda

HEAD = b"POST /prod/predict HTTP/1.1\r\nHost: x\r\n"
INVOKE = b"POST /2015-03-31/functions/fn/invocations HTTP/1.1\r\nHost: x\r\n"


def _body(raw: bytes) -> bytes | None:
    rfile = io.BufferedReader(io.BytesIO(raw))
    req = http11.read_head(rfile)
    assert req is not None
    return http11.read_body(rfile, req, 1 << 20)


@pytest.mark.parametrize("raw", [
    HEAD + b"Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",  # a negative size
    HEAD + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
    HEAD + b"Transfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n",
    HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"f" * 17 + b"\r\n",  # wider than 64 bits
    HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",  # no CRLF after the data
    HEAD + b"Transfer-Encoding: chunked\r\n\r\n50\r\nhello",  # the client stops short
    HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",  # no last chunk
    HEAD + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    HEAD + b"Transfer-Encoding: gzip\r\n\r\nhello",
    HEAD + b"Transfer-Encoding: chunked, gzip\r\n\r\nhello",
    HEAD + b"Content-Length: +5\r\n\r\nhello",
    HEAD + b"Content-Length: 5 5\r\n\r\nhello",
    HEAD + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    HEAD + b"Content-Length: 99999999999999999999999\r\n\r\n",
    HEAD + b"Content-Length: 10\r\n\r\nhello",  # shorter than it says
    # a second Transfer-Encoding header must not go unread: either could frame the body
    HEAD + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    HEAD + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    HEAD + b"Content-Length: 5, 6\r\n\r\nhello!",  # a list of differing lengths
])
def test_malformed_bodies_are_400(raw):
    with pytest.raises(http11.HttpError) as err:
        _body(raw)
    assert err.value.status == 400


def test_repeated_equal_lengths_and_chunk_extensions_are_fine():
    assert _body(HEAD + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello") == b"hello"
    assert _body(HEAD + b"Content-Length: 5, 5\r\n\r\nhello") == b"hello"  # RFC 9110 8.6
    chunked = HEAD + b"Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"
    assert _body(chunked) == b"hello"


@pytest.mark.parametrize("head", [
    b"POST /p HTTP/1.1\r\nBad Name: x\r\n\r\n",  # whitespace inside a field name
    b"POST /p HTTP/1.1\r\nName : x\r\n\r\n",  # RFC 9112 5.1: before the colon
    b"POST /p HTTP/1.1\r\nX: a\x00b\r\n\r\n",  # a NUL in a value
    b"POST /p HTTP/1.1\r\n: x\r\n\r\n",
    b"P(ST /p HTTP/1.1\r\n\r\n",  # not a method token
    b"POST p HTTP/1.1\r\n\r\n",  # not an origin-form target
    b"POST  /p HTTP/1.1\r\n\r\n",  # two spaces
    b"POST /p HTTP/x.y\r\n\r\n",
    b"POST /p HTTP/1.1\r\nHost: x",  # the head stops mid-line
    b"POST /p HTTP/1.1",
    b"POST /caf\xc3\xa9 HTTP/1.1\r\n\r\n",  # RFC 9112 3.2: a target is visible ASCII
    b"POST http:///p HTTP/1.1\r\n\r\n",  # absolute-form without a host
])
def test_malformed_heads_are_400(head):
    with pytest.raises(http11.HttpError) as err:
        http11.read_head(io.BufferedReader(io.BytesIO(head)))
    assert err.value.status == 400


def _server(**kwargs) -> tuple[EmulatorServer, InProcessLambda]:
    lam = InProcessLambda(handler)
    server = EmulatorServer(ApiGateway(lam, ApiSettings()), InvokeApi({"fn": lam}), port=0, **kwargs)
    return server.start(), lam


def _read_answer(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        assert more, f"the server closed without an answer: {data!r}"
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += sock.recv(65536)
    return int(head.split()[1]), body


def test_negative_chunk_size_over_a_socket_is_answered_and_the_server_serves_on():
    server, lam = _server()
    with server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n")
            status, body = _read_answer(sock)
            assert (status, json.loads(body)) == (400, {"message": "Bad Request"})
            assert sock.recv(100) == b""  # then closed, cleanly
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(INVOKE + b'Content-Length: 14\r\n\r\n{"respond": 1}')
            assert _read_answer(sock)[0] == 200
    assert lam.events == [{"respond": 1}]


def test_a_stalled_upload_gets_408_and_is_closed():
    server, lam = _server(read_timeout_s=0.3)
    with server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(HEAD + b"Content-Length: 100\r\n\r\n" + b"x" * 10)  # then nothing more
        started = time.monotonic()
        status, body = _read_answer(sock)
        waited = time.monotonic() - started
        assert (status, json.loads(body)) == (408, {"message": "Request Timeout"})
        assert sock.recv(100) == b""
    assert waited >= 0.25  # it did wait for the client first
    assert lam.events == []


def test_a_stalled_head_gets_408_and_an_idle_connection_is_closed_quietly():
    server, _ = _server(read_timeout_s=0.3)
    with server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET /prod/health HTTP/1.1\r\nHost: x\r\n")  # the blank line never comes
            assert _read_answer(sock)[0] == 408
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(INVOKE + b'Content-Length: 14\r\n\r\n{"respond": 1}')
            assert _read_answer(sock)[0] == 200  # keep-alive: the connection stays open...
            assert sock.recv(100) == b""  # ...until it has been idle for the timeout


def test_a_slow_drip_head_is_cut_off_after_the_read_timeout():
    server, lam = _server(read_timeout_s=0.3)
    head = INVOKE + b"X-Drip: " + b"d" * 60 + b"\r\nContent-Length: 2\r\n\r\n{}"
    sent = 0
    with server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        # One byte every 0.05 s: each recv is well inside the timeout, the whole head is not.
        with contextlib.suppress(OSError):
            for byte in head:
                sock.sendall(bytes([byte]))
                sent += 1
                time.sleep(0.05)
                sock.setblocking(False)
                try:
                    if sock.recv(1, socket.MSG_PEEK):
                        break  # the server answered mid-head
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
        sock.settimeout(10)
        status, _ = _read_answer(sock)
    assert status == 408 and sent < len(head)  # answered long before the drip could end
    assert lam.events == []


def test_no_read_timeout_waits_for_the_client():
    server, _ = _server(read_timeout_s=None)
    with server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(INVOKE + b'Content-Length: 14\r\n\r\n{"resp')
        time.sleep(0.5)
        sock.sendall(b'ond": 1}')
        assert _read_answer(sock)[0] == 200


@pytest.mark.parametrize(("head", "status", "body"), [
    (HEAD, 413, b"HTTP content length exceeded 10485760 bytes."),
    (INVOKE, 413, None),
])
def test_a_body_too_big_to_read_is_answered_by_its_front(head, status, body):
    server, lam = _server()
    size = 12 * 1024 * 1024
    with server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + b"Content-Length: %d\r\n\r\n" % size)
        with contextlib.suppress(OSError):
            sock.sendall(b"x" * size)  # the server reads and drops it while it lingers
        got_status, got = _read_answer(sock)
    # for parity: REST's own 10 MB refusal; the Invoke API's RequestEntityTooLargeException
    assert got_status == status
    if body is not None:
        assert got == body
    else:
        assert json.loads(got)["message"].startswith(f"{size} byte payload is too large")
    assert lam.events == []
