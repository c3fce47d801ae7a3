"""Test doubles for the cloud package: a recording UI, a moto server, stubbed clients."""

from __future__ import annotations

import http.client
import logging
import threading
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.stub import Stubber

from lambdaserve.cloud.aws import AwsClients, CallRecorder, make_session

FAKE_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true"}


@dataclass
class RecordingUI:
    """Remembers everything a cloud operation reports; answers questions with ``answers``."""

    answers: list[bool] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    diffs: list[Sequence[Any]] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    def info(self, message: str) -> None:
        self.infos.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def changes(self, changes: Sequence[Any]) -> None:
        self.diffs.append(changes)

    def event(self, event: Any) -> None:
        self.events.append(event)

    def confirm(self, question: str) -> bool:
        self.questions.append(question)
        return self.answers.pop(0)


class Sleeps(list[float]):
    """An injected sleep that records its delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free port of 127.0.0.1, over real HTTP; stopped on exit."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        # moto's state is global to the process: start every server empty
        urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST"), timeout=10)
        yield url
        # and leave it empty: a later in-process moto (deploy --target local starts one) shares the state
        urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST"), timeout=10)
    finally:
        server.stop()


def moto_clients(endpoint: str, *, recorder: CallRecorder | None = None, max_attempts: int = 8) -> AwsClients:
    session = make_session(region="us-east-1", environ=FAKE_ENV)
    return AwsClients(session, "us-east-1", endpoint, recorder=recorder, max_attempts=max_attempts)


class Stubbed:
    """AwsClients whose clients answer from botocore Stubbers, in the order responses are added."""

    def __init__(self, services: Sequence[str] = ("cloudformation",)) -> None:
        self.sleeps = Sleeps()
        self.clients = AwsClients(make_session(region="us-east-1", environ=FAKE_ENV), "us-east-1")
        self.stubs = {name: Stubber(self.clients.client(name)) for name in services}
        for stub in self.stubs.values():
            stub.activate()

    def ok(self, operation: str, response: dict[str, Any], params: dict[str, Any] | None = None,
           service: str = "cloudformation") -> None:
        self.stubs[service].add_response(operation, response, params)

    def error(self, operation: str, code: str, message: str = "", status: int = 400,
              service: str = "cloudformation") -> None:
        self.stubs[service].add_client_error(operation, service_error_code=code, service_message=message,
                                             http_status_code=status)

    def assert_done(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


@dataclass
class ThrottlingFront:
    """A loopback HTTP front for a moto server that answers the first ``refusals`` requests
    with CloudFormation's throttling error, then forwards the rest to moto unchanged."""

    upstream: str
    refusals: int
    url: str = ""
    seen: int = 0

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list, bytes]:
        self.seen += 1
        if self.seen <= self.refusals:
            # for parity: CloudFormation's query-protocol error when an account calls too fast
            return 400, [("Content-Type", "text/xml")], (
                b'<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
                b"<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
                b"<RequestId>throttled</RequestId></ErrorResponse>")
        host = self.upstream.removeprefix("http://")
        conn = http.client.HTTPConnection(host, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            headers_out = [(k, v) for k, v in resp.getheaders() if k.lower() != "transfer-encoding"]
            return resp.status, headers_out, resp.read()
        finally:
            conn.close()


@contextmanager
def throttling_front(upstream: str, refusals: int) -> Iterator[ThrottlingFront]:
    """``ThrottlingFront`` on a free port of 127.0.0.1; stopped on exit."""
    front = ThrottlingFront(upstream, refusals)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, headers, answer = front.answer("POST", self.path, dict(self.headers), body)
            self.send_response(status)
            for key, value in headers:
                if key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    front.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield front
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
