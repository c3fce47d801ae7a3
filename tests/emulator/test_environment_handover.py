"""How an environment hands invocations to its worker's GET /next, driven through its channel
methods (what the Runtime API server calls) without a worker process."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

from lambdaserve.emulator.execution.environment import ExecutionEnvironment, Outcome, State
from lambdaserve.emulator.execution.runtime_api import Invocation
from lambdaserve.emulator.sandbox.memory import MemoryCap


def _env(lines: list[str]) -> ExecutionEnvironment:
    return ExecutionEnvironment(1, cap=MemoryCap(128, "watchdog", None), log_sink=lines.append,
                                clock=lambda: 0.0)


def _inv(rid: str) -> Invocation:
    return Invocation(rid, b"{}", 0, "arn", "trace")


class _Worker:
    """Records what each parked GET /next was answered with, and on which thread."""

    def __init__(self) -> None:
        self.got: list[tuple[str | None, str]] = []
        self.event = threading.Event()

    def send(self, invocation: Invocation | None) -> None:
        rid = invocation.request_id if invocation is not None else None
        self.got.append((rid, threading.current_thread().name))
        self.event.set()


def _running(pool: ThreadPoolExecutor, env: ExecutionEnvironment, rid: str) -> Future[Outcome]:
    return pool.submit(env.run, _inv(rid), 5.0)


def test_a_parked_get_is_answered_by_run_and_a_queued_run_by_the_next_get():
    lines: list[str] = []
    env, worker = _env(lines), _Worker()
    with ThreadPoolExecutor(1, thread_name_prefix="front") as pool:
        try:
            env.park(worker.send)  # the first GET: init is over
            assert env.state is State.READY and worker.got == []
            first = _running(pool, env, "r1")
            assert worker.event.wait(5)
            assert worker.got == [("r1", worker.got[0][1])] and worker.got[0][1].startswith("front")
            assert env.post_response("r1", b'"one"')
            assert first.result(5) == Outcome("response", b'"one"')
            # The worker has answered but not asked again: the next run waits in the queue ...
            assert env.state is State.BUSY
            worker.event.clear()
            second = _running(pool, env, "r2")
            assert not worker.event.wait(0.2) and not second.done()
            # ... and the worker's next GET takes it on the Runtime API's own thread.
            env.park(worker.send)
            assert worker.got[1] == ("r2", threading.current_thread().name)
            assert not env.post_response("r1", b"late")  # not the current invocation any more
            assert env.post_response("r2", b'"two"')
            assert second.result(5) == Outcome("response", b'"two"')
            assert "START RequestId: r2 Version: $LATEST" in lines
        finally:
            env.kill()


def test_a_worker_that_dies_before_taking_a_queued_invocation_leaves_it_undelivered():
    env, worker = _env([]), _Worker()
    with ThreadPoolExecutor(1) as pool:
        env.park(worker.send)
        first = _running(pool, env, "r1")
        assert worker.event.wait(5) and env.post_response("r1", b"1")
        assert first.result(5).kind == "response"
        worker.event.clear()
        second = _running(pool, env, "r2")
        assert not worker.event.wait(0.1)  # queued: the worker has not asked again
        env.kill()  # e.g. it crashed right after its answer
        assert second.result(5).kind == "undelivered"  # the pool retries it elsewhere
    assert [rid for rid, _ in worker.got] == ["r1"]


def test_a_worker_that_never_asks_again_times_the_queued_invocation_out():
    env, worker = _env([]), _Worker()
    try:
        env.park(worker.send)
        with ThreadPoolExecutor(1) as pool:
            first = _running(pool, env, "r1")
            assert worker.event.wait(5) and env.post_response("r1", b"1")
            assert first.result(5).kind == "response"
        assert env.run(_inv("r2"), 0.1).kind == "timeout"
    finally:
        env.kill()


def test_kill_tells_a_parked_worker_to_stop():
    env, worker = _env([]), _Worker()
    env.park(worker.send)
    env.kill()
    assert worker.got == [(None, threading.current_thread().name)]
