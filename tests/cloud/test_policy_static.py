"""The deployer policy, read statically: scoped ARNs, wildcards only where AWS requires them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.cloud.iam.actions import (
    RESOURCE_ACTIONS,
    allows,
    covers,
    iam_action,
    policy_actions,
    template_actions,
)
from lambdaserve.cloud.iam.policy import WILDCARD_ACTIONS, deployer_policy, partition
from lambdaserve.cloud.iam.rollout_rights import rollout_policy
from lambdaserve.config import Config
from lambdaserve.errors import CloudError
from tests.cloud.test_template_golden import VARIANTS, make_config, rendered

ACCOUNT = "123456789012"
REGION = "eu-west-1"
BUCKET = f"lambdaserve-artifacts-{ACCOUNT}-{REGION}"


def policy_for(config: Config) -> dict[str, Any]:
    return deployer_policy(config, account=ACCOUNT, region=REGION, artifact_bucket=BUCKET,
                           ecr_repository="lambdaserve/iris")


def resources(statement: dict[str, Any]) -> list[str]:
    value = statement["Resource"]
    return [value] if isinstance(value, str) else value


def statement_with(policy: dict[str, Any], action: str) -> dict[str, Any]:
    return next(s for s in policy["Statement"] if action in s["Action"])


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_star_only_for_actions_without_resource_level_permissions(tmp_path: Path, variant: str) -> None:
    config = make_config(tmp_path, VARIANTS[variant])
    policy = policy_for(config)
    # model.s3_uri names the user's own bucket: that one object, the only S3 ARN outside ours
    model = "arn:aws:s3:::{}/{}".format(*config.model.s3_location) if config.model.s3_location else None
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert all(":" in a and "*" not in a for a in statement["Action"]), statement["Sid"]
        if "*" in resources(statement):
            assert resources(statement) == ["*"]
            assert set(statement["Action"]) <= WILDCARD_ACTIONS, statement["Sid"]
        else:
            # every other resource names this account (S3 ARNs have none: the bucket name holds it)
            for arn in resources(statement):
                assert f":{ACCOUNT}:" in arn or arn.startswith(f"arn:aws:s3:::{BUCKET}") or (
                    arn.startswith(f"arn:aws:apigateway:{REGION}::/")) or arn == model, arn


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_statement_is_scoped_to_the_region_and_app(tmp_path: Path, variant: str) -> None:
    config = make_config(tmp_path, VARIANTS[variant])
    policy = policy_for(config)
    for statement in policy["Statement"]:
        for arn in resources(statement):
            service = arn.split(":")[2] if arn != "*" else ""
            if service in ("cloudformation", "lambda", "logs", "events", "ecr", "apigateway"):
                assert f":{REGION}:" in arn, arn
            if service == "cloudformation":
                assert arn == f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/lambdaserve-iris/*"
            if service == "lambda":
                assert arn.startswith(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:iris"), arn
            if service == "iam":
                assert arn == f"arn:aws:iam::{ACCOUNT}:role/lambdaserve/lambdaserve-iris/*"
            if service == "logs" and statement["Sid"] != "ListLogGroupsInRegion":
                assert "/aws/lambda/iris" in arn or "/lambdaserve/iris/" in arn, arn
            if service == "events":
                assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/iris-keep-warm"


def test_pass_role_only_to_lambda_and_api_gateway(tmp_path: Path) -> None:
    for variant in ("rest_zip", "http_image"):  # an HTTP stack may have been a REST one before
        statement = statement_with(policy_for(make_config(tmp_path, VARIANTS[variant])), "iam:PassRole")
        assert statement["Action"] == ["iam:PassRole"]
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": [
            "lambda.amazonaws.com", "apigateway.amazonaws.com"]}}


def test_attaching_a_managed_policy_is_limited_to_the_api_gateway_logging_one(tmp_path: Path) -> None:
    for variant in ("rest_zip", "http_image"):
        policy = policy_for(make_config(tmp_path, VARIANTS[variant]))
        statement = statement_with(policy, "iam:AttachRolePolicy")
        assert statement["Condition"] == {"ArnEquals": {
            "iam:PolicyARN": "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}}


def test_zip_gets_its_bucket_prefix_and_image_gets_its_repository(tmp_path: Path) -> None:
    zip_policy = policy_for(make_config(tmp_path))
    assert resources(statement_with(zip_policy, "s3:PutObject")) == [f"arn:aws:s3:::{BUCKET}/iris/*"]
    assert not any(a.startswith("ecr:") for a in policy_actions(zip_policy))
    image = policy_for(make_config(tmp_path, VARIANTS["http_image"]))
    assert not any(a.startswith("s3:") for a in policy_actions(image))
    assert resources(statement_with(image, "ecr:PutImage")) == [
        f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/lambdaserve/iris"]
    assert resources(statement_with(image, "ecr:GetAuthorizationToken")) == ["*"]


def test_options_are_covered_whether_on_now_or_only_before(tmp_path: Path) -> None:
    # Turning an option off deletes its resources with the deployer's rights, so a plain config's
    # policy holds them too, still scoped to this app's own names (tests/cloud/test_policy_transitions).
    for variant in ("rest_zip", "keep_warm_reserved_arm64"):
        policy = policy_for(make_config(tmp_path, VARIANTS[variant]))
        assert resources(statement_with(policy, "events:DeleteRule")) == [
            f"arn:aws:events:{REGION}:{ACCOUNT}:rule/iris-keep-warm"]
        assert allows(policy, "lambda:DeleteFunctionConcurrency")
        assert allows(policy, "lambda:DeleteFunctionUrlConfig")
        assert allows(policy, "lambda:DeleteProvisionedConcurrencyConfig")
        assert allows(policy, "lambda:DeleteAlias")
        deletes = resources(statement_with(policy, "apigateway:DELETE"))
        for path in ("/usageplans/*", "/apikeys/*", "/restapis/*", "/apis/*"):
            assert f"arn:aws:apigateway:{REGION}::{path}" in deletes


def test_a_custom_stack_name_names_the_function_and_scopes_the_policy(tmp_path: Path) -> None:
    # Two stacks of one project (deploy.stack_name) must not share names, nor each other's rights.
    staging = policy_for(make_config(tmp_path, {"deploy": {"stack_name": "iris-staging"}}))
    fn = resources(statement_with(staging, "lambda:CreateFunction"))
    assert fn == [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:iris-staging",
                  f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:iris-staging:*"]
    assert resources(statement_with(staging, "events:PutRule")) == [
        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/iris-staging-keep-warm"]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_resource_type_of_every_variant_has_known_actions(tmp_path: Path, variant: str) -> None:
    template = rendered(tmp_path, variant, "cfn")
    assert template_actions(template)
    config = make_config(tmp_path, VARIANTS[variant])
    allowed = policy_actions(policy_for(config))
    if config.deploy.traffic_shift:  # a shift's rights are in the second document
        allowed |= policy_actions(rollout_policy(config, account=ACCOUNT, region=REGION,
                                                 artifact_bucket=BUCKET))
    assert template_actions(template) - {"iam:PassRole"} <= allowed


def test_an_unknown_resource_type_is_an_error_not_a_silent_gap(tmp_path: Path) -> None:
    template = rendered(tmp_path, "rest_zip", "cfn")
    template["Resources"]["Queue"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    with pytest.raises(KeyError, match="AWS::SQS::Queue"):
        template_actions(template)
    assert "AWS::Lambda::Function" in RESOURCE_ACTIONS


@pytest.mark.parametrize(("service", "operation", "action"), [
    ("cloudformation", "CreateChangeSet", "cloudformation:CreateChangeSet"),
    ("s3", "HeadObject", "s3:GetObject"),
    ("s3", "HeadBucket", "s3:ListBucket"),
    ("s3", "ListObjectVersions", "s3:ListBucketVersions"),
    ("lambda", "Invoke", "lambda:InvokeFunction"),
    ("apigateway", "GetRestApi", "apigateway:GET"),
    ("apigateway", "CreateRestApi", "apigateway:POST"),
    ("apigatewayv2", "UpdateStage", "apigateway:PATCH"),
    ("ecr", "GetAuthorizationToken", "ecr:GetAuthorizationToken"),
])
def test_botocore_operations_map_to_iam_actions(service: str, operation: str, action: str) -> None:
    assert iam_action(service, operation) == action


def test_covers_answers_per_call(tmp_path: Path) -> None:
    policy = policy_for(make_config(tmp_path))
    assert covers(policy, "cloudformation", "ExecuteChangeSet")
    assert covers(policy, "s3", "PutObject") and covers(policy, "s3", "HeadObject")
    assert covers(policy, "apigateway", "GetRestApi")
    assert covers(policy, "sts", "GetCallerIdentity")  # needs no permission
    assert not covers(policy, "ec2", "RunInstances")
    assert not covers(policy, "ecr", "PutImage")  # a zip deploy pushes no image
    assert not covers(policy, "iam", "CreateUser")


def test_policy_is_valid_json_with_unique_sids(tmp_path: Path) -> None:
    for variant in VARIANTS:
        policy = policy_for(make_config(tmp_path, VARIANTS[variant]))
        assert json.loads(json.dumps(policy)) == policy and policy["Version"] == "2012-10-17"
        sids = [s["Sid"] for s in policy["Statement"]]
        assert len(sids) == len(set(sids)) and all(s.isalnum() for s in sids)
        assert len(json.dumps(policy, separators=(",", ":"))) < 6144  # a managed policy's size limit


def test_partitions_and_bad_input(tmp_path: Path) -> None:
    assert partition("cn-north-1") == "aws-cn" and partition("us-gov-west-1") == "aws-us-gov"
    china = deployer_policy(make_config(tmp_path), account=ACCOUNT, region="cn-north-1",
                            artifact_bucket="b-cn", ecr_repository="r")
    assert resources(china["Statement"][0])[0].startswith("arn:aws-cn:cloudformation:cn-north-1:")
    with pytest.raises(CloudError, match="12-digit"):
        deployer_policy(make_config(tmp_path), account="abc", region=REGION, artifact_bucket=BUCKET,
                        ecr_repository="r")
    with pytest.raises(CloudError, match="region"):
        deployer_policy(make_config(tmp_path), account=ACCOUNT, region="", artifact_bucket=BUCKET,
                        ecr_repository="r")
