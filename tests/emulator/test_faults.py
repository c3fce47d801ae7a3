"""Faults with real workers: each is answered as Lambda answers it, and the next request is served."""

from __future__ import annotations

import json
import os
import re
import signal
import time

from tests.emulator.lambda_helpers import call, running


def test_every_cold_start_logs_init_start_first():
    with running("kill_self.handler") as function:
        _, cold = call(function, {"ok": True})
        _, warm = call(function, {"ok": True})
    # for parity: "INIT_START Runtime Version: python:3.13.v14\tRuntime Version ARN: arn:aws:lambda:..."
    first = cold.log_tail.splitlines()[0]
    assert re.fullmatch(r"INIT_START Runtime Version: python:3\.\d+\.v\d+\t"
                        r"Runtime Version ARN: arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}", first), first
    assert "INIT_START" not in warm.log_tail  # only when an environment initialises


def test_import_error_at_init():
    with running("import_error.handler") as function:
        body, result = call(function, {})
        # for parity: awslambdaric's init error, returned to the client of the first invoke
        assert result.function_error == "Unhandled" and result.cold_start
        assert body["errorType"] == "Runtime.ImportModuleError"
        assert "No module named 'not_a_module_lambdaserve'" in body["errorMessage"]
        assert body["requestId"] == result.request_id
        assert "INIT_REPORT Init Duration:" in result.log_tail
        assert "Status: error\tError Type: Runtime.ImportModuleError" in result.log_tail
        again, second = call(function, {})  # a fresh environment fails the same way
        assert again["errorType"] == "Runtime.ImportModuleError" and second.cold_start


def test_exception_at_init():
    with running("exc_in_init.handler") as function:
        body, result = call(function, {})
        assert result.function_error == "Unhandled"
        assert body["errorType"] == "RuntimeError"
        assert body["errorMessage"] == "cannot load the model at init"
        assert body["stackTrace"]


def test_exception_in_handler_keeps_the_environment():
    with running("raise_in_handler.handler") as function:
        body, first = call(function, {})
        # for parity: {"errorMessage", "errorType", "requestId", "stackTrace"} with Unhandled
        assert first.function_error == "Unhandled"
        assert body["errorType"] == "ValueError"
        assert body["errorMessage"] == "bad input: expected 4 features"
        assert body["requestId"] == first.request_id and body["stackTrace"]
        assert "about to fail" in first.log_tail
        _, second = call(function, {})
        assert not second.cold_start  # a handled exception does not cost the environment


def test_timeout_kills_the_environment_and_the_next_call_is_served():
    with running("sleep_forever.handler", timeout_s=0.5) as function:
        body, result = call(function, {})
        assert result.timed_out and result.function_error == "Unhandled"
        # for parity: "<date> <id> Task timed out after 0.50 seconds" (the elapsed time)
        # (two decimals; under load the elapsed time may pass 0.59, never the 0.50 timeout's floor)
        told = re.search(rf" {result.request_id} Task timed out after (\d+\.\d\d) seconds$",
                         body["errorMessage"])
        logged = re.search(r"Task timed out after (\d+\.\d\d) seconds$", result.log_tail.splitlines()[-1])
        assert told and logged and 0.5 <= float(told.group(1)) < 2.0 and logged.group(1) == told.group(1)
        # for parity: the REPORT of a timed-out invoke ends with "Status: timeout"
        report = next(line for line in result.log_tail.splitlines() if line.startswith("REPORT "))
        assert report.endswith("\tStatus: timeout")
        assert 500 <= result.duration_ms < 2000
        quick, after = call(function, {"quick": True})
        assert quick == "quick" and after.cold_start  # a new environment


def test_sys_exit_in_handler():
    with running("exit_in_handler.handler") as function:
        body, result = call(function, {"code": 3})
        # for parity: "RequestId: <id> Error: Runtime exited with error: exit status 3"
        assert body == {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with error: exit status 3",
        }
        assert result.function_error == "Unhandled"
        ok, after = call(function, {"ok": True})
        assert ok == "ok" and after.cold_start


