"""`lambdaserve logs [--tail] [--since 10m]`: read the function's CloudWatch log group."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from botocore.exceptions import ClientError

from lambdaserve.cloud.aws import AwsClients, Sleep, error_code
from lambdaserve.errors import CloudError

_SINCE_RE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str) -> float:
    """'10m' -> 600.0 seconds; s, m, h, d and w are allowed."""
    match = _SINCE_RE.match(text.strip().lower())
    if not match:
        raise CloudError(f"--since {text!r} is not a duration",
                         hint="Use a number and a unit: 30s, 10m, 2h, 1d or 1w.")
    return float(int(match.group(1)) * _UNIT[match.group(2)])


@dataclass(frozen=True)
class LogEvent:
    timestamp_ms: int
    stream: str
    message: str
    event_id: str


def read_logs(clients: AwsClients, group: str, *, since_seconds: float, tail: bool = False,
              clock: Callable[[], float] = time.time, sleep: Sleep = time.sleep, poll: float = 2.0,
              keep_going: Callable[[], bool] = lambda: True) -> Iterator[LogEvent]:
    """Events from ``since_seconds`` ago; with ``tail`` keep polling while ``keep_going()``."""
    start_ms = int((clock() - since_seconds) * 1000)
    seen: set[str] = set()
    while True:
        for event in _events_since(clients, group, start_ms):
            if event.event_id in seen:
                continue
            seen.add(event.event_id)
            start_ms = max(start_ms, event.timestamp_ms)  # never re-read older pages
            yield event
        if not tail or not keep_going():
            return
        sleep(poll)


def _events_since(clients: AwsClients, group: str, start_ms: int) -> list[LogEvent]:
    params: dict[str, object] = {"logGroupName": group, "startTime": start_ms, "interleaved": True}
    try:
        raw = clients.paginate("logs", "filter_log_events", "events", **params)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise CloudError(f"log group {group} does not exist",
                             hint="Deploy first (`lambdaserve deploy`), or invoke the function once."
                             ) from exc
        raise
    return sorted((LogEvent(int(e["timestamp"]), str(e.get("logStreamName", "")),
                            str(e.get("message", "")).rstrip("\n"), str(e.get("eventId", "")))
                   for e in raw), key=lambda e: e.timestamp_ms)
