"""Which IAM actions each template resource needs, and botocore operation -> IAM action names.

CloudFormation creates, updates and deletes every resource with the deployer's own
credentials, so the deployer needs the create/read/update/delete actions of each resource
type in the template, plus the calls deploy makes itself (change sets, artifact upload).
"""

from __future__ import annotations

import fnmatch
from functools import cache
from typing import Any

# Resource type -> (IAM action, ...). Properties that add actions are in PROPERTY_ACTIONS.
RESOURCE_ACTIONS: dict[str, tuple[str, ...]] = {
    "AWS::Lambda::Function": (
        "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction",
        "lambda:GetFunctionConfiguration", "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration", "lambda:TagResource", "lambda:UntagResource",
        "lambda:ListTags", "lambda:GetFunctionCodeSigningConfig", "lambda:GetRuntimeManagementConfig",
        "lambda:GetFunctionRecursionConfig"),
    "AWS::Lambda::Permission": ("lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"),
    "AWS::Lambda::Version": ("lambda:PublishVersion", "lambda:ListVersionsByFunction",
                             "lambda:GetFunctionConfiguration", "lambda:DeleteFunction"),
    "AWS::Lambda::Alias": ("lambda:CreateAlias", "lambda:UpdateAlias", "lambda:DeleteAlias",
                           "lambda:GetAlias"),
    "AWS::Lambda::Url": ("lambda:CreateFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig",
                         "lambda:DeleteFunctionUrlConfig", "lambda:GetFunctionUrlConfig"),
    "AWS::IAM::Role": ("iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole",
                       "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:GetRolePolicy",
                       "iam:DeleteRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
                       "iam:TagRole", "iam:UntagRole", "iam:PassRole"),
    "AWS::Logs::LogGroup": ("logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DescribeLogGroups",
                            "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:TagResource",
                            "logs:UntagResource", "logs:ListTagsForResource"),
    "AWS::Events::Rule": ("events:PutRule", "events:DeleteRule", "events:DescribeRule",
                          "events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule",
                          "events:TagResource", "events:UntagResource", "events:ListTagsForResource"),
    "AWS::CodeDeploy::Application": (
        "codedeploy:CreateApplication", "codedeploy:GetApplication",
        "codedeploy:DeleteApplication", "codedeploy:TagResource", "codedeploy:UntagResource",
        "codedeploy:ListTagsForResource"),
    "AWS::CodeDeploy::DeploymentGroup": (
        "codedeploy:CreateDeploymentGroup", "codedeploy:GetDeploymentGroup",
        "codedeploy:UpdateDeploymentGroup", "codedeploy:DeleteDeploymentGroup",
        "codedeploy:GetDeploymentConfig", "iam:PassRole"),
    "AWS::CloudWatch::Alarm": (
        "cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms",
        "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"),
}
# API Gateway authorises by HTTP verb on a path ARN; the policy scopes the paths.
_APIGW_RW = ("apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH",
             "apigateway:DELETE")
for _type in ("RestApi", "Resource", "Method", "Deployment", "Stage", "ApiKey", "UsagePlan",
              "UsagePlanKey", "GatewayResponse"):
    RESOURCE_ACTIONS[f"AWS::ApiGateway::{_type}"] = _APIGW_RW
RESOURCE_ACTIONS["AWS::ApiGateway::Account"] = ("apigateway:GET", "apigateway:PATCH", "iam:PassRole")
for _type in ("Api", "Integration", "Route", "Stage"):
    RESOURCE_ACTIONS[f"AWS::ApiGatewayV2::{_type}"] = _APIGW_RW

# (resource type, property or resource attribute) -> extra actions when it is set.
PROPERTY_ACTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    # A traffic shift: CloudFormation moves the alias by creating a CodeDeploy deployment, with the
    # deployer's credentials, waits on it, and stops it when the stack update is cancelled.
    ("AWS::Lambda::Alias", "UpdatePolicy"): (
        "codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:StopDeployment",
        "codedeploy:GetDeploymentConfig", "codedeploy:RegisterApplicationRevision",
        "codedeploy:GetApplicationRevision",
        # deploy's own watcher (cloud/stack/rollout.py) finds the deployment and reads its targets.
        "codedeploy:ListDeployments", "codedeploy:ListDeploymentTargets",
        "codedeploy:BatchGetDeploymentTargets"),
    ("AWS::Lambda::Function", "ReservedConcurrentExecutions"): (
        "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency",
        "lambda:GetFunctionConcurrency"),
    ("AWS::Lambda::Alias", "ProvisionedConcurrencyConfig"): (
        "lambda:PutProvisionedConcurrencyConfig", "lambda:DeleteProvisionedConcurrencyConfig",
        "lambda:GetProvisionedConcurrencyConfig"),
    ("AWS::IAM::Role", "ManagedPolicyArns"): ("iam:AttachRolePolicy", "iam:DetachRolePolicy"),
    # API Gateway v2 vends access logs through CloudWatch Logs' log delivery API.
    ("AWS::ApiGatewayV2::Stage", "AccessLogSettings"): (
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies"),
}


