"""Perform a deploy plan's steps in order: recover the stack, upload, change set, smoke test.

The executor asks before anything destructive (deleting a failed stack, executing a
change set) unless the request says --yes. After recovery it reads the stack again, since
a wait or a rollback can end in another state that needs its own recovery.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from lambdaserve.cloud.aws import AwsClients, Sleep
from lambdaserve.cloud.ops.preflight import recent_log_text
from lambdaserve.cloud.stack import changeset as cs
from lambdaserve.cloud.stack import plan as p
from lambdaserve.cloud.stack import steps as st
from lambdaserve.cloud.stack.events import EventCursor, wait_for_stack
from lambdaserve.cloud.stack.outputs import stack_outputs
from lambdaserve.cloud.stack.role_race import PROPAGATION_WAIT_S, is_role_race
from lambdaserve.cloud.stack.rollback import Restored, restore_previous
from lambdaserve.cloud.stack.rollout import RolloutWatcher, Verdict
from lambdaserve.cloud.stack.smoke import HttpGet, HttpPost, SmokeResult, smoke_test
from lambdaserve.cloud.stack.versions import prune_versions
from lambdaserve.cloud.store.artifact_ref import ImageArtifact
from lambdaserve.cloud.store.buckets import create_bucket, create_repository, put_zip
from lambdaserve.cloud.store.model_object import put_model
from lambdaserve.cloud.ui import CloudUI
from lambdaserve.errors import CloudError
from lambdaserve.runtime.golden import GoldenSet

# Builds and pushes the image to a repository URI; the CLI wires it to the build package.
PushImage = Callable[[str], ImageArtifact]
SETTLE_ROUNDS = 6  # each recovery ends in a settled state; a few rounds always suffice


Outcome = Literal["created", "updated", "up-to-date", "cancelled"]


@dataclass(frozen=True)
class DeployResult:
    outcome: Outcome
    outputs: dict[str, str]
    changes: tuple[cs.Change, ...] = ()
    smoke: SmokeResult | None = None
    rollout: Verdict | None = None  # how a CodeDeploy traffic shift ended (deploy.traffic_shift)


@dataclass
class _Run:
    request: p.DeployRequest | None
    recovered: bool = False
    repository_uri: str = ""
    image: ImageArtifact | None = None
    change_set: cs.ChangeSet | None = None
    change_type: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    result: DeployResult | None = None  # set when the run ends early or completes


class Executor:
    def __init__(self, clients: AwsClients, ui: CloudUI, *, sleep: Sleep = time.sleep,
                 clock: Callable[[], float] = time.time, http_get: HttpGet | None = None,
                 poll: float = 5.0, push_image: PushImage | None = None,
                 http_post: HttpPost | None = None) -> None:
        self.clients, self.ui, self.sleep, self.clock, self.poll = clients, ui, sleep, clock, poll
        self.http_get, self.push_image, self.http_post = http_get, push_image, http_post

    def deploy(self, plan: p.Plan, request: p.DeployRequest) -> DeployResult:
        """Every step of ``plan`` (made from ``request``), in order."""
        run = self._run(plan.steps, _Run(request))
        if run.result is None:
            raise CloudError("the plan has no change set to execute", hint="This is a lambdaserve bug.")
        return run.result

    def push(self, steps: Sequence[st.Step]) -> ImageArtifact:
        """Only the image steps (create the repository, push): the template needs the digest first."""
        run = self._run(steps, _Run(None))
        if run.image is None:
            raise CloudError("the image steps pushed no image", hint="This is a lambdaserve bug.")
        return run.image

    def _run(self, steps: Sequence[st.Step], run: _Run) -> _Run:
        for step in steps:
            self._do(step, run)
            if run.result is not None and run.result.outcome in ("up-to-date", "cancelled"):
                break
        return run

    def _do(self, step: st.Step, run: _Run) -> None:
        if isinstance(step, st.WaitForStack):
            self.ui.info(f"stack {step.stack} is {step.status}; waiting for it to finish")
            self._wait(step.stack_id)
            run.recovered = True
        elif isinstance(step, st.DeleteFailedStack | st.ContinueRollback):
            if run.recovered:  # planned after a wait: the state the wait ends in decides (see _settle)
                return
            if isinstance(step, st.DeleteFailedStack):
                self._delete_failed(step, self._request(run))
            else:
                self._continue_rollback(step)
            run.recovered = True
        elif isinstance(step, st.CreateBucket):
            create_bucket(self.clients, step.name, self.ui.info)
        elif isinstance(step, st.UploadArtifact):
            put_zip(self.clients, step.artifact, Path(step.path), self.ui.info)
        elif isinstance(step, st.UploadModel):
            put_model(self.clients, step.bucket, step.key, Path(step.path), step.sha256, self.ui.info)
        elif isinstance(step, st.CreateRepository):
            run.repository_uri = create_repository(self.clients, step.name, self.ui.info)
        elif isinstance(step, st.PushImage):
            if self.push_image is None:
                raise CloudError("no image pusher was given", hint="This is a lambdaserve bug.")
            run.image = self.push_image(step.uri or run.repository_uri)
        elif isinstance(step, st.UploadTemplate):
            cs.put_template(self.clients, step.upload)
        elif isinstance(step, st.CreateChangeSet):
            self._create_change_set(step, run)
        elif isinstance(step, st.ExecuteChangeSet):
            self._execute(run)
        elif isinstance(step, st.PruneVersions):
            if run.result is not None and run.result.outcome in ("created", "updated"):
                deleted = prune_versions(self.clients, step.function, step.alias, step.keep, self.ui.warn)
                if deleted:
                    self.ui.info(f"deleted old versions {', '.join(deleted)} of {step.function}")
        elif isinstance(step, st.SmokeTest):
            self._smoke(step, run)

    @staticmethod
    def _request(run: _Run) -> p.DeployRequest:
        if run.request is None:
            raise CloudError("a stack step needs a deploy request", hint="This is a lambdaserve bug.")
        return run.request

    def _wait(self, stack: str, cursor: EventCursor | None = None,
              watcher: RolloutWatcher | None = None) -> Any:
        return wait_for_stack(self.clients, stack, self.ui, cursor=cursor, sleep=self.sleep, poll=self.poll,
                              on_poll=watcher.poll if watcher is not None else None)

    def _settle(self, request: p.DeployRequest) -> str:
        """Read the stack again after recovery; recover further until a change set can act on it."""
        for _ in range(SETTLE_ROUNDS):
            current = p.plan_stack(self.clients, request.stack)
            if current.action in ("create", "update"):
                return "CREATE" if current.action == "create" else "UPDATE"
            run = _Run(request)
            for step in p.recovery_steps(request.stack, current):
                self._do(step, run)
        raise CloudError(f"stack {request.stack} did not settle",
                         hint="Check it in the CloudFormation console.")

    def _delete_failed(self, step: st.DeleteFailedStack, request: p.DeployRequest) -> None:
        self.ui.warn(f"stack {step.stack} is {step.status}: its first create failed and it "
                     "cannot be updated; it must be deleted and created again")
        question = f"Delete the failed stack {step.stack} and recreate it?"
        if not (request.assume_yes or self.ui.confirm(question)):
            raise CloudError(f"stack {step.stack} is {step.status} and was left as is",
                             hint="Run `lambdaserve deploy --yes` to delete and recreate it.")
        cursor = EventCursor(self.clients, step.stack_id)
        self.clients.call("cloudformation", "delete_stack", StackName=step.stack_id)
        result = self._wait(step.stack_id, cursor)
        if result.status != "DELETE_COMPLETE":
            raise CloudError(f"deleting {step.stack} ended in {result.status}: {result.reasons()}",
                             hint="Delete it in the CloudFormation console, then deploy again.")

    def _continue_rollback(self, step: st.ContinueRollback) -> None:
        self.ui.warn(f"stack {step.stack} is UPDATE_ROLLBACK_FAILED; continuing the rollback")
        cursor = EventCursor(self.clients, step.stack_id)
        self.clients.call("cloudformation", "continue_update_rollback", StackName=step.stack_id)
        result = self._wait(step.stack_id, cursor)
        if result.status != "UPDATE_ROLLBACK_COMPLETE":
            raise CloudError(f"the rollback of {step.stack} ended in {result.status}: "
                             f"{result.reasons() or 'no reason given'}",
                             hint="Fix the resource named above by hand (or skip it with "
                                  "`aws cloudformation continue-update-rollback --resources-to-skip`"
                                  "), then deploy again.")

    def _create_change_set(self, step: st.CreateChangeSet, run: _Run) -> None:
        request = self._request(run)
        run.change_type = self._settle(request) if run.recovered else step.change_type
        change_set = cs.create_change_set(
            self.clients, stack=request.stack, name=f"lambdaserve-{int(self.clock())}",
            template=request.template, parameters=request.parameters, change_set_type=run.change_type,
            tags=request.tags, template_url=request.template_url, sleep=self.sleep, poll=min(self.poll, 2.0))
        run.change_set = change_set
        if change_set.empty:
            self.ui.info(f"stack {request.stack} is up to date: nothing to change")
            cs.delete_change_set(self.clients, change_set.arn)
            run.result = DeployResult("up-to-date", stack_outputs(self.clients, request.stack,
                                                                  stage=request.stage))

    def _execute(self, run: _Run, *, retry: bool = False) -> None:
        request, change_set = self._request(run), run.change_set
        if change_set is None:
            raise CloudError("no change set to execute", hint="This is a lambdaserve bug.")
        if not retry:  # a retry runs the changes already shown and confirmed
            self.ui.changes(change_set.changes)
        if not (retry or request.assume_yes or self.ui.confirm("Deploy these changes?")):
            cs.delete_change_set(self.clients, change_set.arn)
            if run.change_type == "CREATE":  # leave no empty REVIEW_IN_PROGRESS stack behind
                self.clients.call("cloudformation", "delete_stack",
                                  StackName=change_set.stack_id or request.stack)
            self.ui.info("cancelled; nothing was changed")
            run.result = DeployResult("cancelled", {}, change_set.changes)
            return
        stack_id = change_set.stack_id or request.stack
        cursor = EventCursor(self.clients, stack_id)
        # a create points the alias at its first version directly: only an update shifts traffic
        watcher = (RolloutWatcher(self.clients, stack_id, self.ui, started=self.clock())
                   if request.traffic_shift and run.change_type == "UPDATE" else None)
        cs.execute_change_set(self.clients, change_set.arn)
        result = self._wait(stack_id, cursor, watcher)
        if not retry and is_role_race(result):
            self._retry_after_role_race(run, stack_id, result.status)
            return
        verdict = self._verdict(watcher, result.status)
        _raise_if_failed(request.stack, run.change_type, result, verdict)
        run.outputs = stack_outputs(self.clients, stack_id, stage=request.stage)
        outcome: Outcome = "created" if run.change_type == "CREATE" else "updated"
        run.result = DeployResult(outcome, run.outputs, change_set.changes, rollout=verdict)

    def _verdict(self, watcher: RolloutWatcher | None, status: str) -> Verdict | None:
        """How the shift ended, said at once, with the function's log lines when it was rolled back."""
        if watcher is None:
            return None
        verdict = watcher.verdict()
        if verdict.outcome == "rolled-back":
            group = watcher.log_group()
            log = function_log_cause(self.clients, group, since_ms=int(watcher.started * 1000) - 60_000)
            verdict = replace(verdict, log=log)
            self.ui.warn(verdict.words())
        elif status == "UPDATE_COMPLETE":
            self.ui.info(verdict.words())
        return verdict

    def _retry_after_role_race(self, run: _Run, stack_id: str, status: str) -> None:
        """Wait for IAM, then the same change set once more (role_race.py says why)."""
        request = self._request(run)
        self.ui.warn(f"API Gateway refused the new logging role before IAM had propagated it; waiting "
                     f"{PROPAGATION_WAIT_S:.0f} s, then deploying the same changes once more")
        self.sleep(PROPAGATION_WAIT_S)
        if status == "ROLLBACK_COMPLETE":  # the first create of this very run: delete it, create again
            cursor = EventCursor(self.clients, stack_id)
            self.clients.call("cloudformation", "delete_stack", StackName=stack_id)
            deleted = self._wait(stack_id, cursor)
            if deleted.status != "DELETE_COMPLETE":
                raise CloudError(f"deleting {request.stack} ended in {deleted.status}: {deleted.reasons()}",
                                 hint="Delete it in the CloudFormation console, then deploy again.")
        run.recovered = True  # the change set's type is read from the stack as it is now
        self._create_change_set(st.CreateChangeSet(request.stack, "CREATE"), run)
        if run.result is None:
            self._execute(run, retry=True)

    def _smoke(self, step: st.SmokeTest, run: _Run) -> None:
        request, done = self._request(run), run.result
        if done is None or not run.outputs.get("ApiUrl"):
            return
        started_ms = int(self.clock() * 1000)
        smoke = smoke_test(run.outputs["ApiUrl"], http_get=self.http_get, sleep=self.sleep, auth=request.auth,
                           golden=request.golden, http_post=self.http_post)
        if not smoke.ok:
            group = run.outputs.get("LogGroupName", "")
            cause = function_log_cause(self.clients, group, since_ms=started_ms - 60_000)
            # the old version keeps serving: the alias goes back before the deploy reports its failure
            restored = (restore_previous(self.clients, step.function, step.alias, step.previous)
                        if step.alias else None)
            raise smoke_failure(smoke, cause, restored, request.golden)
        run.result = DeployResult(done.outcome, done.outputs, done.changes, smoke)


