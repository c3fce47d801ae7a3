"""No orphan workers, even when the process that owns the Function is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.emulator.lambda_helpers import HANDLERS, call, running

_OWNER = textwrap.dedent(f"""
    import json, sys, time
    from pathlib import Path
    from lambdaserve.emulator import Function, FunctionSpec
    spec = FunctionSpec(name="owner", task_root=Path({str(HANDLERS)!r}), environment={{}},
                        handler="echo.handler", concurrency=1)
    function = Function(spec).start()
    print(json.loads(function.invoke(b"{{}}").payload)["pid"], flush=True)
    time.sleep(60)
""")


def _gone(pid: int, within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("sig", [
    signal.SIGKILL,  # no atexit, no close(): only PR_SET_PDEATHSIG is left
    signal.SIGINT,  # Ctrl-C: KeyboardInterrupt, then atexit closes the Function
], ids=["sigkilled", "interrupted"])
def test_an_owner_that_ends_takes_its_workers_along(sig: signal.Signals) -> None:
    owner = subprocess.Popen([sys.executable, "-c", _OWNER], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        worker_pid = int(owner.stdout.readline())
        os.kill(worker_pid, 0)  # alive while the owner lives
        owner.send_signal(sig)
        owner.wait(timeout=10)
        assert _gone(worker_pid)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()


def test_close_kills_the_workers_own_children():
    with running("spawn_child.handler") as function:
        child = call(function, {})[0]["child"]
        os.kill(child, 0)
    assert _gone(child)  # the whole process group goes, not just the worker


def test_a_timeout_kills_the_workers_children_too():
    with running("spawn_child.handler", timeout_s=0.5) as function:
        _, result = call(function, {"hang": True})
        child = int(next(line for line in result.log_tail.splitlines() if line.startswith("child "))[6:])
        assert result.timed_out
        assert _gone(child)