def template_actions(template: dict[str, Any]) -> set[str]:
    """Every IAM action CloudFormation needs, with the deployer's credentials, for this template."""
    actions: set[str] = set()
    for resource in template["Resources"].values():
        kind = resource["Type"]
        if kind not in RESOURCE_ACTIONS:
            raise KeyError(f"no IAM actions known for {kind}; add it to RESOURCE_ACTIONS")
        actions.update(RESOURCE_ACTIONS[kind])
        for prop in set_keys(resource):
            actions.update(PROPERTY_ACTIONS.get((kind, prop), ()))
    return actions


def set_keys(resource: dict[str, Any]) -> list[str]:
    """The resource's properties and attributes (UpdatePolicy, DependsOn, ...) that are set."""
    return [*resource.get("Properties", {}), *(k for k in resource if k not in ("Type", "Properties"))]


# botocore operations whose IAM action has another name.
_RENAMED: dict[tuple[str, str], str] = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjectVersions"): "s3:ListBucketVersions",
    ("s3", "DeleteObjects"): "s3:DeleteObject",
    ("s3", "CreateMultipartUpload"): "s3:PutObject",
    ("s3", "UploadPart"): "s3:PutObject",
    ("s3", "CompleteMultipartUpload"): "s3:PutObject",
    ("s3", "CopyObject"): "s3:PutObject",
    ("s3", "PutBucketEncryption"): "s3:PutEncryptionConfiguration",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "PutPublicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "PutBucketLifecycleConfiguration"): "s3:PutLifecycleConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "DeleteBucketLifecycle"): "s3:PutLifecycleConfiguration",
}
# Calls that need no permission at all.
UNAUTHORISED_OPERATIONS = frozenset({("sts", "GetCallerIdentity")})
_SERVICE_PREFIX = {"apigatewayv2": "apigateway", "stepfunctions": "states"}


@cache
def _http_method(service: str, operation: str) -> str:
    # API Gateway's IAM actions are the HTTP verbs of its REST API; botocore's model has them.
    import botocore.loaders

    model = botocore.loaders.create_loader().load_service_model(service, "service-2")
    return str(model["operations"][operation]["http"]["method"])


def iam_action(service: str, operation: str) -> str:
    """The IAM action a botocore call is authorised as, e.g. ('s3', 'HeadObject') -> 's3:GetObject'."""
    if (service, operation) in _RENAMED:
        return _RENAMED[(service, operation)]
    if service in ("apigateway", "apigatewayv2"):
        return "apigateway:" + _http_method(service, operation)
    return f"{_SERVICE_PREFIX.get(service, service)}:{operation}"


def policy_actions(policy: dict[str, Any]) -> set[str]:
    """All actions the policy allows (as written, wildcards kept)."""
    actions: set[str] = set()
    for statement in policy["Statement"]:
        if statement.get("Effect") == "Allow":
            value = statement["Action"]
            actions.update([value] if isinstance(value, str) else value)
    return actions


def allows(policy: dict[str, Any], action: str) -> bool:
    """Whether some Allow statement names ``action`` (IAM matches actions case-insensitively)."""
    wanted = action.lower()
    return any(fnmatch.fnmatchcase(wanted, pattern.lower()) for pattern in policy_actions(policy))


def allows_on(policy: dict[str, Any], action: str, resource: str) -> bool:
    """Whether some Allow statement names ``action`` on ``resource`` (conditions not evaluated)."""
    wanted = action.lower()
    for statement in policy["Statement"]:
        if statement.get("Effect") != "Allow":
            continue
        acts, res = statement["Action"], statement["Resource"]
        acts = [acts] if isinstance(acts, str) else acts
        res = [res] if isinstance(res, str) else res
        if any(fnmatch.fnmatchcase(wanted, a.lower()) for a in acts) and any(
                fnmatch.fnmatchcase(resource, r) for r in res):
            return True
    return False


def covers(policy: dict[str, Any], service: str, operation: str) -> bool:
    """Whether the policy allows a botocore call, e.g. covers(p, 'cloudformation', 'CreateChangeSet')."""
    if (service, operation) in UNAUTHORISED_OPERATIONS:
        return True
    return allows(policy, iam_action(service, operation))
