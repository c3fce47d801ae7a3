"""The one-port HTTP server: keep-alive, TCP_NODELAY, early timeout answers, clean close."""

from __future__ import annotations

import http.client
import json
import socket
import time

from lambdaserve.emulator.fronts.apigw import ApiGateway, ApiSettings
from lambdaserve.emulator.fronts.invoke_api import InvokeApi
from lambdaserve.emulator.fronts.server import EmulatorServer
from tests.emulator.front_handlers.handlers import handler
from tests.emulator.front_handlers.inprocess import InProcessLambda


def _server(lam: InProcessLambda, **settings) -> EmulatorServer:
    return EmulatorServer(ApiGateway(lam, ApiSettings(**settings)), InvokeApi({"fn": lam}), port=0).start()


def test_gateway_timeout_is_answered_at_the_deadline_over_http():
    lam = InProcessLambda(handler)
    with _server(lam, function_timeout_s=60, integration_timeout_s=0.2) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        started = time.perf_counter()
        conn.request("POST", "/prod/predict", body=json.dumps({"sleep": 1.0}))
        res = conn.getresponse()
        body = res.read()
        waited = time.perf_counter() - started
        conn.close()
    # for parity: REST answers 504 at the integration timeout while the function runs on
    assert (res.status, json.loads(body)) == (504, {"message": "Endpoint request timed out"})
    assert waited < 0.9 and res.getheader("Connection") == "close"


def test_keep_alive_serves_many_requests_on_one_connection():
    lam = InProcessLambda(handler)
    with _server(lam) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.connect()
        local = conn.sock.getsockname()
        for _ in range(5):
            conn.request("GET", "/prod/health")
            res = conn.getresponse()
            res.read()
            assert res.status == 200 and res.getheader("Connection") != "close"
        assert conn.sock.getsockname() == local  # the same connection served all five
        conn.close()


def test_close_frees_the_port():
    lam = InProcessLambda(handler)
    server = _server(lam)
    port = server.port
    server.close()
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))  # would raise if the server still held it


def test_head_and_unknown_methods_get_gateway_answers():
    lam = InProcessLambda(handler)
    with _server(lam, kind="http") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("DELETE", "/predict")
        res = conn.getresponse()
        assert (res.status, json.loads(res.read())) == (404, {"message": "Not Found"})
        conn.close()
    assert lam.events == []


def test_chunked_request_body_is_read_and_keep_alive_survives():
    lam = InProcessLambda(handler)
    with _server(lam) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        parts = iter([b'{"respond": {"statusCode": 200,', b' "body": "chunked"}}'])
        conn.request("POST", "/prod/predict", body=parts, encode_chunked=True,
                     headers={"Transfer-Encoding": "chunked"})
        res = conn.getresponse()
        assert (res.status, res.read()) == (200, b"chunked")
        conn.request("GET", "/prod/health")
        assert conn.getresponse().status == 200
        conn.close()


def test_bad_content_length_is_400_not_a_traceback():
    lam = InProcessLambda(handler)
    with _server(lam) as server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /prod/predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400") and lam.events == []