def function_log_cause(clients: AwsClients, group: str, *, since_ms: int) -> str:
    """The function's last error lines since ``since_ms`` ("" when there are none or no access)."""
    if not group:
        return ""
    try:
        text = recent_log_text(clients, [group], since_ms=since_ms)
    except (ClientError, BotoCoreError):
        return ""  # the smoke failure stands on its own; the log is a bonus
    errors = [line for line in text.splitlines()
              if '"level":"ERROR"' in line or "Error" in line or "Traceback" in line]
    return "\n".join(line[:800] for line in errors[-5:])


def smoke_failure(smoke: SmokeResult, cause: str, restored: Restored | None = None,
                  golden: GoldenSet | None = None) -> CloudError:
    """The deploy's error for a failed smoke test: the failing request and its answer, the function's
    own words where known and, when the deploy moved an alias, which version serves now."""
    what = (f"POSTing the golden requests recorded by `lambdaserve build`: {smoke.detail}" if smoke.failures
            else f"GET {smoke.url} answered {smoke.detail}")
    first = smoke.failures[0].split(": ", 1)[0] if smoke.failures else None
    sent = [r for r in (golden.requests if golden else ()) if first is not None and r.name == first]
    if sent:
        body = sent[0].data().decode("utf-8", "replace")
        what += f"\n  the request: {sent[0].method} {sent[0].path} {body[:300]}"
    more = "".join(f"\n  {failure}" for failure in smoke.failures[1:5])
    now = f"\n{restored.words()}" if restored is not None else ""
    log = f"The function's log says:\n{cause}\n" if cause else ""
    return CloudError(f"deployed, but the smoke test failed: {what}{more}{now}",
                      hint=f"{log}Read the whole log with `lambdaserve logs --since 10m`; run the package "
                           "locally with `lambdaserve serve --built`.")


