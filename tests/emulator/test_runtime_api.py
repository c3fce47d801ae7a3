"""The Runtime API server over real sockets, with a scripted channel in place of an environment."""

from __future__ import annotations

import http.client
import json
import queue

import pytest

from lambdaserve.emulator.execution.runtime_api import Invocation, RuntimeApiServer


class ScriptedChannel:
    def __init__(self) -> None:
        self.invocations: queue.Queue[Invocation | None] = queue.Queue()
        self.posted: list[tuple[str, str, bytes, str | None]] = []

    def next_invocation(self):
        return self.invocations.get(timeout=5)

    def post_response(self, request_id, body):
        self.posted.append(("response", request_id, body, None))
        return request_id == "req-1"

    def post_error(self, request_id, body, error_type):
        self.posted.append(("error", request_id, body, error_type))
        return True

    def post_init_error(self, body, error_type):
        self.posted.append(("init", "", body, error_type))

    def server_error(self, message):
        self.posted.append(("server", "", message.encode(), None))


@pytest.fixture
def api():
    channel = ScriptedChannel()
    server = RuntimeApiServer(channel)
    server.start()
    try:
        yield server, channel
    finally:
        server.close()


def test_next_then_response_on_one_kept_alive_connection(api):
    server, channel = api
    channel.invocations.put(Invocation(
        "req-1", b'{"x": 1}', 1700000000000, "arn:aws:lambda:us-east-1:123456789012:function:f",
        "Root=1-abc", client_context='{"custom": {}}',
    ))
    host, port = server.address.split(":")
    conn = http.client.HTTPConnection(host, int(port))
    conn.request("GET", "/2018-06-01/runtime/invocation/next")
    reply = conn.getresponse()
    assert reply.status == 200 and reply.read() == b'{"x": 1}'
    assert reply.getheader("Lambda-Runtime-Aws-Request-Id") == "req-1"
    assert reply.getheader("Lambda-Runtime-Deadline-Ms") == "1700000000000"
    assert str(reply.getheader("Lambda-Runtime-Invoked-Function-Arn")).endswith(":function:f")
    assert reply.getheader("Lambda-Runtime-Trace-Id") == "Root=1-abc"
    assert reply.getheader("Lambda-Runtime-Client-Context") == '{"custom": {}}'
    assert reply.getheader("Lambda-Runtime-Cognito-Identity") is None
    local_port = conn.sock.getsockname()[1]
    conn.request("POST", "/2018-06-01/runtime/invocation/req-1/response", body=b'"ok"')
    reply = conn.getresponse()
    assert reply.status == 202 and json.loads(reply.read()) == {"status": "OK"}
    assert conn.sock.getsockname()[1] == local_port  # HTTP/1.1 keep-alive: same connection
    conn.request("POST", "/2018-06-01/runtime/invocation/stale/response", body=b'"late"')
    assert conn.getresponse().status == 400
    conn.close()
    assert channel.posted[0] == ("response", "req-1", b'"ok"', None)


def test_errors_carry_the_error_type_header(api):
    server, channel = api
    host, port = server.address.split(":")
    conn = http.client.HTTPConnection(host, int(port))
    headers = {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"}
    conn.request("POST", "/2018-06-01/runtime/init/error", body=b'{"errorType": "x"}', headers=headers)
    reply = conn.getresponse()
    assert reply.status == 202 and reply.read() == b'{"status":"OK"}'
    conn.request("POST", "/2018-06-01/runtime/invocation/r/error", body=b"{}",
                 headers={"Lambda-Runtime-Function-Error-Type": "ValueError"})
    reply = conn.getresponse()
    assert reply.status == 202 and reply.read()
    conn.request("GET", "/nope")
    reply = conn.getresponse()
    assert reply.status == 404 and json.loads(reply.read())["errorType"] == "InvalidRequest"
    assert channel.posted[0] == ("init", "", b'{"errorType": "x"}', "Runtime.ImportModuleError")
    assert channel.posted[1][3] == "ValueError"
