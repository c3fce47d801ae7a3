"""A parked GET /next lends its connection: the thread that hands an invocation over reads the
worker's answer itself (one thread wake-up fewer per invocation), and an answer that comes on
another connection still ends the wait at once."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest

from lambdaserve.emulator.execution.after_answer import answer_first
from lambdaserve.emulator.execution.environment import ExecutionEnvironment, Outcome, State
from lambdaserve.emulator.execution.runtime_api import PREFIX, Invocation, RuntimeApiServer
from lambdaserve.emulator.sandbox.memory import MemoryCap


class _Env(ExecutionEnvironment):
    """Records the thread each answer was taken on."""

    def __init__(self) -> None:
        super().__init__(1, cap=MemoryCap(128, "watchdog", None), log_sink=lambda _l: None,
                         clock=time.monotonic)
        self.answered_on: list[str] = []

    def post_response(self, request_id: str, body: bytes) -> bool:
        self.answered_on.append(threading.current_thread().name)
        return super().post_response(request_id, body)


Served = tuple[_Env, RuntimeApiServer]


@pytest.fixture
def served() -> Iterator[Served]:
    """An environment whose Runtime API server is started; killed (idempotent) at teardown."""
    env = _Env()
    server = RuntimeApiServer(env)
    server.start()
    try:
        yield env, server
    finally:
        env.kill()


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(lines[0].split()[1]), headers, rest[:length]


def _get_next(sock: socket.socket) -> None:
    sock.sendall(f"GET {PREFIX}/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n".encode())


def _post(sock: socket.socket, rid: str, body: bytes) -> None:
    sock.sendall(f"POST {PREFIX}/invocation/{rid}/response HTTP/1.1\r\nHost: x\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


def _connect(server: RuntimeApiServer) -> socket.socket:
    host, port = server.address.split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def _parked(env: ExecutionEnvironment) -> None:
    deadline = time.monotonic() + 5
    while env.state is not State.READY:
        assert time.monotonic() < deadline
        time.sleep(0.005)


def _hand_r1(worker: socket.socket, pool: ThreadPoolExecutor, call: Callable[..., Any],
             *args: Any) -> tuple[Future[Any], tuple[int, dict[str, str], bytes]]:
    """Submit ``call`` (which hands r1 to the parked worker); on the worker, read r1 and answer
    it "one", checking the Runtime API's 202. The call's future and what the worker read."""
    running = pool.submit(call, *args)
    read = _read_response(worker)
    _post(worker, "r1", b'"one"')
    assert _read_response(worker)[0] == 202
    return running, read


def test_the_answer_on_the_parked_connection_is_read_by_the_invoking_thread(served: Served) -> None:
    env, server = served
    with _connect(server) as worker, ThreadPoolExecutor(1, thread_name_prefix="front") as pool:
        _get_next(worker)
        _parked(env)
        running, (status, headers, body) = _hand_r1(
            worker, pool, env.run, Invocation("r1", b'{"n": 1}', 0, "arn", "trace"), 5.0)
        assert status == 200 and headers["lambda-runtime-aws-request-id"] == "r1" and body == b'{"n": 1}'
        assert running.result(5) == Outcome("response", b'"one"')
        assert env.answered_on[0].startswith("front")  # not a Runtime API thread
        # The connection went back to its own thread: the next GET parks as before.
        _get_next(worker)
        _parked(env)
        second = pool.submit(env.run, Invocation("r2", b"{}", 0, "arn", "trace"), 5.0)
        assert _read_response(worker)[1]["lambda-runtime-aws-request-id"] == "r2"
        _post(worker, "r2", b'"two"')
        assert _read_response(worker)[0] == 202
        assert second.result(5) == Outcome("response", b'"two"')


def test_an_answer_on_another_connection_ends_the_wait_at_once(served: Served) -> None:
    env, server = served
    with _connect(server) as first, ThreadPoolExecutor(1) as pool:
        _get_next(first)
        _parked(env)
        started = time.monotonic()
        running = pool.submit(env.run, Invocation("r1", b"{}", 0, "arn", "trace"), 10.0)
        assert _read_response(first)[1]["lambda-runtime-aws-request-id"] == "r1"
        with _connect(server) as second:  # e.g. the worker's client reconnected
            _post(second, "r1", b'"late"')
            assert _read_response(second)[0] == 202
        assert running.result(5) == Outcome("response", b'"late"')
        assert time.monotonic() - started < 2  # not the 10 s deadline


def test_a_lent_connection_times_out_at_the_deadline_and_kill_frees_its_thread(served: Served) -> None:
    env, server = served
    with _connect(server) as worker, ThreadPoolExecutor(1) as pool:
        _get_next(worker)
        _parked(env)
        started = time.monotonic()
        outcome = pool.submit(env.run, Invocation("r1", b"{}", 0, "arn", "trace"), 0.3).result(5)
        assert outcome == Outcome("timeout") and 0.25 < time.monotonic() - started < 2
    env.kill()
    assert env.state is State.DEAD


def _stays_busy(env: ExecutionEnvironment, seconds: float) -> bool:
    """True when the worker's GET sent meanwhile is still unread after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if env.state is not State.BUSY:
            return False
        time.sleep(0.01)
    return True


