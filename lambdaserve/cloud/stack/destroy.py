"""Delete the stack (and, if asked, this app's artifacts), streaming events until it is gone."""

from __future__ import annotations

import time
from dataclasses import dataclass

from lambdaserve.cloud.aws import AwsClients, Sleep
from lambdaserve.cloud.stack.events import EventCursor, describe_stack, wait_for_stack
from lambdaserve.cloud.stack.logging_role import retained_role, settle_retained_role
from lambdaserve.cloud.store.buckets import delete_app_artifacts
from lambdaserve.cloud.ui import CloudUI
from lambdaserve.errors import CloudError


@dataclass(frozen=True)
class DestroyResult:
    stack_deleted: bool  # False when there was no stack
    artifacts_removed: int


def destroy_stack(clients: AwsClients, ui: CloudUI, *, stack: str, app: str, assume_yes: bool = False,
            artifact_bucket: str | None = None, repository: str | None = None,
            sleep: Sleep = time.sleep, poll: float = 5.0) -> DestroyResult:
    """Delete ``stack``; with ``artifact_bucket``/``repository`` also this app's zips and images."""
    found = describe_stack(clients, stack)
    what = f"stack {stack}" + (" and its artifacts" if artifact_bucket or repository else "")
    if not (assume_yes or ui.confirm(f"Delete {what}? The API stops answering.")):
        raise CloudError("destroy cancelled; nothing was deleted", hint="Pass --yes to skip the question.")
    deleted = False
    if found is None:
        ui.info(f"stack {stack} does not exist; nothing to delete")
    else:
        stack_id = str(found["StackId"])  # by id: a deleted stack still answers with its status
        role = retained_role(clients, stack_id)
        cursor = EventCursor(clients, stack_id)
        clients.call("cloudformation", "delete_stack", StackName=stack_id)
        result = wait_for_stack(clients, stack_id, ui, cursor=cursor, sleep=sleep, poll=poll)
        if result.status != "DELETE_COMPLETE":
            raise CloudError(f"deleting {stack} ended in {result.status}: "
                             f"{result.reasons() or 'no reason given'}",
                             hint="Empty or detach the resource named above, then run "
                                  "`lambdaserve destroy` again.")
        deleted = True
        ui.info(f"deleted stack {stack}")
        if role is not None:
            settle_retained_role(clients, ui, role)
    removed = 0
    if artifact_bucket or repository:
        removed = delete_app_artifacts(clients, artifact_bucket, app, repository, info=ui.info)
    return DestroyResult(deleted, removed)
