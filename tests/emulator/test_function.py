"""Function.invoke with real awslambdaric workers: reuse, variables, logs, limits, bursts."""

from __future__ import annotations

import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from lambdaserve.emulator import Function, PayloadTooLargeError, ThrottledError
from lambdaserve.errors import EmulatorError
from tests.emulator.lambda_helpers import HANDLERS, call, running, spec


@pytest.fixture(scope="module")
def echo():
    lines: list[str] = []
    function = Function(spec("echo.handler", environment={"USER_COLOUR": "teal"}, concurrency=2),
                        log_sink=lines.append)
    with function:
        yield function, lines


def test_cold_then_warm_in_the_same_worker():
    # its own Function: the module's shared one is warm once any other test has used it
    with running("echo.handler", concurrency=2) as function:
        first, cold = call(function, {"n": 1})
        second, warm = call(function, {"n": 2})
    assert cold.cold_start and cold.init_duration_ms is not None and cold.init_duration_ms > 0
    assert not warm.cold_start and warm.init_duration_ms is None
    assert second["pid"] == first["pid"] == second["init_pid"]  # warm: same process, init ran once
    assert second["event"] == {"n": 2} and warm.function_error is None
    # what init printed just before the worker's first GET is in the cold start's log, before START
    tail = cold.log_tail.splitlines()
    assert tail[0].startswith("INIT_START") and tail.index("echo: init done") < tail.index(
        f"START RequestId: {cold.request_id} Version: $LATEST")
    assert second["request_id"] == warm.request_id


