"""END and REPORT are written after the client has its answer, as Lambda writes them: the answer
does not wait for the log's bookkeeping, and the log reads as before (START, the handler's lines,
END, REPORT, then the gateway's access line)."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdaserve.emulator import Function
from lambdaserve.emulator.execution.after_answer import after_answer, answer_first
from lambdaserve.emulator.fronts.apigw import ApiGateway, ApiSettings
from lambdaserve.emulator.fronts.invoke_api import InvokeApi
from lambdaserve.emulator.fronts.server import EmulatorServer
from tests.emulator.lambda_helpers import spec

FRONT_HANDLERS = Path(__file__).resolve().parent / "front_handlers"


@pytest.fixture
def echo() -> Iterator[tuple[Function, list[str]]]:
    lines: list[str] = []
    with Function(spec("echo.handler"), log_sink=lines.append) as function:
        yield function, lines


def _index(lines: list[str], prefix: str) -> int:
    found = [i for i, line in enumerate(lines) if line.startswith(prefix)]
    assert len(found) == 1, (prefix, lines)  # logged exactly once
    return found[0]


def test_inside_answer_first_end_and_report_wait_for_the_block(echo):
    function, lines = echo
    with answer_first():  # as the HTTP server wraps each request it answers
        result = function.invoke(b'{"n": 1}')
        rid = result.request_id
        assert json.loads(result.payload)["event"] == {"n": 1}
        # for parity: Lambda answers when the runtime posts; END and REPORT are written after
        assert not any(line.startswith(("END", "REPORT")) for line in lines)
    start, end, report = (_index(lines, f"{word} RequestId: {rid}") for word in ("START", "END", "REPORT"))
    assert start < lines.index(f"echo: handling {rid}") < end < report
    assert lines[end - 1] == "echo: no newline"  # an unterminated print still lands before END
    # for parity: the REPORT carries the same numbers the invoke answered with
    numbers = f"\tDuration: {result.duration_ms:.2f} ms\tBilled Duration: {result.billed_ms} ms\t"
    assert numbers in lines[report]
    assert re.search(r"\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms$", lines[report])  # cold
    assert f"\tInit Duration: {result.init_duration_ms:.2f} ms" in lines[report]
    assert result.log_tail.splitlines()[-2:] == [lines[end], lines[report]]
    assert f"Max Memory Used: {result.max_memory_mb} MB" in lines[report]


def test_without_answer_first_the_report_is_made_before_invoke_returns(echo):
    function, lines = echo
    result = function.invoke(b"{}")  # a library caller (invoke, doctor, tune) sees every line at once
    assert lines[-1].startswith(f"REPORT RequestId: {result.request_id}\t")
    assert lines[-2] == f"END RequestId: {result.request_id}"


def test_reading_the_log_tail_makes_the_report_at_once_and_only_once(echo):
    function, lines = echo
    with answer_first():
        result = function.invoke(b"{}")
        tail = result.log_tail  # the Invoke API's LogType=Tail reads it before it answers
        assert tail.splitlines()[-1].startswith(f"REPORT RequestId: {result.request_id}\t")
        assert lines[-1] == tail.splitlines()[-1]
    _index(lines, f"END RequestId: {result.request_id}")
    _index(lines, f"REPORT RequestId: {result.request_id}")


def test_the_next_invocation_makes_the_last_report_before_its_start(echo):
    function, lines = echo  # concurrency 1: both requests run in the one environment
    answered, second_done = threading.Event(), threading.Event()
    first: list[str] = []

    def slow_client() -> None:
        with answer_first():
            first.append(function.invoke(b"{}").request_id)
            answered.set()
            second_done.wait(10)  # its client is slow: the block has not ended yet

    thread = threading.Thread(target=slow_client)
    thread.start()
    try:
        assert answered.wait(10)
        second = function.invoke(b"{}").request_id
    finally:
        second_done.set()
        thread.join(10)
    # for parity: one environment's log never interleaves two invocations
    assert (_index(lines, f"END RequestId: {first[0]}") < _index(lines, f"REPORT RequestId: {first[0]}")
            < _index(lines, f"START RequestId: {second}") < _index(lines, f"REPORT RequestId: {second}"))


def test_over_http_the_client_has_its_answer_before_end_is_logged():
    lines: list[str] = []
    release = threading.Event()

    def sink(line: str) -> None:
        lines.append(line)
        if line.startswith("END RequestId:"):
            release.wait(10)  # the log's bookkeeping stalls until the client has its answer

    function = Function(spec("handlers.handler", name="fronts", task_root=FRONT_HANDLERS), log_sink=sink)
    try:
        gateway = ApiGateway(function, ApiSettings(kind="rest", function_timeout_s=5.0), log=lines.append)
        with EmulatorServer(gateway, InvokeApi({"fronts": function}), port=0).start() as server:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            try:
                conn.request("POST", "/prod/predict", body=b'{"print": "hi"}',
                             headers={"Content-Type": "application/json"})
                res = conn.getresponse()  # times out if the answer waited for END
                assert res.status == 200 and json.loads(res.read())["event"]["httpMethod"] == "POST"
                rid = res.getheader("x-amzn-RequestId")
            finally:
                release.set()
                conn.close()
    finally:
        function.close()
    start = _index(lines, "START RequestId:")
    end, report = _index(lines, "END RequestId:"), _index(lines, "REPORT RequestId:")
    access = _index(lines, '127.0.0.1 "POST /prod/predict HTTP/1.1" 200')
    assert start < lines.index("hi") < end < report < access  # the order serve's log always had
    assert f"requestId={rid}" in lines[access]


def test_after_answer_runs_tasks_in_order_when_the_block_ends_even_past_a_failure():
    ran: list[str] = []
    after_answer(lambda: ran.append("now"))  # outside a block: at once
    assert ran == ["now"]

    def fails() -> None:
        ran.append("fails")
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"), answer_first():
        after_answer(lambda: ran.append("first"))
        after_answer(fails)
        after_answer(lambda: ran.append("last"))  # still runs: a lent connection must go back
        assert ran == ["now"]
    assert ran == ["now", "first", "fails", "last"]
    after_answer(lambda: ran.append("after"))  # the block is over: at once again
    assert ran[-1] == "after"


def test_closing_the_server_lets_answered_requests_finish_their_log_lines():
    lines: list[str] = []
    closing, release = threading.Event(), threading.Event()

    def sink(line: str) -> None:
        lines.append(line)
        if line.startswith("REPORT RequestId:"):
            release.wait(10)

    def release_once_closing() -> None:
        closing.wait(10)
        time.sleep(0.2)  # close() is under way by now
        release.set()

    function = Function(spec("handlers.handler", name="fronts", task_root=FRONT_HANDLERS), log_sink=sink)
    releaser = threading.Thread(target=release_once_closing)
    releaser.start()
    try:
        gateway = ApiGateway(function, ApiSettings(kind="rest", function_timeout_s=5.0), log=lines.append)
        server = EmulatorServer(gateway, InvokeApi({"fronts": function}), port=0).start()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request("POST", "/prod/predict", body=b"{}", headers={"Content-Type": "application/json"})
            assert conn.getresponse().status == 200
            conn.close()
        finally:
            closing.set()
            server.close()  # the connection threads are daemons: close waits for their log lines
        assert any(line.startswith('127.0.0.1 "POST /prod/predict HTTP/1.1" 200') for line in lines), lines
    finally:
        release.set()
        releaser.join(10)
        function.close()


def test_a_failed_invocation_has_its_whole_log_before_its_answer():
    lines: list[str] = []
    with Function(spec("raise_in_handler.handler"), log_sink=lines.append) as function, answer_first():
        result = function.invoke(b"{}")
        assert result.function_error == "Unhandled"
        # whoever reads the log for the cause of a failed answer (deploy's smoke test) finds it there
        assert lines[-1].startswith(f"REPORT RequestId: {result.request_id}\t")
        assert any(line.startswith("[ERROR] ValueError: bad input") for line in lines[:-2]), lines