def test_sigkill_in_handler():
    with running("kill_self.handler") as function:
        body, result = call(function, {})
        assert body["errorMessage"].endswith("Runtime exited with error: signal: killed")
        assert body["errorType"] == "Runtime.ExitError"  # killed, but not for its memory
        # for parity: a runtime that dies ends its REPORT with the status and the error type
        assert "\tStatus: error\tError Type: Runtime.ExitError" in result.log_tail
        served, after = call(function, {"ok": True})
        assert after.function_error is None and after.cold_start


def test_worker_killed_while_idle_is_replaced():
    with running("kill_self.handler") as function:
        first, _ = call(function, {"ok": True})
        os.kill(first["pid"], signal.SIGKILL)
        for _ in range(100):  # until the emulator has noticed the death
            second, result = call(function, {"ok": True})
            if result.cold_start:
                break
        assert second["pid"] != first["pid"] and result.function_error is None


def test_out_of_memory_kills_only_that_environment():
    with running("oom_in_handler.handler", memory_mb=128, timeout_s=20) as function:
        body, result = call(function, {})
        # for parity: Lambda's OOM is a SIGKILL of the runtime, reported as Runtime.OutOfMemory
        assert body["errorType"] == "Runtime.OutOfMemory", body
        assert body["errorMessage"].endswith("Runtime exited with error: signal: killed")
        assert result.max_memory_mb >= 100
        report = next(line for line in result.log_tail.splitlines() if line.startswith("REPORT "))
        assert report.endswith("\tStatus: error\tError Type: Runtime.OutOfMemory")
        ok, after = call(function, {"ok": True})
        assert ok == "ok" and after.cold_start


def test_init_over_the_init_timeout_is_retried_in_the_first_invoke(tmp_path):
    env = {"SLOW_INIT_MARK": str(tmp_path / "slow-once"), "SLOW_INIT_S": "30"}
    with running("slow_init.handler", environment=env, init_timeout_s=0.5, timeout_s=10) as function:
        body, result = call(function, {})
        # for parity: Lambda logs INIT_REPORT ... Status: timeout and re-inits under the timeout
        assert body == "initialised" and result.function_error is None
        assert "INIT_REPORT Init Duration: 500.00 ms\tPhase: init\tStatus: timeout" in result.log_tail
        assert result.cold_start


def test_init_slower_than_init_and_function_timeouts_times_out():
    env = {"SLOW_INIT_S": "30"}  # every init is slow, the retry too
    with running("slow_init.handler", environment=env, init_timeout_s=0.3, timeout_s=0.5) as function:
        result = function.invoke(b"{}")
        body = json.loads(result.payload)
        assert result.timed_out and result.function_error == "Unhandled"
        assert re.search(r"Task timed out after 0\.\d\d seconds$", body["errorMessage"])
        assert "Status: timeout" in result.log_tail


def test_out_of_memory_under_the_watchdog_when_cgroups_are_not_writable():
    from lambdaserve.emulator.execution.pool import Pool
    from lambdaserve.emulator.sandbox.memory import MemoryCap
    from tests.emulator.lambda_helpers import spec

    pool = Pool(spec("oom_in_handler.handler", memory_mb=128, timeout_s=20), log_sink=lambda line: None,
                clock=time.monotonic, cap_factory=lambda mb: MemoryCap(mb, "watchdog", None))
    pool.start()
    try:
        assert pool.memory_kind == "watchdog"
        result = pool.invoke(b"{}", "oom-1")
        body = json.loads(result.payload)
        # for parity: an out-of-memory kill is Runtime.OutOfMemory, whoever sends the SIGKILL
        assert body["errorType"] == "Runtime.OutOfMemory"
        assert body["errorMessage"].endswith("Runtime exited with error: signal: killed")
        ok = pool.invoke(b'{"ok": true}', "oom-2")
        assert json.loads(ok.payload) == "ok" and ok.cold_start
    finally:
        pool.close()
