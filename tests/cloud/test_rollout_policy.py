"""The rollout policy (a traffic shift's CodeDeploy, alarms and hook), read statically."""

from __future__ import annotations

import json
from pathlib import Path

from lambdaserve.cloud.cfn.render import render_template
from lambdaserve.cloud.cfn.rollout import rollout_names
from lambdaserve.cloud.iam.actions import allows_on, template_actions
from lambdaserve.cloud.iam.policy import deployer_policy
from lambdaserve.cloud.iam.rollout_rights import rollout_policy
from tests.cloud.test_policy_static import ACCOUNT, BUCKET, REGION, resources
from tests.cloud.test_template_golden import VARIANTS, artifact_for, make_config

SHIFTS = [v for v in VARIANTS if "traffic_shift" in VARIANTS[v].get("deploy", {})]


def _policy(tmp_path: Path, variant: str) -> dict:
    return rollout_policy(make_config(tmp_path, VARIANTS[variant]), account=ACCOUNT, region=REGION,
                          artifact_bucket=BUCKET)


def test_each_document_fits_a_managed_policy_with_unique_sids(tmp_path: Path) -> None:
    for variant in SHIFTS:
        config = make_config(tmp_path, VARIANTS[variant])
        base = deployer_policy(config, account=ACCOUNT, region=REGION, artifact_bucket=BUCKET,
                               ecr_repository="lambdaserve/iris")
        rollout = _policy(tmp_path, variant)
        sids = [s["Sid"] for s in base["Statement"] + rollout["Statement"]]
        assert len(sids) == len(set(sids)) and all(s.isalnum() for s in sids)
        # The reason for two documents: IAM's size limit for a managed policy, whitespace not counted.
        assert len(json.dumps(rollout, separators=(",", ":"))) < 6144
        assert len(json.dumps(base, separators=(",", ":"))) < 6144


def test_every_statement_names_this_app_and_no_action_wildcard(tmp_path: Path) -> None:
    for variant in SHIFTS:
        for statement in _policy(tmp_path, variant)["Statement"]:
            assert all("*" not in a for a in statement["Action"]), statement["Sid"]
            for arn in resources(statement):
                assert "iris" in arn or "CodeDeployDefault.Lambda" in arn or arn.startswith(
                    f"arn:aws:s3:::{BUCKET}"), arn


def test_alarm_scope_does_not_reach_another_stack_of_the_project(tmp_path: Path) -> None:
    # Two stacks of one project (deploy.stack_name): iris and iris-staging. App and stack names have
    # no dots, so "iris.rollout.*" never matches iris-staging's alarms.
    config = make_config(tmp_path, VARIANTS["canary_rest_zip"])
    policy = rollout_policy(config, account=ACCOUNT, region=REGION, artifact_bucket=BUCKET)
    arn = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:"
    staging = make_config(tmp_path, {**VARIANTS["canary_rest_zip"], "deploy": {
        **VARIANTS["canary_rest_zip"]["deploy"], "stack_name": "iris-staging"}})
    own = render_template(config, artifact_for(config))["Resources"]
    theirs = render_template(staging, artifact_for(staging))["Resources"]
    for resource in own.values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            assert allows_on(policy, "cloudwatch:PutMetricAlarm", arn + resource["Properties"]["AlarmName"])
    for resource in theirs.values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            assert not allows_on(policy, "cloudwatch:PutMetricAlarm",
                                 arn + resource["Properties"]["AlarmName"])


def test_codedeploy_role_is_passed_to_codedeploy_only(tmp_path: Path) -> None:
    statement = next(s for s in _policy(tmp_path, "canary_rest_zip")["Statement"]
                     if s["Action"] == ["iam:PassRole"])
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": ["codedeploy.amazonaws.com"]}}


def test_an_image_app_gets_the_bucket_for_its_hook_zip_and_a_zip_app_does_not_twice(tmp_path: Path) -> None:
    image, zipped = _policy(tmp_path, "linear_http_image"), _policy(tmp_path, "canary_rest_zip")
    hook_key = f"arn:aws:s3:::{BUCKET}/iris/" + "c" * 64 + ".zip"
    assert allows_on(image, "s3:PutObject", hook_key)
    assert not allows_on(zipped, "s3:PutObject", hook_key)  # deployer_policy's ArtifactBucket has it


def test_the_shift_template_needs_codedeploy_and_alarm_rights(tmp_path: Path) -> None:
    config = make_config(tmp_path, VARIANTS["canary_rest_zip"])
    actions = template_actions(render_template(config, artifact_for(config)))
    assert {"codedeploy:CreateDeploymentGroup", "codedeploy:CreateDeployment",
            "cloudwatch:PutMetricAlarm"} <= actions
    plain = make_config(tmp_path)
    assert not any(a.startswith(("codedeploy:", "cloudwatch:"))
                   for a in template_actions(render_template(plain, artifact_for(plain))))


def test_deploys_watcher_may_read_its_own_deployment_group(tmp_path: Path) -> None:
    # The calls cloud/stack/rollout.py makes while a shift runs, on this app's group and alarms only.
    config = make_config(tmp_path, VARIANTS["canary_rest_zip"])
    policy = _policy(tmp_path, "canary_rest_zip")
    names = rollout_names(config)
    group = (f"arn:aws:codedeploy:{REGION}:{ACCOUNT}:deploymentgroup:"
             f"{names.application}/{names.deployment_group}")
    for action in ("codedeploy:ListDeployments", "codedeploy:GetDeployment", "codedeploy:GetDeploymentGroup",
                   "codedeploy:ListDeploymentTargets", "codedeploy:BatchGetDeploymentTargets"):
        assert allows_on(policy, action, group), action
        assert not allows_on(policy, action, group.replace(names.application, "someone-else")), action
