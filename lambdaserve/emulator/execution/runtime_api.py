"""The Lambda Runtime API (2018-06-01) that awslambdaric talks to.

One server per execution environment, on 127.0.0.1 and an ephemeral port, so every request
maps to its environment without parsing anything (AWS_LAMBDA_RUNTIME_API is host:port only:
awslambdaric hands it to http.client, which accepts no path).
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from lambdaserve.emulator import http11
from lambdaserve.emulator.execution.lambda_text import response_too_large_payload
from lambdaserve.runtime.limits import SYNC_RESPONSE_BYTES

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


SendNext = Callable[[Invocation | None], None]  # answers one GET /next (None: shut down)
GiveBack = Callable[[], None]
# After a parked GET is answered: read the worker's next request on the calling thread, until
# ``done()`` or the deadline (time.monotonic()). Returns how to give the connection back to its
# thread, which then reads the worker's next GET: the caller calls it once its own work for the
# invocation is done, so that thread does not compete for the GIL with it meanwhile. (A
# connection that broke or closed is given back at once; calling it again does nothing.)
Lend = Callable[[Callable[[], bool], float], GiveBack]


class Channel(Protocol):
    """What the server needs from its environment; every method is called on a server thread.

    A channel may also offer ``park(send, lend) -> bool``: it returns at once and the invocation
    goes out through ``send`` from the thread that hands it over, so no server thread waits in
    between. True means parked: the connection's thread then waits while the thread that sent
    the invocation calls ``lend`` to read the worker's answer itself (one thread wake-up fewer
    on every invocation), and gives the connection back when it is done.
    """

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


_NEXT = f"{PREFIX}/invocation/next"
_INIT_ERROR = f"{PREFIX}/init/error"
# SnapStart: a restored runtime's GET before its after-restore hooks, and how it reports them failing.
_RESTORE_NEXT = f"{PREFIX}/restore/next"
_RESTORE_ERROR = f"{PREFIX}/restore/error"
_ACCEPTED = b'{"status":"OK"}'
_accepted_wire = ("", b"")  # (its Date, the whole 202 answer)
# A lent connection is watched this often for an answer that came on another connection.
_LEND_POLL_S = 0.05


class _Handler(http11.Connection):
    server: _Server

    def setup(self) -> None:
        super().setup()
        self._returned = threading.Event()

    def _reply(self, status: int, body: bytes = b"", headers: list[tuple[str, str]] | None = None) -> None:
        self.send(http11.response(status, [("Content-Type", "application/json"), *(headers or [])], body))

    def _status(self, status: int, error_type: str, message: str) -> None:
        body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
        self._reply(status, body)

    def refuse(self, status: int, message: str) -> None:
        self._status(status, "InvalidRequest", message)

    def handle_request(self, req: http11.Request) -> None:
        self.continue_100(req)
        body = http11.read_body(self.rfile, req, SYNC_RESPONSE_BYTES, drain=True)
        if req.method == "GET":
            self._get(req.target)
        elif req.method == "POST":
            self._post(req, body)
        else:
            self._status(405, "InvalidRequest", f"method {req.method} not allowed")

    def _get(self, path: str) -> None:
        if path == _RESTORE_NEXT:  # for parity: a restored SnapStart runtime asks once, then runs its hooks
            self._reply(200)
            return
        if path != _NEXT:
            self._status(404, "InvalidRequest", f"unknown path {path}")
            return
        park: Callable[[SendNext, Lend], bool] | None = getattr(self.server.channel, "park", None)
        if park is None:
            self._send_next(self.server.channel.next_invocation())
            return
        self._returned.clear()
        if park(self._send_next, self._lend):
            self._returned.wait()  # the connection is lent until the answer is read

    def _lend(self, done: Callable[[], bool], deadline: float) -> GiveBack:
        kept = False
        try:
            sock = self.connection
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if select.select([sock], [], [], min(left, _LEND_POLL_S))[0]:
                    req = http11.read_head(self.rfile)
                    if req is None:  # the worker closed it (or died): its thread ends
                        self.close_connection = True
                        break
                    self.close_connection = not req.keep_alive
                    self.handle_request(req)
                    kept = not self.close_connection  # given back when the caller is done
                    break
        except http11.HttpError as exc:
            with contextlib.suppress(OSError):
                self.refuse(exc.status, str(exc))
            self.close_connection = True
        except OSError:  # the worker was killed mid-request
            self.close_connection = True
        except Exception as exc:  # an emulator bug: shown in the function's log, as handle_error does
            self.server.channel.server_error(f"Runtime API error: {exc!r}")
            self.close_connection = True
        finally:
            if not kept:
                self._returned.set()
        return self._returned.set

    def _send_next(self, invocation: Invocation | None) -> None:
        if invocation is None:  # the environment is shutting down: the worker dies right after
            try:
                self._status(500, "Runtime.Shutdown", "execution environment is shutting down")
            finally:
                self._returned.set()  # nothing will be lent any more
            return
        headers = [
            ("Lambda-Runtime-Aws-Request-Id", invocation.request_id),
            ("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms)),
            ("Lambda-Runtime-Invoked-Function-Arn", invocation.function_arn),
            ("Lambda-Runtime-Trace-Id", invocation.trace_id),
        ]
        if invocation.client_context is not None:
            headers.append(("Lambda-Runtime-Client-Context", invocation.client_context))
        if invocation.cognito_identity is not None:
            headers.append(("Lambda-Runtime-Cognito-Identity", invocation.cognito_identity))
        self._reply(200, invocation.payload, headers)

    def _accepted(self) -> None:
        global _accepted_wire
        date = http11.http_date()
        if _accepted_wire[0] != date:  # the same bytes all second: made once per second
            _accepted_wire = (date, http11.response(202, [("Content-Type", "application/json")], _ACCEPTED))
        self.send(_accepted_wire[1])

    def _post(self, req: http11.Request, body: bytes | None) -> None:
        channel = self.server.channel
        match = _INVOCATION.match(req.target)
        if match is None and req.target not in (_INIT_ERROR, _RESTORE_ERROR):
            self._status(404, "InvalidRequest", f"unknown path {req.target}")
            return
        if body is None and (match is None or match.group(2) == "error"):
            self._status(413, "RequestEntityTooLarge", "request body too large")
            return
        if match is None:
            channel.post_init_error(body or b"", _error_type(req))
            self._accepted()
            return
        request_id, kind = match.groups()
        if body is None:
            # for parity: Lambda refuses the runtime's POST with 413; the client gets its own error
            accepted = channel.post_error(request_id, response_too_large_payload(),
                                          "Function.ResponseSizeTooLarge")
            if accepted:
                self._status(413, "RequestEntityTooLarge",
                             f"Exceeded maximum allowed payload size ({SYNC_RESPONSE_BYTES} bytes).")
                return
        elif kind == "response":
            accepted = channel.post_response(request_id, body)
        else:
            accepted = channel.post_error(request_id, body, _error_type(req))
        if accepted:
            self._accepted()
        else:
            self._status(400, "InvalidRequestID", f"{request_id} is not the current invocation")


def _error_type(req: http11.Request) -> str:
    return req.header(ERROR_TYPE_HEADER) or "Runtime.Unknown"


class _Server(socketserver.ThreadingTCPServer):
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
