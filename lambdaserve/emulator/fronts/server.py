"""One HTTP/1.1 server on one port for both fronts: the API routes and the Invoke API.

The API front is API Gateway, a Function URL or an ALB (``emulator.front.Front``).

Keep-alive and TCP_NODELAY matter: without TCP_NODELAY small responses wait for delayed ACKs
(about 40-90 ms each). The server does not own the Function; whoever made it closes it.
"""

from __future__ import annotations

import contextlib
import json
import socketserver
import threading
import time
from collections.abc import Callable

from lambdaserve.emulator import http11
from lambdaserve.emulator.execution.after_answer import answer_first
from lambdaserve.emulator.fronts.events import IncomingRequest
from lambdaserve.emulator.fronts.front import Front
from lambdaserve.emulator.fronts.invoke_api import InvokeApi
from lambdaserve.emulator.fronts.proxy_response import GatewayResponse
from lambdaserve.errors import EmulatorError

# A body bigger than this is refused before it is read (API Gateway allows 10 MB).
MAX_BODY_BYTES = 11 * 1024 * 1024
# A client that sends nothing for this long, mid-request or between requests, is let go.
READ_TIMEOUT_S = 30.0


class _Handler(http11.Connection):
    server: _Server
    _method = ""  # of the request being answered: HEAD gets no body

    def refuse(self, status: int, message: str) -> None:
        body = json.dumps({"message": message}, separators=(",", ":")).encode()  # as API Gateway writes it
        self._send(GatewayResponse(status, [("Content-Type", "application/json")], body), close=True)

    def _incoming(self, req: http11.Request) -> IncomingRequest | None:
        # Any method token goes on: the routes answer one they do not know (403/404), as AWS does.
        self.continue_100(req)
        try:
            body = http11.read_body(self.rfile, req, MAX_BODY_BYTES)
        except http11.HttpError as exc:
            self.refuse(exc.status, _REFUSALS.get(exc.status, "Bad Request"))
            return None
        path, _, query = req.target.partition("?")
        if body is None:  # left unread: answered in the words of the front it was meant for
            size = req.header("Content-Length") or f"over {MAX_BODY_BYTES}"
            if InvokeApi.matches(path):
                refusal = self.server.invoke_api.refuse_too_large(size)
            else:
                refusal = self.server.gateway.refuse_too_large(
                    IncomingRequest(method=req.method, path=path, query=query,
                                    source_ip=self.client_address[0], protocol=req.version), size)
            self._send(refusal, close=True)
            return None
        return IncomingRequest(method=req.method, path=path, query=query,
                               headers=_without_transfer_encoding(req),
                               body=body, source_ip=self.client_address[0], protocol=req.version,
                               port=self.server.server_address[1], time_s=time.time())

    def _send(self, response: GatewayResponse, close: bool = False) -> None:
        if close:
            self.close_connection = True
        self.send(http11.response(response.status, response.headers, response.body,
                                  head=self._method == "HEAD", close=close))

    def handle_request(self, req: http11.Request) -> None:
        self._method = req.method
        settling = self.server.settling
        try:
            # END, REPORT and the access line are made once the answer is sent, and the
            # worker's next GET is read after that (execution/after_answer.py).
            with answer_first():
                try:
                    self._answer(req)
                finally:
                    settling.begin()
        finally:
            settling.end()
            self._method = ""  # an unreadable next request is no HEAD

    def _answer(self, req: http11.Request) -> None:
        try:
            self._route(req)
        except (OSError, http11.HttpError):
            raise
        except Exception as exc:  # a fault of ours: say so, instead of dropping the connection
            self.server.log(f"internal error answering {req.method[:20]} {req.target[:200]}: "
                            f"{type(exc).__name__}: {exc}")
            self.refuse(500, "Internal Server Error")

    def _route(self, req: http11.Request) -> None:
        incoming = self._incoming(req)
        if incoming is None:
            return
        if InvokeApi.matches(incoming.path):
            self._send(self.server.invoke_api.handle(incoming))
            return
        response = self.server.gateway.handle(incoming, respond_early=self._send_early)
        if response is not None:  # None: the gateway's timeout answer went out already
            self._send(response)

    def _send_early(self, response: GatewayResponse) -> None:
        # Called from the deadline thread while this one still waits on the function; the
        # connection closes after it, since this thread is not free for the next request.
        with contextlib.suppress(OSError):  # the client may have left already
            self._send(response, close=True)


def _without_transfer_encoding(req: http11.Request) -> list[tuple[str, str]]:
    if req.header("Transfer-Encoding") is None:  # the common case: nothing to drop
        return req.headers
    return [(k, v) for k, v in req.headers if k.lower() != "transfer-encoding"]


_REFUSALS = {408: "Request Timeout", 431: "Request Header Fields Too Large"}
# How long close() waits for answered requests to write their END, REPORT and access lines.
SETTLE_WAIT_S = 5.0


class _Settling:
    """Counts connections whose answer is out and whose log lines are still being made, so
    close() lets them finish (connection threads are daemons, not joined)."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._count = 0

    def begin(self) -> None:
        with self._cv:
            self._count += 1

    def end(self) -> None:
        with self._cv:
            self._count -= 1
            if self._count == 0:
                self._cv.notify_all()

    def wait(self, timeout_s: float) -> None:
        with self._cv:
            self._cv.wait_for(lambda: self._count <= 0, timeout=timeout_s)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # a burst waits in the backlog instead of being refused

    def __init__(self, address: tuple[str, int], gateway: Front, invoke_api: InvokeApi,
                 read_timeout_s: float | None, log: Callable[[str], None]) -> None:
        self.gateway = gateway
        self.invoke_api = invoke_api
        self.read_timeout_s = read_timeout_s  # http11.Connection applies it to every client socket
        self.log = log
        self.settling = _Settling()
        super().__init__(address, _Handler)


class EmulatorServer:
    """Serves both fronts; ``start()`` runs it in a thread, ``serve_forever()`` in this one."""

    def __init__(self, gateway: Front, invoke_api: InvokeApi, *, host: str = "127.0.0.1",
                 port: int = 3000, read_timeout_s: float | None = READ_TIMEOUT_S,
                 log: Callable[[str], None] = lambda line: None) -> None:
        try:
            self._server = _Server((host, port), gateway, invoke_api, read_timeout_s, log)
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
        self._server.settling.wait(SETTLE_WAIT_S)
        self._invoke_api.drain()
        self._gateway.close()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