def test_a_held_connection_reads_the_next_get_only_after_hand_back(served: Served) -> None:
    env, server = served
    with _connect(server) as worker, ThreadPoolExecutor(1, thread_name_prefix="front") as pool:
        _get_next(worker)
        _parked(env)
        running, (_, headers, _) = _hand_r1(worker, pool, partial(env.run, hold=True),
                                            Invocation("r1", b"{}", 0, "arn", "trace"), 5.0)
        assert headers["lambda-runtime-aws-request-id"] == "r1"
        assert running.result(5) == Outcome("response", b'"one"')
        _get_next(worker)  # the worker asks again at once, as awslambdaric does
        assert _stays_busy(env, 0.3)  # its thread waits for the connection, not reading it
        env.hand_back()
        _parked(env)  # read and parked once given back
        second = pool.submit(env.run, Invocation("r2", b"{}", 0, "arn", "trace"), 5.0)
        assert _read_response(worker)[1]["lambda-runtime-aws-request-id"] == "r2"
        _post(worker, "r2", b'"two"')
        assert _read_response(worker)[0] == 202 and second.result(5) == Outcome("response", b'"two"')


def test_inside_answer_first_the_connection_goes_back_when_the_block_ends(served: Served) -> None:
    env, server = served

    def front() -> None:
        with answer_first():  # as the HTTP front wraps each request it answers
            assert env.run(Invocation("r1", b"{}", 0, "arn", "trace"), 5.0, hold=True).kind == "response"
            env.hand_back(after_answer=True)  # what the pool does once the REPORT is made
            _get_next(worker)
            assert _stays_busy(env, 0.3)  # the client's answer is not out yet: still lent

    with _connect(server) as worker, ThreadPoolExecutor(1) as pool:
        _get_next(worker)
        _parked(env)
        running, _ = _hand_r1(worker, pool, front)
        running.result(5)
        _parked(env)  # given back when the block ended


def test_kill_frees_the_thread_of_a_connection_still_held(served: Served) -> None:
    env, server = served
    before = set(threading.enumerate())
    with ThreadPoolExecutor(1) as pool:
        worker = _connect(server)
        _get_next(worker)
        _parked(env)
        (thread,) = [t for t in set(threading.enumerate()) - before if "process_request" in t.name]
        running, _ = _hand_r1(worker, pool, partial(env.run, hold=True),
                              Invocation("r1", b"{}", 0, "arn", "trace"), 5.0)
        assert running.result(5).kind == "response"
        env.kill()  # never handed back: kill gives it back, or its thread would wait for ever
        worker.close()  # as a killed worker's socket closes
        thread.join(5)
        assert not thread.is_alive() and env.state is State.DEAD


def test_the_next_run_does_not_wait_for_a_slow_answer_on_another_thread(served: Served) -> None:
    env, server = served
    answered, client_done = threading.Event(), threading.Event()

    def slow_front() -> None:
        with answer_first():
            assert env.run(Invocation("r1", b"{}", 0, "arn", "trace"), 5.0, hold=True).kind == "response"
            env.hand_back(after_answer=True)
            answered.set()
            assert client_done.wait(10)  # e.g. a client reading a big answer slowly

    try:
        with _connect(server) as worker, ThreadPoolExecutor(2) as pool:
            _get_next(worker)
            _parked(env)
            first, _ = _hand_r1(worker, pool, slow_front)
            assert answered.wait(5)
            _get_next(worker)
            second = pool.submit(env.run, Invocation("r2", b"{}", 0, "arn", "trace"), 5.0)
            # r2 reaches the worker while the first request's block is still open
            assert _read_response(worker)[1]["lambda-runtime-aws-request-id"] == "r2"
            _post(worker, "r2", b'"two"')
            assert _read_response(worker)[0] == 202 and second.result(5) == Outcome("response", b'"two"')
            client_done.set()
            first.result(5)
    finally:
        client_done.set()
