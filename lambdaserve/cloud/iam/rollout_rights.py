"""The second deployer policy, for a traffic shift (deploy.traffic_shift): CodeDeploy, the alarms
and the pre-traffic hook, scoped to this app's names (cloud/cfn/rollout.py).

A document of its own because the deployer policy with these statements passes IAM's 6,144-character
limit for a managed policy. Attach it while the stack has, or had until its last deploy, a
traffic shift: an update that turns the shift off deletes these resources with the deployer's
credentials, and one that turns it on, or changes its type, creates or updates them.
"""

from __future__ import annotations

from typing import Any

from lambdaserve.cloud.cfn.common import role_path
from lambdaserve.cloud.cfn.rollout import (
    CODEDEPLOY_CONFIG_PREFIX,
    alarm_prefix,
    hook_log_group_name,
    rollout_names,
)
from lambdaserve.cloud.iam.actions import RESOURCE_ACTIONS
from lambdaserve.cloud.iam.policy import (
    BUCKET_ACTIONS,
    OBJECT_ACTIONS,
    WILDCARD_ACTIONS,
    _by_prefix,
    _statement,
    check_scope,
    partition,
    reachable_actions,
)
from lambdaserve.config import Config

ROLLOUT_SERVICE = "codedeploy.amazonaws.com"


def rollout_policy(config: Config, *, account: str, region: str, artifact_bucket: str) -> dict[str, Any]:
    """The IAM policy document a deployer needs besides ``deployer_policy`` for a traffic shift."""
    check_scope(account, region)
    p = partition(region)
    actions = reachable_actions(config)
    names = rollout_names(config)
    codedeploy = f"arn:{p}:codedeploy:{region}:{account}:"
    hook = f"arn:{p}:lambda:{region}:{account}:function:{names.hook_function}"
    group = f"arn:{p}:logs:{region}:{account}:log-group:{hook_log_group_name(config)}"
    bucket = f"arn:{p}:s3:::{artifact_bucket}"
    statements = [
        # CodeDeploy authorises on the application, the group, and AWS's predefined configs.
        _statement("OwnCodeDeployApplication", _by_prefix(actions, "codedeploy"), [
            f"{codedeploy}application:{names.application}",
            f"{codedeploy}deploymentgroup:{names.application}/{names.deployment_group}",
            f"{codedeploy}deploymentconfig:{CODEDEPLOY_CONFIG_PREFIX}*"]),
        _statement("OwnRolloutAlarms", _by_prefix(actions, "cloudwatch"),
                   [f"arn:{p}:cloudwatch:{region}:{account}:alarm:{alarm_prefix(config)}*"]),
        _statement("PreTrafficHookFunction", set(RESOURCE_ACTIONS["AWS::Lambda::Function"]), [hook]),
        _statement("PreTrafficHookLogGroup",
                   _by_prefix(actions, "logs") - WILDCARD_ACTIONS - {"logs:DescribeLogGroups"},
                   [group, group + ":*"]),
        # The deployment group's service role (the stack's other roles: deployer_policy).
        _statement("PassStackRolesToCodeDeployOnly", {"iam:PassRole"},
                   [f"arn:{p}:iam::{account}:role{role_path(config.stack_name)}*"],
                   {"StringEquals": {"iam:PassedToService": [ROLLOUT_SERVICE]}}),
    ]
    if config.function.package == "image":
        # The hook is a zip in S3 whatever the function's package (a zip app's deployer_policy
        # already has these).
        statements.append(_statement("HookArtifactBucket", BUCKET_ACTIONS, [bucket]))
        statements.append(_statement("HookArtifactObjects", OBJECT_ACTIONS, [f"{bucket}/{config.name}/*"]))
    return {"Version": "2012-10-17", "Statement": [s for s in statements if s["Action"]]}


def needs_rollout_policy(config: Config) -> bool:
    return bool(config.deploy.traffic_shift)


__all__ = ["ROLLOUT_SERVICE", "needs_rollout_policy", "rollout_policy"]
