"""Every update from one lambdaserve template to another deploys with the new template's policy.

CloudFormation deletes what the deployed template had and the new one lacks, and removes
properties (reserved concurrency -> 0), with the deployer's credentials. So for each pair of
variants (A deployed, then B) every action on every resource of A and B must be allowed, on
that resource's ARN, by the policy generated for B; and no logical ID may change type.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.render import render_template
from lambdaserve.cloud.cfn.rollout import rollout_names
from lambdaserve.cloud.iam.actions import PROPERTY_ACTIONS, RESOURCE_ACTIONS, allows_on, set_keys
from lambdaserve.cloud.iam.policy import deployer_policy
from lambdaserve.cloud.iam.rollout_rights import rollout_policy
from lambdaserve.config import Config
from tests.cloud.test_template_golden import VARIANTS, artifact_for, make_config, rendered

ACCOUNT = "123456789012"
REGION = "eu-west-1"
BUCKET = f"lambdaserve-artifacts-{ACCOUNT}-{REGION}"
PAIRS = list(itertools.permutations(sorted(VARIANTS), 2))


def _arn(kind: str, action: str, props: dict[str, Any], config: Config, stack: str) -> str:
    """Where the action lands: the ARN IAM authorises it on (made-up ids where AWS assigns them)."""
    service = action.split(":")[0]
    fn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{c.function_name(config)}"
    apigw = f"arn:aws:apigateway:{REGION}::"
    if service == "iam":
        return f"arn:aws:iam::{ACCOUNT}:role{c.role_path(stack)}{stack}-Role-ABC123"
    if service == "lambda":
        qualifier = {"AWS::Lambda::Alias": ":live", "AWS::Lambda::Version": ":7"}.get(kind, "")
        if kind == "AWS::Lambda::Function" and isinstance(props.get("FunctionName"), str):
            fn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{props['FunctionName']}"  # the hook
        return fn + qualifier
    names = rollout_names(config)
    if service == "codedeploy":
        codedeploy = f"arn:aws:codedeploy:{REGION}:{ACCOUNT}:"
        if action == "codedeploy:GetDeploymentConfig":
            return codedeploy + "deploymentconfig:CodeDeployDefault.LambdaAllAtOnce"
        if kind == "AWS::CodeDeploy::Application" or action == "codedeploy:RegisterApplicationRevision":
            return codedeploy + f"application:{names.application}"
        return codedeploy + f"deploymentgroup:{names.application}/{names.deployment_group}"
    if service == "cloudwatch":
        return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{props['AlarmName']}"
    if service == "logs":
        if action in ("logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                      "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                      "logs:DescribeResourcePolicies"):
            return "*"
        return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{props['LogGroupName']}:*"
    if service == "events":
        return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{props['Name']}"
    assert service == "apigateway", action
    if kind == "AWS::ApiGateway::Account":
        return apigw + "/account"
    if kind == "AWS::ApiGateway::ApiKey":
        return apigw + "/apikeys/k1"
    if kind in ("AWS::ApiGateway::UsagePlan", "AWS::ApiGateway::UsagePlanKey"):
        return apigw + "/usageplans/u1" + ("/keys/k1" if kind.endswith("Key") else "")
    if kind.startswith("AWS::ApiGatewayV2::"):
        return apigw + "/apis/a1" + ("" if kind.endswith("::Api") else "/stages/prod")
    return apigw + "/restapis/r1" + ("" if kind.endswith("::RestApi") else "/resources/x/methods/POST")


def _grants(template: dict[str, Any], config: Config) -> set[tuple[str, str]]:
    out = set()
    for resource in template["Resources"].values():
        kind, props = resource["Type"], resource.get("Properties", {})
        actions = set(RESOURCE_ACTIONS[kind])
        for prop in set_keys(resource):
            actions |= set(PROPERTY_ACTIONS.get((kind, prop), ()))
        out |= {(a, _arn(kind, a, props, config, config.stack_name)) for a in actions}
    return out


def _policy(config: Config) -> dict[str, Any]:
    """What a deployer of ``config`` holds: the deployer policy, and with a traffic shift the
    rollout policy too (kept while the stack still has a shift, so its removal is covered)."""
    base = deployer_policy(config, account=ACCOUNT, region=REGION, artifact_bucket=BUCKET,
                           ecr_repository="lambdaserve/iris")
    shifting = replace(config, deploy=replace(config.deploy, traffic_shift="AllAtOnce"))
    rollout = rollout_policy(shifting, account=ACCOUNT, region=REGION, artifact_bucket=BUCKET)
    return {"Version": base["Version"], "Statement": base["Statement"] + rollout["Statement"]}


@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_the_new_policy_covers_the_update_from_any_earlier_template(tmp_path: Path, before: str,
                                                                    after: str) -> None:
    old = rendered(tmp_path, before, "cfn")
    config = make_config(tmp_path, VARIANTS[after])
    new = rendered(tmp_path, after, "cfn")
    policy = _policy(config)
    missing = sorted(g for g in _grants(old, config) | _grants(new, config) if not allows_on(policy, *g))
    assert missing == [], f"{before} -> {after}: the policy of {after} lacks {missing}"


@pytest.mark.parametrize(("before", "after"), PAIRS)
@pytest.mark.parametrize("fmt", ["cfn", "sam"])
def test_no_logical_id_changes_resource_type_between_templates(tmp_path: Path, before: str, after: str,
                                                               fmt: str) -> None:
    # for parity: CloudFormation refuses "Update of resource type is not permitted".
    old, new = rendered(tmp_path, before, fmt)["Resources"], rendered(tmp_path, after, fmt)["Resources"]
    changed = {k: (old[k]["Type"], new[k]["Type"]) for k in old.keys() & new.keys()
               if old[k]["Type"] != new[k]["Type"]}
    assert changed == {}


# The examples the finding names, each as a policy a deployer had to have and did not.
@pytest.mark.parametrize(("before", "after", "action"), [
    ({"function": {"keep_warm": "rate(5 minutes)"}}, {}, "events:DeleteRule"),
    ({"function": {"keep_warm": "rate(5 minutes)"}}, {}, "events:RemoveTargets"),
    ({"function": {"provisioned_concurrency": 2}}, {}, "lambda:DeleteAlias"),
    ({"api": {"function_url": True}}, {}, "lambda:DeleteFunctionUrlConfig"),
    ({"api": {"auth": "api_key"}}, {}, "apigateway:DELETE"),
    ({}, {"api": {"type": "http"}}, "apigateway:DELETE"),
    ({"function": {"reserved_concurrency": 3}}, {}, "lambda:DeleteFunctionConcurrency"),
    # A traffic shift turned off deletes the CodeDeploy group, the alarms and the hook.
    ({"deploy": {"traffic_shift": "Canary10Percent5Minutes"}}, {}, "codedeploy:DeleteDeploymentGroup"),
    ({"deploy": {"traffic_shift": "Canary10Percent5Minutes"}}, {}, "cloudwatch:DeleteAlarms"),
    ({"deploy": {"traffic_shift": "Canary10Percent5Minutes"}}, {}, "lambda:DeleteFunction"),
    # ... and turned on, or moved to another type, shifts the alias through CodeDeploy.
    ({}, {"deploy": {"traffic_shift": "AllAtOnce"}}, "codedeploy:CreateDeployment"),
    ({"deploy": {"traffic_shift": "AllAtOnce"}}, {"deploy": {"traffic_shift": "Linear10PercentEvery1Minute"}},
     "codedeploy:UpdateDeploymentGroup"),
])
def test_named_transitions_are_covered(tmp_path: Path, before: dict, after: dict, action: str) -> None:
    old_config, new_config = make_config(tmp_path, before), make_config(tmp_path, after)
    old = render_template(old_config, artifact_for(old_config))
    new = render_template(new_config, artifact_for(new_config))
    needed = {g for g in _grants(old, new_config) | _grants(new, new_config) if g[0] == action}
    assert needed
    policy = _policy(new_config)
    assert all(allows_on(policy, *g) for g in needed), sorted(needed)
