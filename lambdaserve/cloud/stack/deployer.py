"""Deploy a rendered template: plan (describe calls only), then execute through a change set.

The stack is the only state. ``plan_stack`` reads it and picks one action; ``Deployer``
recovers from the states that block a deploy (ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED,
anything in progress), then creates, previews, confirms and executes a change set,
streams its events, reads the outputs and smoke-tests GET <ApiUrl>/health.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdaserve.cloud.aws import AwsClients, Sleep
from lambdaserve.cloud.stack import changeset as cs
from lambdaserve.cloud.stack.events import EventCursor, describe_stack, wait_for_stack
from lambdaserve.cloud.stack.outputs import stack_outputs
from lambdaserve.cloud.stack.smoke import HttpGet, SmokeResult, smoke_test
from lambdaserve.cloud.ui import CloudUI
from lambdaserve.errors import CloudError

# Statuses a change set cannot update; the first is the classic failed first create.
RECREATE = frozenset({"ROLLBACK_COMPLETE"})
CONTINUE_ROLLBACK = frozenset({"UPDATE_ROLLBACK_FAILED"})
STUCK = frozenset({"ROLLBACK_FAILED", "DELETE_FAILED", "CREATE_FAILED", "IMPORT_ROLLBACK_FAILED"})


@dataclass(frozen=True)
class StackPlan:
    action: str  # create | update | recreate | continue-rollback | wait | stuck
    status: str | None  # None: no stack
    stack_id: str = ""


def plan_stack(clients: AwsClients, stack: str) -> StackPlan:
    """What must happen to ``stack`` before a change set can run; describe calls only."""
    found = describe_stack(clients, stack)
    if found is None:
        return StackPlan("create", None)
    status, stack_id = str(found["StackStatus"]), str(found["StackId"])
    if status == "REVIEW_IN_PROGRESS":  # a CREATE change set never executed: create again
        return StackPlan("create", status, stack_id)
    if status.endswith("_IN_PROGRESS"):
        return StackPlan("wait", status, stack_id)
    if status in RECREATE:
        return StackPlan("recreate", status, stack_id)
    if status in CONTINUE_ROLLBACK:
        return StackPlan("continue-rollback", status, stack_id)
    if status in STUCK:
        return StackPlan("stuck", status, stack_id)
    if status == "DELETE_COMPLETE":
        return StackPlan("create", None)
    return StackPlan("update", status, stack_id)


@dataclass(frozen=True)
class DeployRequest:
    stack: str
    template: Mapping[str, Any]
    parameters: Mapping[str, str]
    tags: Mapping[str, str] = field(default_factory=dict)
    stage: str = "prod"  # for the outputs fallback
    assume_yes: bool = False
    smoke: bool = True
    auth: str = "none"  # api auth: a 401/403 from /health is expected unless "none"
    template_url: str | None = None  # set when the template is too big to send inline


@dataclass(frozen=True)
class DeployResult:
    outcome: str  # created | updated | up-to-date | cancelled
    outputs: dict[str, str]
    changes: tuple[cs.Change, ...] = ()
    smoke: SmokeResult | None = None


class Deployer:
    def __init__(self, clients: AwsClients, ui: CloudUI, *, sleep: Sleep = time.sleep,
                 clock: Callable[[], float] = time.time, http_get: HttpGet | None = None,
                 poll: float = 5.0) -> None:
        self.clients, self.ui, self.sleep, self.clock, self.poll = clients, ui, sleep, clock, poll
        self.http_get = http_get

    def _wait(self, stack: str, cursor: EventCursor | None = None) -> Any:
        return wait_for_stack(self.clients, stack, self.ui, cursor=cursor, sleep=self.sleep, poll=self.poll)

    def prepare(self, request: DeployRequest) -> StackPlan:
        """Bring the stack to a state a change set can act on; returns the create/update plan."""
        for _ in range(6):  # each recovery ends in a settled state; a few rounds always suffice
            plan = plan_stack(self.clients, request.stack)
            if plan.action in ("create", "update"):
                return plan
            if plan.action == "wait":
                self.ui.info(f"stack {request.stack} is {plan.status}; waiting for it to finish")
                self._wait(plan.stack_id)
            elif plan.action == "recreate":
                self._recreate(request, plan)
            elif plan.action == "continue-rollback":
                self.ui.warn(f"stack {request.stack} is UPDATE_ROLLBACK_FAILED; continuing the rollback")
                cursor = EventCursor(self.clients, plan.stack_id)
                self.clients.call("cloudformation", "continue_update_rollback", StackName=plan.stack_id)
                result = self._wait(plan.stack_id, cursor)
                if result.status != "UPDATE_ROLLBACK_COMPLETE":
                    raise CloudError(f"the rollback of {request.stack} ended in {result.status}: "
                                     f"{result.reasons() or 'no reason given'}",
                                     hint="Fix the resource named above by hand (or skip it with "
                                          "`aws cloudformation continue-update-rollback --resources-to-skip`"
                                          "), then deploy again.")
            else:
                raise CloudError(f"stack {request.stack} is {plan.status} and cannot be updated",
                                 hint="Delete it (`lambdaserve destroy`, or the console if resources "
                                      "are retained), then deploy again.")
        raise CloudError(f"stack {request.stack} did not settle",
                         hint="Check it in the CloudFormation console.")

    def _recreate(self, request: DeployRequest, plan: StackPlan) -> None:
        self.ui.warn(f"stack {request.stack} is ROLLBACK_COMPLETE: its first create failed and it "
                     "cannot be updated; it must be deleted and created again")
        question = f"Delete the failed stack {request.stack} and recreate it?"
        if not (request.assume_yes or self.ui.confirm(question)):
            raise CloudError(f"stack {request.stack} is ROLLBACK_COMPLETE and was left as is",
                             hint="Run `lambdaserve deploy --yes` to delete and recreate it.")
        cursor = EventCursor(self.clients, plan.stack_id)
        self.clients.call("cloudformation", "delete_stack", StackName=plan.stack_id)
        result = self._wait(plan.stack_id, cursor)
        if result.status != "DELETE_COMPLETE":
            raise CloudError(f"deleting {request.stack} ended in {result.status}: {result.reasons()}",
                             hint="Delete it in the CloudFormation console, then deploy again.")

    def deploy(self, request: DeployRequest) -> DeployResult:
        plan = self.prepare(request)
        change_type = "CREATE" if plan.action == "create" else "UPDATE"
        change_set = cs.create_change_set(
            self.clients, stack=request.stack, name=f"lambdaserve-{int(self.clock())}",
            template=request.template, parameters=request.parameters, change_set_type=change_type,
            tags=request.tags, template_url=request.template_url, sleep=self.sleep, poll=min(self.poll, 2.0))
        if change_set.empty:
            self.ui.info(f"stack {request.stack} is up to date: nothing to change")
            cs.delete_change_set(self.clients, change_set.arn)
            return DeployResult("up-to-date", stack_outputs(self.clients, request.stack, stage=request.stage))
        self.ui.changes(change_set.changes)
        if not (request.assume_yes or self.ui.confirm("Deploy these changes?")):
            cs.delete_change_set(self.clients, change_set.arn)
            if change_type == "CREATE":  # leave no empty REVIEW_IN_PROGRESS stack behind
                self.clients.call("cloudformation", "delete_stack",
                                  StackName=change_set.stack_id or request.stack)
            self.ui.info("cancelled; nothing was changed")
            return DeployResult("cancelled", {}, change_set.changes)
        stack_id = change_set.stack_id or request.stack
        cursor = EventCursor(self.clients, stack_id)
        cs.execute_change_set(self.clients, change_set.arn)
        result = self._wait(stack_id, cursor)
        self._raise_if_failed(request.stack, change_type, result)
        outputs = stack_outputs(self.clients, stack_id, stage=request.stage)
        smoke = None
        if request.smoke and outputs.get("ApiUrl"):
            smoke = smoke_test(outputs["ApiUrl"], http_get=self.http_get, sleep=self.sleep, auth=request.auth)
            if not smoke.ok:
                raise CloudError(f"deployed, but GET {smoke.url} answered {smoke.detail}",
                                 hint="Read the function's logs with `lambdaserve logs --since 10m`.")
        return DeployResult("created" if change_type == "CREATE" else "updated", outputs,
                            change_set.changes, smoke)

    @staticmethod
    def _raise_if_failed(stack: str, change_type: str, result: Any) -> None:
        if result.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"):
            return
        why = result.reasons() or "no reason given"
        if change_type == "UPDATE":
            hint = ("CloudFormation rolled back: the previous version is still serving. "
                    "Fix the cause and deploy again.")
            if result.status == "UPDATE_ROLLBACK_FAILED":
                hint = "The rollback failed too; run `lambdaserve deploy` again to continue it."
            raise CloudError(f"the update of {stack} failed ({result.status}): {why}", hint=hint)
        raise CloudError(f"creating {stack} failed ({result.status}): {why}",
                         hint="Fix the cause and run `lambdaserve deploy` again; it deletes the failed "
                              "stack first (ROLLBACK_COMPLETE stacks cannot be updated).")
