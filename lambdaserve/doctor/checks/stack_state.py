"""Check 4: a stack in a state that blocks the next deploy."""

from __future__ import annotations

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, error, ok, skipped, warning


def run(ctx: DoctorContext) -> list[Finding]:
    if ctx.probes.stack_status is None or ctx.config is None:
        return [skipped("stack state not read (offline or no project)")]
    stack = ctx.config.stack_name
    status = ctx.once("stack_status", ctx.probes.stack_status)
    if status is None:
        return [ok(f"{stack} is not deployed yet")]
    if status == "ROLLBACK_COMPLETE":
        return [warning(f"{stack} is in ROLLBACK_COMPLETE state: its first create failed and it can not be "
                        "updated, only deleted",
                        "`lambdaserve deploy` deletes and recreates it (it asks first); `lambdaserve status` "
                        "shows why the create failed.")]
    if status == "UPDATE_ROLLBACK_FAILED":
        return [error(f"{stack} is in UPDATE_ROLLBACK_FAILED: CloudFormation could not roll back",
                      f"Fix the resource named in `lambdaserve status`, then run `aws cloudformation "
                      f"continue-update-rollback --stack-name {stack}`.")]
    if status.endswith("_IN_PROGRESS"):
        return [error(f"{stack} is {status}: another operation is running ('An update is in progress')",
                      "Wait for it to finish (`lambdaserve status`), then deploy.")]
    if status.endswith("_FAILED"):
        return [error(f"{stack} is in {status}",
                      "`lambdaserve status` shows the failed resources; `lambdaserve destroy` clears it.")]
    return [ok(f"{stack} is {status}")]


CHECK = Check("stack-state", "aws", "stack states that block a deploy", run, local=False)
