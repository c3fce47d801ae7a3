"""No /dev/shm in the workers: multiprocessing fails exactly as on Lambda, Process + Pipe work."""

from __future__ import annotations

import pytest

from tests.emulator.lambda_helpers import call, running


@pytest.fixture(scope="module")
def mp_function():
    with running("mp_queue.handler") as function:
        yield function


def test_queue_in_a_handler_gives_errno_38(mp_function):
    body, result = call(mp_function, {"use": "queue"})
    # for parity: Lambda's answer to multiprocessing.Queue() (no /dev/shm for SemLock)
    assert result.function_error == "Unhandled"
    assert body["errorType"] == "OSError"
    assert body["errorMessage"] == "[Errno 38] Function not implemented"


def test_process_and_pipe_still_work(mp_function):
    body, result = call(mp_function, {"use": "pipe"})
    assert result.function_error is None
    assert body == {"message": "from child", "exitcode": 0}
