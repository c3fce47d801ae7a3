"""An alias with weighted routing, locally: two versions behind one invoker, picked per request.

Lambda's alias sends each invocation to its own version or, with the routing config's
AdditionalVersionWeights, to another version with that probability. ``WeightedAlias`` does the
same in front of one local ``Function`` per version, so a traffic shift can be watched locally,
and it counts what each version did (requests, function errors, 5xx answers, durations): the
local stand-in for the CloudWatch metrics a CodeDeploy alarm reads for the new version.
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from lambdaserve.config import DeployConfig
from lambdaserve.emulator.fronts.invoker import InvokeOutcome, Invoker


@dataclass
class VersionStats:
    requests: int = 0
    errors: int = 0  # function errors (Unhandled: a crash, a timeout, an init failure)
    status_5xx: int = 0  # answers API Gateway gives as 5xx: function errors and the handler's own 5xx
    durations_ms: list[float] = field(default_factory=list)

    def p99_ms(self) -> float:
        """The nearest-rank 99th percentile of the durations (0 without any)."""
        if not self.durations_ms:
            return 0.0
        ordered = sorted(self.durations_ms)
        return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def alarms_fired(stats: VersionStats, deploy: DeployConfig) -> list[str]:
    """The alarms a step of the new version's own traffic sets off, with the numbers (config thresholds)."""
    fired = []
    if stats.errors >= deploy.alarm_errors:
        fired.append(f"errors: {stats.errors} function errors (alarm at {deploy.alarm_errors})")
    if stats.status_5xx >= deploy.alarm_5xx:
        fired.append(f"5xx: {stats.status_5xx} answers 5xx (alarm at {deploy.alarm_5xx})")
    if stats.durations_ms and stats.p99_ms() >= deploy.alarm_p99_ms:
        fired.append(f"p99: {stats.p99_ms():.0f} ms (alarm at {deploy.alarm_p99_ms} ms)")
    return fired


def _status(outcome: InvokeOutcome) -> int:
    """The status API Gateway answers for this outcome: 502 for a function error, else the proxy's."""
    if outcome.function_error:
        return 502
    try:
        answer = json.loads(outcome.payload)
        return int(answer.get("statusCode", 200)) if isinstance(answer, dict) else 200
    except (ValueError, TypeError):
        return 502  # not a proxy response: API Gateway's "Malformed Lambda proxy response"


class WeightedAlias:
    """An Invoker that routes each request as an alias with AdditionalVersionWeights does."""

    def __init__(self, versions: Mapping[str, Invoker], live: str, rng: random.Random | None = None) -> None:
        self._versions = dict(versions)
        self._live, self._weights = live, {}  # type: tuple[str, dict[str, float]]
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self.stats: dict[str, VersionStats] = {v: VersionStats() for v in self._versions}

    def route(self, live: str, weights: Mapping[str, float] | None = None) -> None:
        """As UpdateAlias: ``live`` takes what ``weights`` (version -> share) leave."""
        with self._lock:
            self._live, self._weights = live, {v: w for v, w in (weights or {}).items() if w > 0}

    def take_stats(self) -> dict[str, VersionStats]:
        """The counts since the last call, per version; the counters start again at zero."""
        with self._lock:
            taken, self.stats = self.stats, {v: VersionStats() for v in self._versions}
        return taken

    def _pick(self) -> str:
        with self._lock:
            draw, chosen = self._rng.random(), self._live
            for version, weight in self._weights.items():
                if draw < weight:
                    return version
                draw -= weight
            return chosen

    def invoke(self, payload: bytes, *, request_id: str | None = None) -> InvokeOutcome:
        version = self._pick()
        outcome = self._versions[version].invoke(payload, request_id=request_id)
        status = _status(outcome)
        with self._lock:
            counted = self.stats[version]
            counted.requests += 1
            counted.errors += 1 if outcome.function_error else 0
            counted.status_5xx += 1 if status >= 500 else 0
            counted.durations_ms.append(outcome.duration_ms)
        return outcome
