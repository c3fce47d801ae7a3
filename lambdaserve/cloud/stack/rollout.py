"""Watch a CodeDeploy traffic shift while CloudFormation updates the stack, and say how it ended.

With deploy.traffic_shift set, the stack's alias carries CodeDeploy's UpdatePolicy: the stack
update starts a CodeDeploy deployment (pre-traffic hook, then the shift) and stays in
UPDATE_IN_PROGRESS until it ends; a rolled-back deployment fails the update. CloudFormation's
events say none of that, so the watcher reads CodeDeploy and CloudWatch on each poll of the
stack: the deployment of this update (the newest in the stack's deployment group created since
the update started), its target (the new version's share of the alias's traffic, the lifecycle
hooks), and the group's alarms. It prints a line whenever one of them changes, and ends with a
verdict: promoted, or rolled back and why (the alarm that fired, the hook's failure).

The application and the group are found by resource type in the stack, so the watcher does not
depend on the template's logical IDs; the alarms are the ones the group's alarm configuration names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from lambdaserve.cloud.aws import AwsClients
from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.ui import CloudUI
from lambdaserve.errors import CloudError

# The resource types whose physical IDs are the CodeDeploy application's and deployment group's names.
CODEDEPLOY_TYPES = {"application": "AWS::CodeDeploy::Application",
                    "group": "AWS::CodeDeploy::DeploymentGroup"}
_DONE = frozenset({"Succeeded", "Failed", "Stopped"})

Outcome = Literal["promoted", "rolled-back", "no-deployment"]


@dataclass(frozen=True)
class Progress:
    """One look at the deployment: what the user sees on a line."""

    deployment: str
    status: str  # CodeDeploy's DeploymentStatus
    current: str  # the version the alias served before
    target: str  # the version being shifted to
    weight: float | None  # the target's share of the alias's traffic (None: not reported yet)
    hooks: tuple[tuple[str, str], ...]  # (lifecycle event, status), in CodeDeploy's order
    alarms: tuple[tuple[str, str], ...]  # (alarm name, state)

    def line(self) -> str:
        share = "?" if self.weight is None else f"{self.weight:.0%}"
        versions = f"version {self.target or '?'} takes {share} of the traffic"
        if self.current:
            versions += f" (version {self.current} the rest)"
        hooks = ", ".join(f"{name} {status}" for name, status in self.hooks) or "hooks not started"
        alarms = ", ".join(f"{name} {state}" for name, state in self.alarms) or "no alarms"
        return f"traffic shift {self.deployment} {self.status}: {versions}; {hooks}; alarms: {alarms}"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    deployment: str = ""
    reason: str = ""  # why it was rolled back: the alarm that fired, the hook's failure, CodeDeploy's error
    target: str = ""
    log: str = ""  # the function's error lines from CloudWatch, when rolled back

    def words(self) -> str:
        if self.outcome == "promoted":
            return (f"promoted: version {self.target} serves all traffic "
                    f"(CodeDeploy deployment {self.deployment})")
        if self.outcome == "rolled-back":
            return f"rolled back by CodeDeploy (deployment {self.deployment}): {self.reason}"
        return "no CodeDeploy deployment ran for this update (the alias did not move, or the shift is new)"


@dataclass
class RolloutWatcher:
    """``poll`` on each stack poll; ``verdict`` once the stack has settled."""

    clients: AwsClients
    stack: str
    ui: CloudUI
    started: float  # epoch seconds: deployments created before this belong to earlier updates
    application: str = ""
    group: str = ""
    alarm_names: tuple[str, ...] = ()
    deployment: str = ""
    last: Progress | None = None
    fired: dict[str, str] = field(default_factory=dict)  # alarm name -> its state reason, once in ALARM
    failed_hooks: dict[str, str] = field(default_factory=dict)  # lifecycle event -> diagnostics
    function_log_group: str = ""
    _printed: str = ""

    def poll(self) -> None:
        if not self.group and not self._find_group():
            return
        if not self.deployment:
            self.deployment = self._find_deployment()
            if not self.deployment:
                return
        self.last = self._look()
        line = self.last.line()
        if line != self._printed:
            self.ui.info(line)
            self._printed = line

    def verdict(self) -> Verdict:
        self.poll()  # the last state, after the stack settled
        if not self.deployment or self.last is None:
            return Verdict("no-deployment")
        info = self._deployment_info()
        target = self.last.target
        if info.get("status") == "Succeeded":
            return Verdict("promoted", self.deployment, target=target)
        return Verdict("rolled-back", self.deployment, self._reason(info), target)

    def _reason(self, info: dict[str, Any]) -> str:
        parts = [f"alarm {name} fired ({why})" if why else f"alarm {name} fired"
                 for name, why in self.fired.items()]
        parts += [f"{event} failed: {why}" if why else f"{event} failed"
                  for event, why in self.failed_hooks.items()]
        error = info.get("errorInformation") or {}
        if error.get("message"):
            parts.append(f"CodeDeploy: {error.get('code', '')}: {error['message']}")
        rollback = (info.get("rollbackInfo") or {}).get("rollbackMessage")
        if rollback:
            parts.append(str(rollback))
        return "; ".join(parts) or f"the deployment ended {info.get('status', 'without a status')}"

    def _find_group(self) -> bool:
        found = {kind: "" for kind in CODEDEPLOY_TYPES}
        # DescribeStackResources (our stacks hold far fewer than its 100), which the deployer policy has
        resources = self.clients.call("cloudformation", "describe_stack_resources",
                                      StackName=self.stack).get("StackResources", [])
        for resource in resources:
            if resource.get("LogicalResourceId") == c.FUNCTION_LOG_GROUP:
                self.function_log_group = str(resource.get("PhysicalResourceId", ""))
            for kind, kind_type in CODEDEPLOY_TYPES.items():
                if resource.get("ResourceType") == kind_type and resource.get("PhysicalResourceId"):
                    found[kind] = str(resource["PhysicalResourceId"])
        if not (found["application"] and found["group"]):
            return False  # not created yet (the update that adds the shift creates them)
        self.application, self.group = found["application"], found["group"]
        group = self.clients.call("codedeploy", "get_deployment_group", applicationName=self.application,
                                  deploymentGroupName=self.group)["deploymentGroupInfo"]
        alarms = (group.get("alarmConfiguration") or {})
        if alarms.get("enabled", True):
            self.alarm_names = tuple(str(a["name"]) for a in alarms.get("alarms", []) if a.get("name"))
        return True

    def _find_deployment(self) -> str:
        since = datetime.fromtimestamp(self.started - 60, tz=UTC)  # a minute of clock skew
        ids = self.clients.paginate("codedeploy", "list_deployments", "deployments",
                                    applicationName=self.application, deploymentGroupName=self.group,
                                    createTimeRange={"start": since})
        if not ids:
            return ""
        infos = [self._deployment_info(str(i)) for i in ids]
        newest = max(infos, key=lambda info: info.get("createTime") or datetime.min.replace(tzinfo=UTC))
        return str(newest["deploymentId"])

    def _deployment_info(self, deployment: str = "") -> dict[str, Any]:
        answer = self.clients.call("codedeploy", "get_deployment", deploymentId=deployment or self.deployment)
        return dict(answer["deploymentInfo"])

    def _look(self) -> Progress:
        info = self._deployment_info()
        targets = self.clients.paginate("codedeploy", "list_deployment_targets", "targetIds",
                                        deploymentId=self.deployment)
        lam: dict[str, Any] = {}
        if targets:
            # a Lambda deployment has one target: the alias
            answer = self.clients.call("codedeploy", "batch_get_deployment_targets",
                                       deploymentId=self.deployment, targetIds=targets[:1])
            found = answer.get("deploymentTargets", [])
            lam = dict(found[0].get("lambdaTarget", {})) if found else {}
        function = lam.get("lambdaFunctionInfo", {})
        hooks = []
        for event in lam.get("lifecycleEvents", []):
            name, status = str(event.get("lifecycleEventName", "")), str(event.get("status", ""))
            hooks.append((name, status))
            if status == "Failed":
                self.failed_hooks[name] = str((event.get("diagnostics") or {}).get("message", ""))
        alarms = []
        if self.alarm_names:
            for alarm in self.clients.paginate("cloudwatch", "describe_alarms", "MetricAlarms",
                                               AlarmNames=list(self.alarm_names)):
                name, state = str(alarm["AlarmName"]), str(alarm.get("StateValue", ""))
                alarms.append((name, state))
                if state == "ALARM":
                    self.fired.setdefault(name, str(alarm.get("StateReason", "")))
        weight = function.get("targetVersionWeight")
        return Progress(self.deployment, str(info.get("status", "")), str(function.get("currentVersion", "")),
                        str(function.get("targetVersion", "")), None if weight is None else float(weight),
                        tuple(hooks), tuple(alarms))

    def log_group(self) -> str:
        """The function's log group (the stack's own), for the lines that explain a rollback."""
        return self.function_log_group

    @property
    def finished(self) -> bool:
        return self.last is not None and self.last.status in _DONE


# `deploy --target local` rehearses a shift this many times faster: each minute of it takes a second.
LOCAL_SHIFT_SPEED = 60.0
_CANARY = re.compile(r"^Canary(\d+)Percent(\d+)Minutes$")
_LINEAR = re.compile(r"^Linear(\d+)PercentEvery(\d+)Minutes?$")


def shift_schedule(name: str) -> tuple[tuple[float, float], ...]:
    """CodeDeploy's predefined Lambda configuration ``name`` as steps of (the new version's share,
    minutes before the next step); the last step is 100 %. A canary takes its share, then the rest
    after the interval; a linear shift adds its share every interval; AllAtOnce moves at once."""
    if name == "AllAtOnce":
        return ((1.0, 0.0),)
    canary = _CANARY.match(name)
    if canary:
        return ((int(canary.group(1)) / 100, float(canary.group(2))), (1.0, 0.0))
    linear = _LINEAR.match(name)
    if linear:
        step, every = int(linear.group(1)), float(linear.group(2))
        shares = list(range(step, 100, step))
        return (*((share / 100, every) for share in shares), (1.0, 0.0))
    raise CloudError(f"unknown traffic shift {name!r}",
                     hint="Use one of CodeDeploy's predefined Lambda configurations, "
                          "e.g. Canary10Percent5Minutes.")
