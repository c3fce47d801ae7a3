"""The execution environment's state discipline and the memory watchdog, without the pool."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lambdaserve.emulator.execution.environment import ExecutionEnvironment, InvalidTransition, State
from lambdaserve.emulator.execution.runtime_api import Invocation
from lambdaserve.emulator.sandbox.memory import MemoryCap


def _env() -> ExecutionEnvironment:
    return ExecutionEnvironment(1, cap=MemoryCap(128, "watchdog", None), log_sink=lambda line: None,
                                clock=lambda: 0.0)


def test_an_environment_cannot_run_before_it_is_ready():
    env = _env()
    try:
        assert env.state is State.INIT
        with pytest.raises(InvalidTransition, match="run before init finished"):
            env.run(Invocation("r", b"{}", 0, "arn", "trace"), 0.1)
    finally:
        env.kill()


def test_dead_is_final():
    env = _env()
    env.kill()
    assert env.state is State.DEAD
    assert env.next_invocation() is None  # a worker asking for work is told to stop
    assert env.wait_ready(0.01).kind == "exited"
    env.kill()  # idempotent


def test_the_watchdog_sees_a_worker_over_its_cap():
    hog = subprocess.Popen(
        [sys.executable, "-c", "b = b\"x\" * (96 * 1024 * 1024); import sys; print(1, flush=True); "
                               "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    try:
        assert hog.stdout is not None and hog.stdout.readline().strip() == b"1"
        assert MemoryCap(64, "watchdog", None).over_limit(hog.pid)
        assert not MemoryCap(1024, "watchdog", None).over_limit(hog.pid)
        assert not MemoryCap(64, "cgroup1", None).over_limit(hog.pid)  # the kernel enforces those
        assert MemoryCap(64, "watchdog", None).peak_mb(hog.pid) >= 96
    finally:
        hog.kill()
        hog.wait()


def test_cgroups_left_by_a_killed_emulator_are_swept():
    from lambdaserve.emulator.sandbox.memory import make_cap
    from tests.helpers import require

    probe = make_cap(64)
    try:
        require(probe.cgroup is not None, "needs a writable memory cgroup (root on Linux)")
        assert probe.cgroup is not None
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()  # its pid now names an emulator that no longer exists
        stale = probe.cgroup.parent / f"lambdaserve-{gone.pid}-7"
        stale.mkdir()
        make_cap(64).close()
        assert not stale.exists()
        assert probe.cgroup.exists()  # a live emulator's cgroup stays
    finally:
        probe.close()
