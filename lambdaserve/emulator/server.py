"""One HTTP/1.1 server on one port for both fronts: the API routes and the Invoke API.

Keep-alive and TCP_NODELAY matter: without TCP_NODELAY small responses wait for delayed ACKs
(about 40-90 ms each). The server does not own the Function; whoever made it closes it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lambdaserve.emulator.apigw import ApiGateway
from lambdaserve.emulator.apigw_response import GatewayResponse
from lambdaserve.emulator.events_out import IncomingRequest
from lambdaserve.emulator.invoke_api import InvokeApi
from lambdaserve.errors import EmulatorError

# A body bigger than this is refused before it is read (API Gateway allows 10 MB).
MAX_BODY_BYTES = 11 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    _headers_buffer: list[bytes]  # BaseHTTPRequestHandler's own, filled by send_header

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the gateway writes its own access log

    def _refuse(self, status: int, message: str) -> None:
        body = json.dumps({"message": message}).encode()
        self._send(GatewayResponse(status, [("Content-Type", "application/json")], body), close=True)

    def _read_chunked(self) -> bytes | None:
        parts: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(1024).split(b";")[0].strip()
            chunk = int(line, 16)
            if chunk == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(parts)
            size += chunk
            if size > MAX_BODY_BYTES:
                return None
            parts.append(self.rfile.read(chunk))
            self.rfile.readline(8)  # the CRLF after each chunk

    def _request(self) -> IncomingRequest | None:
        try:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                body = self._read_chunked()
            else:
                length = int(self.headers.get("Content-Length") or 0)
                body = None if length > MAX_BODY_BYTES else (self.rfile.read(length) if length > 0 else b"")
        except ValueError:
            self._refuse(400, "Bad Request")
            return None
        if body is None:
            self._refuse(413, "Request Too Long")
            return None
        path, _, query = self.path.partition("?")
        return IncomingRequest(method=self.command, path=path, query=query,
                               headers=[(k, v) for k, v in self.headers.items()
                                        if k.lower() != "transfer-encoding"],
                               body=body, source_ip=self.client_address[0], protocol=self.request_version,
                               port=self.server.server_address[1], time_s=time.time())

    def _send(self, response: GatewayResponse, close: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers_with(b"" if self.command == "HEAD" else response.body)

    def end_headers_with(self, body: bytes) -> None:
        # Headers and body in one write: one segment per small response under TCP_NODELAY.
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()

    def _dispatch(self) -> None:
        req = self._request()
        if req is None:
            return
        if InvokeApi.matches(req.path):
            self._send(self.server.invoke_api.handle(req))
            return
        response = self.server.gateway.handle(req, respond_early=self._send_early)
        if response is not None:  # None: the gateway's timeout answer went out already
            self._send(response)

    def _send_early(self, response: GatewayResponse) -> None:
        # Called from the deadline thread while this one still waits on the function; the
        # connection closes after it, since this thread is not free for the next request.
        with contextlib.suppress(OSError):  # the client may have left already
            self._send(response, close=True)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # a burst waits in the backlog instead of being refused

    def __init__(self, address: tuple[str, int], gateway: ApiGateway, invoke_api: InvokeApi) -> None:
        self.gateway = gateway
        self.invoke_api = invoke_api
        super().__init__(address, _Handler)


class EmulatorServer:
    """Serves both fronts; ``start()`` runs it in a thread, ``serve_forever()`` in this one."""

    def __init__(self, gateway: ApiGateway, invoke_api: InvokeApi, *, host: str = "127.0.0.1",
                 port: int = 3000) -> None:
        try:
            self._server = _Server((host, port), gateway, invoke_api)
        except OSError as exc:
            raise EmulatorError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                                hint="Pick another port with --port, or stop what uses this one.") from exc
        self._thread: threading.Thread | None = None
        self._gateway = gateway
        self._invoke_api = invoke_api

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="lambdaserve-http",
                                        kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def close(self) -> None:
        """Stop accepting, let Event invokes finish briefly, free the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()
        self._invoke_api.drain()
        self._gateway.close()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
