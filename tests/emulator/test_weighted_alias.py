"""The local alias with weighted routing: each request to one version by weight, counted per version,
and the alarm thresholds held against the new version's own counts."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import pytest

from lambdaserve.cloud.stack.rollout import shift_schedule
from lambdaserve.config import DeployConfig
from lambdaserve.emulator.fronts.weighted import VersionStats, WeightedAlias, alarms_fired
from lambdaserve.errors import CloudError


@dataclass(frozen=True)
class Outcome:
    request_id: str
    payload: bytes
    function_error: str | None
    log_tail: str
    duration_ms: float
    timed_out: bool


class Version:
    """A local function that answers one way, and counts its calls."""

    def __init__(self, status: int = 200, crash: bool = False, duration_ms: float = 5.0) -> None:
        self.status, self.crash, self.duration_ms, self.calls = status, crash, duration_ms, 0

    def invoke(self, payload: bytes, *, request_id: str | None = None) -> Outcome:
        self.calls += 1
        if self.crash:  # for parity: Lambda's error JSON for an unhandled error, X-Amz-Function-Error set
            body = json.dumps({"errorMessage": "boom", "errorType": "ValueError", "stackTrace": []})
            return Outcome("r", body.encode(), "Unhandled", "", self.duration_ms, False)
        # for parity: a Lambda proxy integration answer
        body = json.dumps({"statusCode": self.status, "headers": {}, "body": "{}"})
        return Outcome("r", body.encode(), None, "", self.duration_ms, False)


def test_requests_follow_the_alias_weights_and_are_counted_per_version():
    old, new = Version(), Version(status=500)
    alias = WeightedAlias({"1": old, "2": new}, "1", random.Random(7))
    alias.route("1", {"2": 0.25})
    for _ in range(2000):
        alias.invoke(b"{}")
    stats = alias.take_stats()
    assert stats["1"].requests + stats["2"].requests == 2000
    assert 400 < stats["2"].requests < 600  # 25 % of 2,000 is 500
    assert stats["2"].status_5xx == stats["2"].requests and stats["1"].status_5xx == 0
    assert alias.take_stats()["2"].requests == 0  # the counters start again


def test_routing_all_to_one_version_sends_nothing_to_the_other():
    old, new = Version(), Version()
    alias = WeightedAlias({"1": old, "2": new}, "1", random.Random(1))
    alias.route("2")
    for _ in range(50):
        alias.invoke(b"{}")
    assert (old.calls, new.calls) == (0, 50)


def test_a_function_error_is_an_error_and_a_5xx():
    # for parity: API Gateway answers 502 when the function fails (X-Amz-Function-Error)
    alias = WeightedAlias({"1": Version(crash=True)}, "1", random.Random(0))
    alias.invoke(b"{}")
    stats = alias.take_stats()["1"]
    assert (stats.requests, stats.errors, stats.status_5xx) == (1, 1, 1)


def test_alarms_fire_on_the_configured_thresholds():
    deploy = DeployConfig(alarm_errors=2, alarm_5xx=3, alarm_p99_ms=100)
    calm = VersionStats(requests=10, errors=1, status_5xx=2, durations_ms=[5.0] * 10)
    assert alarms_fired(calm, deploy) == []
    slow = VersionStats(requests=100, durations_ms=[5.0] * 98 + [150.0, 150.0])
    assert alarms_fired(slow, deploy) == ["p99: 150 ms (alarm at 100 ms)"]
    bad = VersionStats(requests=4, errors=2, status_5xx=3, durations_ms=[1.0] * 4)
    assert alarms_fired(bad, deploy) == ["errors: 2 function errors (alarm at 2)",
                                         "5xx: 3 answers 5xx (alarm at 3)"]
    assert alarms_fired(VersionStats(), deploy) == []  # no traffic, no data: no alarm


@pytest.mark.parametrize(("name", "steps"), [
    ("AllAtOnce", ((1.0, 0.0),)),
    ("Canary10Percent5Minutes", ((0.1, 5.0), (1.0, 0.0))),
    ("Canary10Percent30Minutes", ((0.1, 30.0), (1.0, 0.0))),
    ("Linear10PercentEvery1Minute", tuple((n / 10, 1.0) for n in range(1, 10)) + ((1.0, 0.0),)),
    ("Linear10PercentEvery10Minutes", tuple((n / 10, 10.0) for n in range(1, 10)) + ((1.0, 0.0),)),
])
def test_codedeploy_shift_names_become_steps(name, steps):
    got = shift_schedule(name)
    assert len(got) == len(steps)
    for (share, minutes), (want_share, want_minutes) in zip(got, steps, strict=True):
        assert share == pytest.approx(want_share) and minutes == want_minutes


def test_every_configurable_shift_has_a_schedule_and_an_unknown_one_is_refused():
    from lambdaserve.config.schema import TRAFFIC_SHIFTS

    for name in TRAFFIC_SHIFTS:
        if name:
            assert shift_schedule(name)[-1] == (1.0, 0.0)
    with pytest.raises(CloudError):
        shift_schedule("Canary50PercentSoon")