def test_lambda_environment_variables(echo):
    function, _ = echo
    seen, result = call(function, {})
    env = seen["env"]
    # for parity: the variables Lambda sets in every python execution environment
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "echo"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/echo"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", env["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert env["LAMBDA_TASK_ROOT"] == str(HANDLERS) == seen["cwd"]
    assert env["_HANDLER"] == "echo.handler"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert re.fullmatch(r"AWS_Lambda_python3\.\d+", env["AWS_EXECUTION_ENV"])
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", env["AWS_LAMBDA_RUNTIME_API"])
    assert env["TZ"] == ":UTC" and env["LANG"] == "en_US.UTF-8"
    assert env["USER_COLOUR"] == "teal"
    assert "LAMBDASERVE_PARENT_PID" not in env  # the emulator's own plumbing stays invisible
    assert seen["function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:echo"
    assert 0 < seen["remaining_ms"] <= 5000


def test_log_tail_and_report_line(echo):
    function, lines = echo
    _, result = call(function, {})
    tail = result.log_tail.splitlines()
    rid = result.request_id
    assert tail[0] == f"START RequestId: {rid} Version: $LATEST"
    assert f"echo: handling {rid}" in tail  # the handler's own print, captured per invocation
    assert tail[-3] == "echo: no newline"  # an unterminated print still lands in its invocation
    assert tail[-2] == f"END RequestId: {rid}"
    # for parity: CloudWatch's REPORT line, tab-separated, no Init Duration when warm
    assert re.fullmatch(
        rf"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 256 MB\tMax Memory Used: \d+ MB",
        tail[-1],
    )
    assert result.max_memory_mb > 5 and result.billed_ms >= 1
    assert tail[-1] in lines  # the sink saw it too


def test_request_over_6_mb_is_refused_before_any_worker_runs(echo):
    function, _ = echo
    with pytest.raises(PayloadTooLargeError) as caught:
        function.invoke(b'"' + b"x" * (6 * 1024 * 1024) + b'"')
    assert caught.value.status == 413 and caught.value.error_type == "RequestEntityTooLargeException"


def test_response_over_6_mb_is_a_function_error_and_the_next_call_is_served():
    with running("big_response.handler", memory_mb=512) as function:
        body, result = call(function, {"size": 6_300_000})
        assert result.function_error == "Unhandled"
        assert body["errorType"] == "Function.ResponseSizeTooLarge"
        assert body["errorMessage"] == (
            "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
        )
        # awslambdaric exits when Lambda refuses its answer (413), so a fresh environment serves
        small, again = call(function, {"size": 10})
        assert small == "x" * 10 and again.function_error is None


def test_burst_of_500_on_two_environments_each_answered(echo):
    function, _ = echo
    outcomes: list[str] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        try:
            body, result = call(function, {"i": i})
            kind = "ok" if result.function_error is None and body["event"] == {"i": i} else "bad"
        except ThrottledError as exc:
            kind = "throttled" if exc.status == 429 and str(exc) == "Rate Exceeded." else "bad"
        with lock:
            outcomes.append(kind)

    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(one, range(500)))
    assert len(outcomes) == 500  # none lost, none hung (pytest-timeout guards the hang)
    assert set(outcomes) <= {"ok", "throttled"}
    assert outcomes.count("ok") >= 2
    worker_pids = {call(function, {})[0]["pid"] for _ in range(4)}
    assert len(worker_pids) <= 2  # never more environments than the concurrency


def test_concurrency_one_throttles_while_busy():
    delivered = threading.Event()

    def sink(line: str) -> None:
        if line.startswith("START RequestId:"):
            delivered.set()

    function = Function(spec("sleep_forever.handler", timeout_s=1.0), log_sink=sink)
    with function:
        results = []
        worker = threading.Thread(target=lambda: results.append(function.invoke(b"{}")))
        worker.start()
        assert delivered.wait(10)  # the slow call now holds the only environment
        with pytest.raises(ThrottledError) as caught:
            function.invoke(b'{"quick": true}')
        assert caught.value.error_type == "TooManyRequestsException"
        worker.join()
        assert results[0].timed_out


def test_idle_environments_are_reaped():
    clock = [0.0]
    function = Function(spec("echo.handler", idle_timeout_s=0.2), clock=lambda: clock[0])
    with function:
        first, _ = call(function, {})
        clock[0] += 10.0  # idle far past the timeout
        assert function.live_environments == 1
        for _ in range(100):
            if function.live_environments == 0:
                break
            threading.Event().wait(0.02)
        assert function.live_environments == 0
        second, result = call(function, {})
        assert result.cold_start and second["pid"] != first["pid"]


def test_close_leaves_no_worker_behind():
    function = Function(spec("echo.handler", concurrency=2))
    with function:
        pids = {call(function, {})[0]["pid"]}
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(EmulatorError):
        function.invoke(b"{}")


def test_a_missing_task_root_is_explained(tmp_path):
    with pytest.raises(EmulatorError) as caught:
        Function(spec("echo.handler", task_root=tmp_path / "nope")).start()
    assert caught.value.hint


def test_payload_is_passed_byte_for_byte(echo):
    function, _ = echo
    event = {"text": "héllo ✓", "nested": [1, 2.5, None, True]}
    result = function.invoke(json.dumps(event, ensure_ascii=False).encode())
    assert json.loads(result.payload)["event"] == event


def test_client_context_reaches_the_handler(echo):
    function, _ = echo
    context = json.dumps({"custom": {"tenant": "acme"}, "client": {}, "env": {}})
    result = function.invoke(b"{}", client_context=context)
    assert json.loads(result.payload)["client_context"] == {"tenant": "acme"}
    assert json.loads(function.invoke(b"{}").payload)["client_context"] is None


def test_prewarm_initialises_one_environment_ahead():
    initialised = threading.Event()

    def sink(line: str) -> None:
        if line == "echo: init done":
            initialised.set()

    with Function(spec("echo.handler"), log_sink=sink) as function:
        function.start(prewarm=True)
        assert initialised.wait(10)  # the module ran before any request
        assert function.live_environments == 1
        _, result = call(function, {})
        assert result.cold_start and result.init_duration_ms is not None
        # the init's lines open its first log, after INIT_START
        assert result.log_tail.splitlines()[:2][1:] == ["echo: init done"]
        assert result.log_tail.startswith("INIT_START Runtime Version: ")
        assert function.live_environments == 1


def test_a_worker_printing_more_than_its_pipe_holds_is_read_while_it_runs():
    with running("chatty.handler") as function:
        answer, result = call(function, {"lines": 20_000})  # ~1.2 MB: the pipe fills 18 times
    lines = result.log_tail.splitlines()
    printed = [line for line in lines if line.startswith("chatty line ")]
    assert answer == {"printed": 20_000} and result.function_error is None
    assert len(printed) == 20_000 and printed[-1].startswith("chatty line 019999 ")
    assert lines[-2] == f"END RequestId: {result.request_id}"  # after every line it printed
