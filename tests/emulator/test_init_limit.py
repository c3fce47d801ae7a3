"""Environments start no faster than the machine can initialise them (issue 9, item 8).

`serve --concurrency 64` on 2 cores used to fork 64 workers at once: every init shared the
cores, passed Lambda's 10 s limit and the requests ended at API Gateway's 29 s. Inits beyond
max_concurrent_inits (default: one per core) now wait for a slot, each timed from its own spawn.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor

from lambdaserve.emulator import Function
from lambdaserve.emulator.execution.pool import init_limit
from tests.emulator.lambda_helpers import spec


def _intervals(folder) -> list[tuple[float, float]]:
    out = []
    for path in folder.iterdir():
        start, end = path.read_text().split()
        out.append((float(start), float(end)))
    return sorted(out)


def test_inits_past_the_limit_queue_instead_of_sharing_the_cores(tmp_path):
    env = {"SLOW_INIT_S": "0.4", "INIT_LOG_DIR": str(tmp_path)}
    # An init limit far below the burst, and an init timeout the queue would break if the
    # wait for a slot counted against it (3 inits in a row take 1.2 s).
    fn_spec = spec("timed_init.handler", environment=env, concurrency=3, max_concurrent_inits=1,
                   init_timeout_s=1.0)
    with Function(fn_spec) as function, ThreadPoolExecutor(3) as pool:
        body = json.dumps({"busy_s": 1.5}).encode()  # busy: each request needs its own environment
        results = list(pool.map(lambda _: function.invoke(body), range(3)))
    assert [r.function_error for r in results] == [None, None, None]
    assert len({json.loads(r.payload)["pid"] for r in results}) == 3
    assert all(r.cold_start and r.init_duration_ms is not None and r.init_duration_ms < 1000 for r in results)
    assert not any("INIT_REPORT" in r.log_tail for r in results)  # no init timed out
    spans = _intervals(tmp_path)
    assert len(spans) == 3
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end - 0.05, spans  # one init at a time: no overlap


def test_a_queued_request_takes_an_environment_that_turns_warm(tmp_path):
    env = {"SLOW_INIT_S": "0.5", "INIT_LOG_DIR": str(tmp_path)}
    fn_spec = spec("timed_init.handler", environment=env, concurrency=4, max_concurrent_inits=1)
    with Function(fn_spec) as function, ThreadPoolExecutor(4) as pool:
        body = json.dumps({"busy_s": 0}).encode()
        results = list(pool.map(lambda _: function.invoke(body), range(4)))
        assert [r.function_error for r in results] == [None] * 4
        # Quick requests behind a single init reuse the first environment rather than start three more.
        assert len(list(tmp_path.iterdir())) < 4
        assert sum(r.cold_start for r in results) == len(list(tmp_path.iterdir()))


def test_the_default_limit_is_one_init_per_core():
    assert init_limit(spec("echo.handler")) == (os.cpu_count() or 1)
    assert init_limit(spec("echo.handler", max_concurrent_inits=3)) == 3
