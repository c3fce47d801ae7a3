"""Stack status and events: wait for a stack to settle while streaming what it does.

CloudFormation lists events newest first. We take the events already there as a baseline
and report only newer ones, so local clock skew never hides or repeats an event.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from lambdaserve.cloud.aws import AwsClients, Sleep, error_code, error_message
from lambdaserve.cloud.ui import CloudUI
from lambdaserve.errors import CloudError

# A failure reason that only says "another resource failed" is noise next to the real cause.
_CASCADE = ("Resource creation cancelled", "Resource update cancelled", "The following resource(s) failed")


@dataclass(frozen=True)
class StackEvent:
    event_id: str
    timestamp: datetime | None
    logical_id: str
    resource_type: str
    status: str
    reason: str

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> StackEvent:
        return cls(event_id=str(raw.get("EventId", "")), timestamp=raw.get("Timestamp"),
                   logical_id=str(raw.get("LogicalResourceId", "")),
                   resource_type=str(raw.get("ResourceType", "")),
                   status=str(raw.get("ResourceStatus", "")),
                   reason=str(raw.get("ResourceStatusReason", "")))


def is_settled(status: str) -> bool:
    return not status.endswith("_IN_PROGRESS")


def describe_stack(clients: AwsClients, stack: str) -> dict[str, Any] | None:
    """The stack's description, or None when it does not exist (or is deleted)."""
    try:
        stacks = clients.call("cloudformation", "describe_stacks", StackName=stack)["Stacks"]
    except ClientError as exc:
        if error_code(exc) == "ValidationError" and "does not exist" in error_message(exc):
            return None
        raise
    return dict(stacks[0]) if stacks else None


def stack_status(clients: AwsClients, stack: str) -> str | None:
    found = describe_stack(clients, stack)
    return None if found is None else str(found["StackStatus"])


class EventCursor:
    """Yields each stack event once, oldest first, skipping those before the baseline."""

    def __init__(self, clients: AwsClients, stack: str) -> None:
        self.clients = clients
        self.stack = stack
        self.seen: set[str] = set()
        self.seen.update(e.event_id for e in self._page())

    def _page(self) -> list[StackEvent]:
        try:
            raw = self.clients.call("cloudformation", "describe_stack_events", StackName=self.stack)
        except ClientError as exc:
            if error_code(exc) == "ValidationError":  # not created yet, or gone
                return []
            raise
        return [StackEvent.from_api(e) for e in raw.get("StackEvents", [])]

    def new_events(self) -> list[StackEvent]:
        fresh = [e for e in self._page() if e.event_id not in self.seen]
        self.seen.update(e.event_id for e in fresh)
        return list(reversed(fresh))


@dataclass(frozen=True)
class WaitResult:
    status: str  # DELETE_COMPLETE when the stack is gone
    failures: tuple[StackEvent, ...]

    def reasons(self) -> str:
        real = [f for f in self.failures if not f.reason.startswith(_CASCADE)] or list(self.failures)
        return "; ".join(f"{f.logical_id} ({f.resource_type}): {f.reason}" for f in real)


def wait_for_stack(clients: AwsClients, stack: str, ui: CloudUI, *, cursor: EventCursor | None = None,
                   sleep: Sleep = time.sleep, poll: float = 5.0, timeout: float = 3600.0,
                   on_poll: Callable[[], None] | None = None) -> WaitResult:
    """Poll until the stack is no longer *_IN_PROGRESS, streaming events and collecting failures;
    ``on_poll`` watches what the events do not show (a CodeDeploy traffic shift) while it waits."""
    cursor = cursor or EventCursor(clients, stack)
    failures: list[StackEvent] = []
    waited = 0.0
    while True:
        status = stack_status(clients, stack) or "DELETE_COMPLETE"
        for event in cursor.new_events():
            ui.event(event)
            if event.failed and event.reason:
                failures.append(event)
        if is_settled(status):
            return WaitResult(status, tuple(failures))
        if on_poll is not None:
            on_poll()
        if waited >= timeout:
            raise CloudError(f"stack {stack} is still {status} after {int(waited)} s",
                             hint="Watch it in the CloudFormation console; run the command again "
                                  "when it settles.")
        sleep(poll)
        waited += poll
