"""The Lambda Runtime API (2018-06-01) that awslambdaric talks to.

One server per execution environment, on 127.0.0.1 and an ephemeral port, so every request
maps to its environment without parsing anything (AWS_LAMBDA_RUNTIME_API is host:port only:
awslambdaric hands it to http.client, which accepts no path).
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

from lambdaserve.emulator.lambda_text import MAX_RESPONSE_BYTES, response_too_large_payload

PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
_INVOCATION = re.compile(rf"^{PREFIX}/invocation/([^/]+)/(response|error)$")


@dataclass
class Invocation:
    """One request handed to a worker through GET /invocation/next."""

    request_id: str
    payload: bytes
    deadline_ms: int  # epoch milliseconds, as Lambda-Runtime-Deadline-Ms
    function_arn: str
    trace_id: str
    client_context: str | None = None
    cognito_identity: str | None = None
    log: list[str] = field(default_factory=list)


class Channel(Protocol):
    """What the server needs from its environment; every method is called on a server thread."""

    def next_invocation(self) -> Invocation | None:  # blocks; None once the environment is gone
        ...

    def post_response(self, request_id: str, body: bytes) -> bool:  # False: not the current request
        ...

    def post_error(self, request_id: str, body: bytes, error_type: str) -> bool:
        ...

    def post_init_error(self, body: bytes, error_type: str) -> None:
        ...

    def server_error(self, message: str) -> None:  # an emulator bug, shown in the function's log
        ...


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: awslambdaric reuses one connection for next/response
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Without it, Nagle + delayed ACK cost ~88 ms on every small response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return  # requests are not the function's log

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _status(self, status: int, error_type: str, message: str) -> None:
        body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
        self._reply(status, body)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self.path != f"{PREFIX}/invocation/next":
            self._status(404, "InvalidRequest", f"unknown path {self.path}")
            return
        invocation = self.server.channel.next_invocation()
        if invocation is None:  # the environment is shutting down: the worker dies right after
            self._status(500, "Runtime.Shutdown", "execution environment is shutting down")
            return
        headers = {
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
            "Lambda-Runtime-Trace-Id": invocation.trace_id,
        }
        if invocation.client_context is not None:
            headers["Lambda-Runtime-Client-Context"] = invocation.client_context
        if invocation.cognito_identity is not None:
            headers["Lambda-Runtime-Cognito-Identity"] = invocation.cognito_identity
        self._reply(200, invocation.payload, headers)

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        body = self._read_body()
        channel = self.server.channel
        error_type = self.headers.get(ERROR_TYPE_HEADER) or "Runtime.Unknown"
        if self.path == f"{PREFIX}/init/error":
            channel.post_init_error(body, error_type)
            self._reply(202, b'{"status":"OK"}')
            return
        match = _INVOCATION.match(self.path)
        if match is None:
            self._status(404, "InvalidRequest", f"unknown path {self.path}")
            return
        request_id, kind = match.groups()
        if kind == "response" and len(body) > MAX_RESPONSE_BYTES:
            # for parity: Lambda refuses the runtime's POST with 413; the client gets its own error
            accepted = channel.post_error(request_id, response_too_large_payload(),
                                          "Function.ResponseSizeTooLarge")
            if accepted:
                self._status(413, "RequestEntityTooLarge",
                             f"Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).")
                return
        elif kind == "response":
            accepted = channel.post_response(request_id, body)
        else:
            accepted = channel.post_error(request_id, body, error_type)
        if accepted:
            self._reply(202, b'{"status":"OK"}')
        else:
            self._status(400, "InvalidRequestID", f"{request_id} is not the current invocation")


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a worker killed mid-request must not block close()
    allow_reuse_address = True

    def __init__(self, channel: Channel) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.channel = channel

    def handle_error(self, request: object, client_address: object) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # the worker was killed mid-request: expected
            return
        self.channel.server_error(f"Runtime API error: {exc!r}")


class RuntimeApiServer:
    """A Runtime API server bound to 127.0.0.1 on an ephemeral port."""

    def __init__(self, channel: Channel) -> None:
        self._server = _Server(channel)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name="lambdaserve-runtime-api", daemon=True,
        )

    @property
    def address(self) -> str:
        """The value of AWS_LAMBDA_RUNTIME_API: host:port."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
