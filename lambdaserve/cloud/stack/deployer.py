"""Deploy a rendered template: plan (read-only calls), then execute the plan.

The stack is the only state. ``plan.plan_deploy`` reads it and lists the steps: recovery
from the states that block a deploy (ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED, anything
in progress), uploads, then a change set to create, preview, confirm and execute, and a
smoke test of GET <ApiUrl>/health and the golden requests. ``execute.Executor`` performs
them. ``Deployer`` is both in one call, for callers that do not print the plan first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from lambdaserve.cloud.aws import AwsClients, Sleep
from lambdaserve.cloud.stack.changeset import TemplateUpload
from lambdaserve.cloud.stack.execute import DeployResult, Executor, PushImage
from lambdaserve.cloud.stack.plan import (
    CONTINUE_ROLLBACK,
    RECREATE,
    STUCK,
    DeployRequest,
    Plan,
    StackPlan,
    plan_deploy,
    plan_stack,
)
from lambdaserve.cloud.stack.smoke import HttpGet, HttpPost
from lambdaserve.cloud.stack.steps import Step
from lambdaserve.cloud.store.artifact_ref import ImageArtifact
from lambdaserve.cloud.ui import CloudUI

__all__ = ["CONTINUE_ROLLBACK", "RECREATE", "STUCK", "DeployRequest", "DeployResult", "Deployer", "Plan",
           "StackPlan", "plan_stack"]


class Deployer:
    def __init__(self, clients: AwsClients, ui: CloudUI, *, sleep: Sleep = time.sleep,
                 clock: Callable[[], float] = time.time, http_get: HttpGet | None = None,
                 poll: float = 5.0, push_image: PushImage | None = None,
                 http_post: HttpPost | None = None) -> None:
        self.clients = clients
        self.executor = Executor(clients, ui, sleep=sleep, clock=clock, http_get=http_get, poll=poll,
                                 push_image=push_image, http_post=http_post)

    def plan(self, request: DeployRequest, *, artifact_steps: Sequence[Step] = (),
             template_upload: TemplateUpload | None = None, preview: bool = False,
             unknown_parameters: Sequence[str] = ()) -> Plan:
        """The deploy's steps; describe/get/head calls only, so nothing changes."""
        return plan_deploy(self.clients, request, artifact_steps=artifact_steps,
                           template_upload=template_upload, preview=preview,
                           unknown_parameters=unknown_parameters)

    def push(self, steps: Sequence[Step]) -> ImageArtifact:
        """Run the image steps (``plan.plan_image_push``): before the stack is planned, since the
        template pins the digest."""
        return self.executor.push(steps)

    def execute(self, plan: Plan, request: DeployRequest) -> DeployResult:
        return self.executor.deploy(plan, request)

    def deploy(self, request: DeployRequest) -> DeployResult:
        return self.execute(self.plan(request), request)
