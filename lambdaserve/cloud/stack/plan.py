"""Deploy's plan: what must happen, read from the cloud with describe, get and head calls only.

Planning never changes anything, so ``lambdaserve deploy --dry-run`` is the plan printed.
Each step is a small typed record that says what it will do (``cloud/stack/steps.py``);
``cloud/stack/execute.py`` performs them in order (the planner/executor split Chalice's deployer uses).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lambdaserve.cloud.aws import AwsClients
from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.stack.changeset import Change, TemplateUpload, describe_changes
from lambdaserve.cloud.stack.events import describe_stack
from lambdaserve.cloud.stack.preview import all_added, deployed_template, template_changes
from lambdaserve.cloud.stack.rollback import alias_version
from lambdaserve.cloud.stack.steps import (
    RECOVERY,
    ChangeType,
    ContinueRollback,
    CreateBucket,
    CreateChangeSet,
    CreateRepository,
    DeleteFailedStack,
    ExecuteChangeSet,
    PruneVersions,
    PushImage,
    SmokeTest,
    Step,
    UploadArtifact,
    UploadModel,
    UploadTemplate,
    WaitForStack,
)
from lambdaserve.cloud.store.artifact_ref import ZipArtifact
from lambdaserve.cloud.store.buckets import (
    bucket_exists,
    find_repository,
    local_zip_artifact,
    object_exists,
)
from lambdaserve.cloud.store.model_object import model_object_state
from lambdaserve.errors import CloudError
from lambdaserve.runtime.golden import GoldenSet
from lambdaserve.runtime.s3_model import parse_s3_uri

# Statuses a change set cannot update; the first is the classic failed first create.
RECREATE = frozenset({"ROLLBACK_COMPLETE"})
CONTINUE_ROLLBACK = frozenset({"UPDATE_ROLLBACK_FAILED"})
STUCK = frozenset({"ROLLBACK_FAILED", "DELETE_FAILED", "CREATE_FAILED", "IMPORT_ROLLBACK_FAILED"})


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
    golden: GoldenSet | None = None  # what the smoke test POSTs and compares (build.json's)
    traffic_shift: str = ""  # deploy.traffic_shift: CodeDeploy shifts the alias; the update is watched


StackAction = Literal["create", "update", "recreate", "continue-rollback", "wait", "stuck"]


@dataclass(frozen=True)
class StackPlan:
    action: StackAction
    status: str | None  # None: no stack
    stack_id: str = ""


def stack_plan(found: Mapping[str, Any] | None) -> StackPlan:
    """What must happen to a described stack before a change set can run."""
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


def plan_stack(clients: AwsClients, stack: str) -> StackPlan:
    """``stack_plan`` of the stack as it is now; one describe call."""
    return stack_plan(describe_stack(clients, stack))


def stuck_error(stack: str, status: str | None) -> CloudError:
    return CloudError(f"stack {stack} is {status} and cannot be updated",
                      hint="Delete it (`lambdaserve destroy`, or the console if resources "
                           "are retained), then deploy again.")




@dataclass(frozen=True)
class Plan:
    stack: str
    status: str | None  # None: not deployed
    steps: tuple[Step, ...]
    changes: tuple[Change, ...] | None = None  # the preview; None when not asked for
    notes: tuple[str, ...] = ()

    @property
    def recovery(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if isinstance(step, RECOVERY))

    def lines(self) -> list[str]:
        lines = [f"plan for stack {self.stack} ({self.status or 'not deployed'}):"]
        lines += [f"  {n}. {step.describe()}" for n, step in enumerate(self.steps, 1)]
        lines += [f"  note: {note}" for note in self.notes]
        if self.changes is not None:
            lines.append("changes (the template against the deployed one; the change set also shows "
                         "replacements):")
            lines += [f"  {line}" for line in describe_changes(self.changes)] or ["  none"]
        return lines


def recovery_steps(stack: str, plan: StackPlan) -> list[Step]:
    """The steps that bring a stack to a state a change set can act on (none for create/update)."""
    if plan.action == "wait":
        steps: list[Step] = [WaitForStack(stack, plan.stack_id, str(plan.status))]
        if plan.status == "ROLLBACK_IN_PROGRESS":  # a failed first create ends in ROLLBACK_COMPLETE
            steps.append(DeleteFailedStack(stack, plan.stack_id, "ROLLBACK_COMPLETE"))
        return steps
    if plan.action == "recreate":
        return [DeleteFailedStack(stack, plan.stack_id, str(plan.status))]
    if plan.action == "continue-rollback":
        return [ContinueRollback(stack, plan.stack_id)]
    if plan.action == "stuck":
        raise stuck_error(stack, plan.status)
    return []


def prune_step(template: Mapping[str, Any]) -> PruneVersions | None:
    """Versions to prune after the change set, when the template publishes them behind an alias."""
    resources = template.get("Resources", {})
    function = resources.get(c.FUNCTION, {}).get("Properties", {}).get("FunctionName")
    alias = resources.get(c.FUNCTION_ALIAS, {}).get("Properties", {}).get("Name")
    if c.FUNCTION_VERSION not in resources or not isinstance(function, str) or not isinstance(alias, str):
        return None
    return PruneVersions(function, alias)


def _change_type(plan: StackPlan) -> ChangeType:
    if plan.action in ("create", "recreate"):
        return "CREATE"
    if plan.action == "wait" and str(plan.status).startswith(("DELETE", "ROLLBACK")):
        return "CREATE"  # gone, or ROLLBACK_COMPLETE and then deleted
    return "UPDATE"


def plan_zip_upload(clients: AwsClients, *, bucket: str, app: str,
                    path: Path) -> tuple[ZipArtifact, list[Step]]:
    """The zip's content address (computed here) and what uploading it takes: head calls only."""
    artifact = local_zip_artifact(bucket, app, path)
    steps: list[Step] = []
    if not bucket_exists(clients, bucket):
        steps.append(CreateBucket(bucket))
    if not steps and object_exists(clients, bucket, artifact.key):
        return artifact, steps  # code unchanged: already uploaded
    steps.append(UploadArtifact(artifact, path, path.stat().st_size))
    return artifact, steps