def _raise_if_failed(stack: str, change_type: str, result: Any, verdict: Verdict | None = None) -> None:
    if result.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"):
        return
    why = result.reasons() or "no reason given"
    if verdict is not None and verdict.outcome == "rolled-back":
        log = f"The function's log says:\n{verdict.log}\n" if verdict.log else ""
        raise CloudError(f"the new version was rolled back: {verdict.reason}",
                         hint=f"{log}The previous version serves all traffic again (CloudFormation "
                              "rolled the stack back too). Fix the model and deploy again; "
                              "`lambdaserve logs --since 1h` has the whole log.")
    if change_type == "UPDATE":
        hint = ("CloudFormation rolled back: the previous version is still serving. "
                "Fix the cause and deploy again.")
        if result.status == "UPDATE_ROLLBACK_FAILED":
            hint = "The rollback failed too; run `lambdaserve deploy` again to continue it."
    else:
        hint = ("Fix the cause and run `lambdaserve deploy` again; it deletes the failed "
                "stack first (ROLLBACK_COMPLETE stacks cannot be updated).")
    if is_role_race(result):
        # API Gateway read the new logging role before IAM had propagated it (aws-cdk #2194).
        hint = (f"IAM had not yet propagated the new API Gateway logging role, even after deploy waited "
                f"{PROPAGATION_WAIT_S:.0f} s and tried once more; nothing needs fixing: run `lambdaserve "
                "deploy` again in a minute.")
    if change_type == "UPDATE":
        raise CloudError(f"the update of {stack} failed ({result.status}): {why}", hint=hint)
    raise CloudError(f"creating {stack} failed ({result.status}): {why}", hint=hint)
