"""The shim's trace (build's proof reuse): what the worker read, written as it happens, unseen by
the function."""

from __future__ import annotations

from pathlib import Path

from tests.emulator.lambda_helpers import HANDLERS, call, running


def test_the_trace_records_what_the_worker_imported_and_the_function_does_not_see_the_variable(tmp_path):
    trace = tmp_path / "trace"
    with running("echo.handler", environment={"LAMBDASERVE_TRACE_FILE": str(trace)}) as function:
        body, result = call(function, {"hello": 1})
        assert result.function_error is None
        assert "LAMBDASERVE_TRACE_FILE" not in body["env"]  # removed before the function's code runs
        (pid,) = function.worker_pids()
        lines = Path(f"/proc/{pid}/root{trace}").read_text().splitlines()  # read while it lives
    opened = {line[2:] for line in lines if line.startswith("o ")}
    looked = {line[2:] for line in lines if line.startswith("n ")}
    assert "echo" in looked and "awslambdaric.bootstrap" in looked
    assert any(Path(p).name == "echo.py" and Path(p).parent == HANDLERS for p in opened) or any(
        p.startswith(str(HANDLERS / "__pycache__" / "echo.")) for p in opened)
    assert len(lines) == len(set(lines))  # each fact once
    # the import system's own listings are not "listed" (its lookups are recorded by name):
    # otherwise any file added next to an imported module would void a stored proof
    assert f"l {HANDLERS}" not in lines



def test_a_program_the_function_runs_is_marked_untraceable(tmp_path):
    # its reads are not in the trace, so build must not reuse a proof of such a run
    trace = tmp_path / "trace"
    with running("spawn_child.handler", environment={"LAMBDASERVE_TRACE_FILE": str(trace)}) as function:
        call(function, {})
        (pid,) = function.worker_pids()
        lines = Path(f"/proc/{pid}/root{trace}").read_text().splitlines()
    assert "x subprocess.Popen" in lines
    assert not [line for line in lines if line.startswith("x socket.connect")]  # the Runtime API is not
