"""The lean HTTP/1.1 reader and writer both emulator servers use, on byte streams and a socket."""

from __future__ import annotations

import io
import socket
import socketserver
import threading

import pytest

from lambdaserve.emulator import http11


def _reader(data: bytes) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(data))


def test_head_keeps_order_case_and_repeats_and_folds_continuations():
    rfile = _reader(b"\r\nPOST /p?q=1 HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\nX-Long: a\r\n  b\r\n\r\nrest")
    req = http11.read_head(rfile)
    assert req is not None
    assert (req.method, req.target, req.version) == ("POST", "/p?q=1", "HTTP/1.1")
    assert req.headers == [("X-A", "1"), ("x-a", "2"), ("X-Long", "a b")]
    assert req.header("X-a") == "1" and req.keep_alive
    assert rfile.read() == b"rest"
    assert http11.read_head(_reader(b"")) is None  # the client closed


@pytest.mark.parametrize(("line", "field"), [
    (b"A:b\r\n", ("A", "b")),
    (b"A: \tb c \t\r\n", ("A", "b c")),  # a tab inside a value is fine, around it trimmed
    (b"A:\r\n", ("A", "")),
    (b"A: caf\xe9\r\n", ("A", "caf\xe9")),  # obs-text, read as ISO-8859-1
    (b"A: v\r\r\n", ("A", "v")),
    (b"A: v\n", ("A", "v")),  # a bare LF ends a line too
    (b"A: x:y\r\n", ("A", "x:y")),
])
def test_field_lines_read_in_one_match_as_line_by_line(line: bytes, field: tuple[str, str]):
    # Well-formed lines take one regex match (the serve path's common case); a folded line after
    # one still joins it, and what either way refuses stays refused.
    req = http11.read_head(_reader(b"GET / HTTP/1.1\r\n" + line + b"B: 1\r\n\t2\r\n\r\n"))
    assert req is not None and req.headers == [field, ("B", "1 2")]


@pytest.mark.parametrize("line", [b"A : v\r\n", b"A: v\rw\r\n", b"A: \x7f\r\n", b"A: v\x00\r\n",
                                  b"(A): v\r\n"])
def test_field_lines_either_path_refuses_stay_refused(line: bytes):
    with pytest.raises(http11.HttpError) as err:
        http11.read_head(_reader(b"GET / HTTP/1.1\r\n" + line + b"\r\n"))
    assert err.value.status == 400 and "Bad header line" in str(err.value)


@pytest.mark.parametrize(("head", "status"), [
    (b"GET /\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\n\r\n", 505),
    (b"GET / HTTP/1.1\r\nno colon\r\n\r\n", 400),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(101)) + b"\r\n", 431),
])
def test_unreadable_heads_carry_the_status_http_server_used(head: bytes, status: int):
    with pytest.raises(http11.HttpError) as err:
        http11.read_head(_reader(head))
    assert err.value.status == status


def test_absolute_form_targets_are_read_as_origin_form_with_their_host():
    # RFC 9112 3.2.2: a server must accept absolute-form; the target's authority replaces Host
    req = http11.read_head(_reader(b"GET http://api.example.com:8080/prod/health?x=1 HTTP/1.1\r\n"
                                   b"Host: other\r\nAccept: */*\r\n\r\n"))
    assert req is not None and req.target == "/prod/health?x=1"
    assert req.headers == [("Accept", "*/*"), ("Host", "api.example.com:8080")]
    bare = http11.read_head(_reader(b"GET https://h HTTP/1.1\r\n\r\n"))
    assert bare is not None and (bare.target, bare.header("host")) == ("/", "h")


def test_a_later_http_1_minor_version_is_read_as_1_1():
    # RFC 9110 2.5: answer with the highest 1.x we conform to; HTTP/2.0 on this port stays 505
    req = http11.read_head(_reader(b"GET / HTTP/1.2\r\nHost: x\r\n\r\n"))
    assert req is not None and req.version == "HTTP/1.1" and req.keep_alive
    with pytest.raises(http11.HttpError) as err:
        http11.read_head(_reader(b"GET / HTTP/3.0\r\n\r\n"))
    assert err.value.status == 505


def test_connection_persistence_follows_the_version():
    def req(version: str, connection: str | None) -> http11.Request:
        return http11.Request("GET", "/", version, [("Connection", connection)] if connection else [])

    assert req("HTTP/1.1", None).keep_alive and not req("HTTP/1.1", "close").keep_alive
    assert not req("HTTP/1.0", None).keep_alive and req("HTTP/1.0", "Keep-Alive").keep_alive


def test_bodies_by_length_and_chunks_and_over_the_limit():
    def body(headers: list[tuple[str, str]], data: bytes, limit: int = 100,
             drain: bool = False) -> tuple[bytes | None, bytes]:
        rfile = _reader(data + b"NEXT")
        got = http11.read_body(rfile, http11.Request("POST", "/", "HTTP/1.1", headers), limit, drain=drain)
        return got, rfile.read()

    assert body([("Content-Length", "3")], b"abc") == (b"abc", b"NEXT")
    chunked = [("Transfer-Encoding", "chunked")]
    assert body(chunked, b"3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n") == (b"abcde", b"NEXT")
    assert body([("Content-Length", "5")], b"abcde", limit=4) == (None, b"abcdeNEXT")  # left unread
    # drained: the next request on the connection is readable
    assert body([("Content-Length", "5")], b"abcde", limit=4, drain=True) == (None, b"NEXT")
    assert body(chunked, b"5\r\nabcde\r\n0\r\n\r\n", limit=4, drain=True) == (None, b"NEXT")
    for bad in ("abc", "-1"):
        with pytest.raises(http11.HttpError):
            body([("Content-Length", bad)], b"")


def test_a_response_is_one_write_with_its_own_framing_headers():
    wire = http11.response(200, [("Content-Type", "text/plain"), ("Content-Length", "999"),
                                 ("Connection", "keep-alive")], b"hello", close=True)
    head, _, body = wire.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 200 OK" and lines[1].startswith(b"Date: ")
    assert b"Content-Length: 5" in lines and b"Connection: close" in lines
    assert b"Content-Length: 999" not in lines and b"Connection: keep-alive" not in lines
    assert body == b"hello"
    assert http11.response(200, [], b"hello", head=True).endswith(b"Content-Length: 5\r\n\r\n")


class _Echo(http11.Connection):
    def handle_request(self, req: http11.Request) -> None:
        self.continue_100(req)
        body = http11.read_body(self.rfile, req, 1024) or b""
        self.send(http11.response(200, [], req.method.encode() + b" " + body))


def test_keep_alive_expect_continue_and_errors_over_a_socket():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=10) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
            assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
            sock.sendall(b"hi")
            assert sock.recv(4096).endswith(b"\r\n\r\nPOST hi")
            sock.sendall(b"GET / HTTP/1.1\r\n\r\n")  # the same connection, kept alive
            assert sock.recv(4096).endswith(b"\r\n\r\nGET ")
            sock.sendall(b"BROKEN\r\n\r\n")
            answer = sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 400 Bad Request") and b"Connection: close" in answer
            assert sock.recv(4096) == b""  # closed after the error
    finally:
        server.shutdown()
        server.server_close()
