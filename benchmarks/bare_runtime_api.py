"""A bare awslambdaric round trip: the smallest Runtime API that can drive a real worker.

The baseline the local Lambda is compared with, in the same run: one thread, no locks, no log
capture, no limits. The caller's thread answers the worker's GET /next with the event, reads its
POST /response, acknowledges it and waits for its next GET, all over the sockets directly.
Used by benchmarks/serve_overhead.py; not part of lambdaserve.
"""

from __future__ import annotations

import os
import resource
import selectors
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

_ACK = (b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"
        b'{"status":"OK"}')


class _Conn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def request(self) -> tuple[str, bytes] | None:
        """One whole request (head line, body) if the buffer holds one."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buf[:end].decode("iso-8859-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if len(self.buf) < end + 4 + length:
            return None
        body = self.buf[end + 4:end + 4 + length]
        self.buf = self.buf[end + 4 + length:]
        return head.split("\r\n", 1)[0], body


class BareRuntimeApi:
    """Start a worker with ``python -m awslambdaric handler``; ``invoke`` returns its answer."""

    def __init__(self, handler: str, task_root: Path, environment: Mapping[str, str]) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._listener, selectors.EVENT_READ, None)
        self._parked: _Conn | None = None  # the connection whose GET /next waits for an event
        port = self._listener.getsockname()[1]
        env = {**os.environ, **environment, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
               "_HANDLER": handler, "LAMBDA_TASK_ROOT": str(task_root),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(task_root), environment.get("PYTHONPATH")])),
               "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen([sys.executable, "-m", "awslambdaric", handler], env=env,
                                      cwd=task_root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._counter = 0
        self._wait_for("GET")  # the init is done when the worker first asks for work

    def _wait_for(self, method: str) -> tuple[_Conn, bytes]:
        for key in list(self._sel.get_map().values()):  # a request already read with the last one
            if key.data is not None and (got := key.data.request()) is not None:
                if got[0].startswith("GET"):
                    self._parked = key.data
                return key.data, got[1]
        while True:
            for key, _ in self._sel.select(timeout=60):
                if key.data is None:
                    sock, _ = self._listener.accept()
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self._sel.register(sock, selectors.EVENT_READ, _Conn(sock))
                    continue
                conn: _Conn = key.data
                data = conn.sock.recv(65536)
                if not data:
                    self._sel.unregister(conn.sock)
                    conn.sock.close()
                    continue
                conn.buf += data
                got = conn.request()
                if got is not None:
                    line, body = got
                    if line.startswith(method):
                        if method == "GET":
                            self._parked = conn
                        return conn, body
            if self._proc.poll() is not None:
                raise RuntimeError(f"the bare worker exited with {self._proc.returncode}")

    def invoke(self, payload: bytes) -> bytes:
        if self._parked is None:  # the worker's next GET after the last answer
            self._wait_for("GET")
        assert self._parked is not None
        self._counter += 1
        rid = f"bare-{self._counter}"
        head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Lambda-Runtime-Aws-Request-Id: {rid}\r\nLambda-Runtime-Deadline-Ms: 9999999999999\r\n"
                "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:bare\r\n"
                "Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Sampled=0\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n")
        self._parked.sock.sendall(head.encode() + payload)
        conn, body = self._wait_for("POST")
        self._parked = None
        conn.sock.sendall(_ACK)
        return body

    def close(self) -> resource.struct_rusage:
        """Stop the worker; its resource usage (CPU of all its threads) from the kernel."""
        self._proc.kill()
        _, status, usage = os.wait4(self._proc.pid, 0)
        self._proc.returncode = os.waitstatus_to_exitcode(status)
        for key in list(self._sel.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self._sel.close()
        return usage