def plan_model_upload(clients: AwsClients, *, uri: str, path: Path, sha256: str) -> list[Step]:
    """Upload a model kept in S3 unless the object already holds it: one head call."""
    bucket, key = parse_s3_uri(uri)
    state = model_object_state(clients, bucket, key, sha256)
    return [] if state == "same" else [UploadModel(bucket, key, path, sha256, replaces=state == "different")]


def plan_image_push(clients: AwsClients, repository: str) -> list[Step]:
    """Create the repository if missing, then build and push: one describe call."""
    uri = find_repository(clients, repository)
    if uri is None:
        return [CreateRepository(repository), PushImage(repository, "")]
    return [PushImage(repository, uri)]


def plan_deploy(clients: AwsClients, request: DeployRequest, *, artifact_steps: Sequence[Step] = (),
                template_upload: TemplateUpload | None = None, preview: bool = False,
                unknown_parameters: Sequence[str] = ()) -> Plan:
    """Every step of a deploy, in order, from describe (and, for ``preview``, get-template) calls.

    ``unknown_parameters``: parameters whose new value is not known yet (an image digest before
    its push); the preview does not count them as changes.
    """
    found = describe_stack(clients, request.stack)
    current = stack_plan(found)
    recovery = recovery_steps(request.stack, current)
    change_type = _change_type(current)
    steps: list[Step] = [*recovery, *artifact_steps]
    if template_upload is not None:
        steps.append(UploadTemplate(template_upload))
    steps += [CreateChangeSet(request.stack, change_type), ExecuteChangeSet(request.stack)]
    prune = prune_step(request.template)
    if prune is not None:
        steps.append(prune)
    outputs = {str(o["OutputKey"]): str(o["OutputValue"]) for o in (found or {}).get("Outputs", [])}
    if request.smoke:
        known = prune is not None and change_type == "UPDATE"
        previous = alias_version(clients, prune.function, prune.alias) if known and prune else ""
        steps.append(SmokeTest(outputs.get("ApiUrl", "") if change_type == "UPDATE" else "",
                               len(request.golden.requests) if request.golden else 0,
                               prune.function if prune else "", prune.alias if prune else "", previous))
    notes: list[str] = []
    if any(isinstance(step, WaitForStack) for step in recovery):
        notes.append(f"stack {request.stack} is {current.status}: the state it settles in decides the "
                     "rest; deploy reads it again after the wait")
    if request.traffic_shift and change_type == "UPDATE":
        notes.append(f"traffic shift {request.traffic_shift}: CodeDeploy moves the alias during the update; "
                     "deploy shows its progress and alarms, and says whether it was promoted or rolled back")
    if unknown_parameters:
        notes.append(f"{', '.join(unknown_parameters)} is known only after the push; changes to the code "
                     "are not in the preview")
    changes: tuple[Change, ...] | None = None
    if preview:
        if change_type == "CREATE":
            changes = all_added(request.template)
        else:
            old_template, old_parameters = deployed_template(clients, current.stack_id, found or {})
            changes = template_changes(old_template, old_parameters, request.template, request.parameters,
                                       unknown=unknown_parameters)
    return Plan(request.stack, current.status, tuple(steps), changes, tuple(notes))
