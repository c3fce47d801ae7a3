"""`lambdaserve status`: the stack's state, the function's configuration and the URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from lambdaserve.cloud.aws import AwsClients
from lambdaserve.cloud.stack.events import StackEvent, describe_stack
from lambdaserve.cloud.stack.outputs import stack_outputs
from lambdaserve.cloud.stack.rollback import Versions, list_versions
from lambdaserve.errors import CloudError


@dataclass(frozen=True)
class AppStatus:
    stack: str
    status: str | None  # None: not deployed
    reason: str = ""
    updated: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    function: dict[str, Any] = field(default_factory=dict)  # the parts of the config users ask about
    failures: tuple[StackEvent, ...] = ()  # the latest failed resources, when the stack is unhealthy
    versions: Versions | None = None  # the published versions behind the alias, and which serve

    @property
    def deployed(self) -> bool:
        return self.status is not None


FUNCTION_FIELDS = ("Runtime", "PackageType", "Architectures", "MemorySize", "Timeout", "CodeSize",
                   "LastModified", "State", "LastUpdateStatus", "Version")


def app_status(clients: AwsClients, stack: str, *, stage: str = "prod", alias: str = "live") -> AppStatus:
    found = describe_stack(clients, stack)
    if found is None:
        return AppStatus(stack, None)
    status = str(found["StackStatus"])
    when = found.get("LastUpdatedTime") or found.get("CreationTime")
    updated = when.isoformat() if isinstance(when, datetime) else str(when or "")
    outputs: dict[str, str] = {}
    function: dict[str, Any] = {}
    if not status.startswith(("DELETE", "REVIEW")) and status != "ROLLBACK_COMPLETE":  # no resources left
        outputs = stack_outputs(clients, stack, stage=stage, description=found)
    if outputs.get("FunctionName"):
        try:
            config = clients.call("lambda", "get_function_configuration",
                                  FunctionName=outputs["FunctionName"])
            function = {k: config[k] for k in FUNCTION_FIELDS if k in config}
            function["EphemeralStorage"] = config.get("EphemeralStorage", {}).get("Size")
        except ClientError:
            function = {}  # the function may be mid-replacement; the stack status says so
    versions = None
    if function:
        try:
            versions = list_versions(clients, outputs["FunctionName"], alias)
        except (ClientError, CloudError):
            versions = None  # no alias (a stack deployed before every front used one)
    failures: tuple[StackEvent, ...] = ()
    if status.endswith(("_FAILED", "ROLLBACK_COMPLETE")):
        events = clients.call("cloudformation", "describe_stack_events", StackName=stack)["StackEvents"]
        failures = tuple(e for e in map(StackEvent.from_api, events) if e.failed and e.reason)[:5]
    return AppStatus(stack, status, str(found.get("StackStatusReason", "")),
                     updated, outputs, function, failures, versions)
