"""The least-privilege IAM policy a deployer needs for one app, generated from its template.

Actions come from the template's resource types (``policy_actions``) plus the calls deploy
and destroy make themselves. Every statement is scoped to this app's ARNs: the stack, the
function, its log groups, the roles under the stack's IAM path, the artifact bucket prefix
or ECR repository, and API Gateway's path ARNs in the region. Wildcards appear only where
AWS offers no resource-level permission; each such statement says why in its comment.
IAM policies cannot hold comments, so the Sids name each statement's purpose.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.options import keep_warm_rule_name
from lambdaserve.cloud.cfn.render import render_template
from lambdaserve.cloud.cfn.rest_api import logs_policy_arn
from lambdaserve.cloud.iam.actions import allows, covers, iam_action, policy_actions, template_actions
from lambdaserve.cloud.store.artifact_ref import placeholder
from lambdaserve.config import Config
from lambdaserve.errors import CloudError

# Calls lambdaserve deploy/destroy make directly (cloud/stack/changeset.py, deployer.py, outputs.py, ...).
STACK_ACTIONS = (
    "cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet",
    "cloudformation:ExecuteChangeSet", "cloudformation:DeleteChangeSet",
    "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
    "cloudformation:DescribeStackResources", "cloudformation:ContinueUpdateRollback",
    "cloudformation:DeleteStack",
    "cloudformation:GetTemplate",  # deploy --dry-run compares the new template with the deployed one
)
BUCKET_ACTIONS = ("s3:ListBucket", "s3:ListBucketVersions", "s3:CreateBucket",
                  "s3:PutBucketPublicAccessBlock", "s3:PutBucketVersioning")
# Lambda reads the zip with the caller's credentials when CloudFormation creates the function.
OBJECT_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject",
                  "s3:DeleteObjectVersion")
REPOSITORY_ACTIONS = (
    "ecr:DescribeRepositories", "ecr:CreateRepository", "ecr:PutLifecyclePolicy", "ecr:DeleteRepository",
    # the push set
    "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload", "ecr:PutImage",
    # Lambda pulls the image with the caller's rights and grants itself access on the repository.
    "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy", "ecr:SetRepositoryPolicy",
)
# Actions with no resource-level permissions at all: AWS only accepts "*" for them.
WILDCARD_ACTIONS = frozenset({
    "ecr:GetAuthorizationToken",
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
})


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _statement(sid: str, actions: set[str] | tuple[str, ...], resources: list[str],
               condition: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions),
                           "Resource": resources[0] if len(resources) == 1 else resources}
    if condition:
        out["Condition"] = condition
    return out


def _by_prefix(actions: set[str], prefix: str) -> set[str]:
    return {a for a in actions if a.startswith(prefix + ":")}


def reachable_templates(config: Config) -> list[dict[str, Any]]:
    """Templates of every resource type and property any lambdaserve config of this app can have.

    An update deletes what the deployed template had and the new one lacks (keep_warm on -> off,
    rest -> http, api_key -> none, concurrency -> 0), with the deployer's credentials: so the
    policy covers the union, scoped to this stack's names, not only the template being deployed.
    """
    fn, api = config.function, config.api
    everything = replace(fn, keep_warm="rate(5 minutes)", reserved_concurrency=2,
                         provisioned_concurrency=1, snapstart=False)
    # A traffic shift on or off, or another type: the same resources, so one type stands for all.
    shifting = replace(config.deploy, traffic_shift="AllAtOnce")
    variants = [
        replace(config, function=everything, deploy=shifting,
                api=replace(api, type="rest", auth="api_key", function_url=True, throttling_rate=1,
                            throttling_burst=1)),
        replace(config, function=everything, deploy=shifting,
                api=replace(api, type="http", auth="iam", function_url=True, throttling_rate=1,
                            throttling_burst=1)),
    ]
    # SnapStart excludes provisioned concurrency: its own variant (zip, or an image on Lambda's base)
    variants.append(replace(config, function=replace(fn, snapstart=True, provisioned_concurrency=0,
                                                     ephemeral_storage=512)))
    return [render_template(v, placeholder(fn.package)) for v in [config, *variants]]


def _iam_statements(actions: set[str], p: str, account: str, stack: str,
                    services: tuple[str, ...]) -> list[dict[str, Any]]:
    roles = f"arn:{p}:iam::{account}:role{c.role_path(stack)}*"
    attach = {"iam:AttachRolePolicy", "iam:DetachRolePolicy"} & actions
    plain = _by_prefix(actions, "iam") - attach - {"iam:PassRole"}
    out = [_statement("StackRoles", plain, [roles])]
    if attach:
        out.append(_statement("StackRolesApiGatewayLoggingPolicyOnly", attach, [roles], {
            "ArnEquals": {"iam:PolicyARN": logs_policy_arn(p)}}))
    out.append(_statement("PassStackRolesToTheirServicesOnly", {"iam:PassRole"}, [roles], {
        "StringEquals": {"iam:PassedToService": list(services)}}))
    return out


def _apigateway_paths(region: str, p: str) -> list[str]:
    base = f"arn:{p}:apigateway:{region}::"
    # The API's id is only known once created, so the scope is this region's API paths; both
    # kinds, keys and usage plans, since an update may delete those of the deployed template.
    paths = ["/restapis", "/restapis/*", "/apis", "/apis/*", "/apikeys", "/apikeys/*", "/usageplans",
             "/usageplans/*", "/tags/*"]  # CloudFormation tags what it creates with the stack's tags
    return [base + path for path in paths]


def check_scope(account: str, region: str) -> None:
    if not (account.isdigit() and len(account) == 12):
        raise CloudError(f"account {account!r} is not a 12-digit AWS account id",
                         hint="Pass --account 123456789012 (see `aws sts get-caller-identity`).")
    if not region:
        raise CloudError("no region for the policy", hint="Pass --region or set deploy.region.")


def reachable_actions(config: Config) -> set[str]:
    actions: set[str] = set()
    for template in reachable_templates(config):
        actions |= template_actions(template)
    return actions


def deployer_policy(config: Config, *, account: str, region: str, artifact_bucket: str,
                    ecr_repository: str) -> dict[str, Any]:
    """The IAM policy document for deploying, updating and destroying this app's stack, from
    whatever lambdaserve template it holds now (``reachable_templates``).

    A traffic shift's resources (CodeDeploy, alarms, the hook) are in ``rollout_policy``: with them
    this one would pass IAM's 6,144-character limit for a managed policy.
    """
    check_scope(account, region)
    p = partition(region)
    stack = config.stack_name
    actions = reachable_actions(config)
    fn = f"arn:{p}:lambda:{region}:{account}:function:{c.function_name(config)}"
    logs = f"arn:{p}:logs:{region}:{account}:log-group:"
    groups = c.all_log_group_names(config)
    statements = [
        _statement("OwnStackAndChangeSets", STACK_ACTIONS,
                   [f"arn:{p}:cloudformation:{region}:{account}:stack/{stack}/*"]),
        _statement("OwnFunctionVersionsAndAliases", _by_prefix(actions, "lambda"), [fn, fn + ":*"]),
        _statement("OwnLogGroups",
                   _by_prefix(actions, "logs") - WILDCARD_ACTIONS - {"logs:DescribeLogGroups"},
                   [logs + group + suffix for group in groups for suffix in ("", ":*")]),
        # DescribeLogGroups lists the account's groups: it is authorised on all of them.
        _statement("ListLogGroupsInRegion", {"logs:DescribeLogGroups"}, [logs + "*"]),
        _statement("ApiGatewayInRegion", _by_prefix(actions, "apigateway"), _apigateway_paths(region, p)),
        _statement("ApiGatewayAccountLoggingRole", {"apigateway:GET", "apigateway:PATCH"},
                   [f"arn:{p}:apigateway:{region}::/account"]),
    ]
    statements += _iam_statements(actions, p, account, stack, ("lambda.amazonaws.com",
                                                                "apigateway.amazonaws.com"))
    statements.append(_statement("KeepWarmRule", _by_prefix(actions, "events"), [
        f"arn:{p}:events:{region}:{account}:rule/{keep_warm_rule_name(config)}"]))
    delivery = actions & WILDCARD_ACTIONS
    if delivery:
        # HTTP API access logs go through CloudWatch Logs' log delivery API: no resource-level rights.
        statements.append(_statement("HttpApiAccessLogDeliveryNeedsWildcard", delivery, ["*"]))
    if config.function.package == "image":
        repo = f"arn:{p}:ecr:{region}:{account}:repository/{ecr_repository}"
        statements.append(_statement("OwnImageRepository", REPOSITORY_ACTIONS, [repo]))
        # An ECR login token is account-wide: GetAuthorizationToken only accepts "*".
        statements.append(_statement("EcrLoginNeedsWildcard", {"ecr:GetAuthorizationToken"}, ["*"]))
    else:
        bucket = f"arn:{p}:s3:::{artifact_bucket}"
        statements.append(_statement("ArtifactBucket", BUCKET_ACTIONS, [bucket]))
        statements.append(_statement("OwnArtifactObjects", OBJECT_ACTIONS, [f"{bucket}/{config.name}/*"]))
    statements += _model_object_statements(config, p, region)
    return {"Version": "2012-10-17", "Statement": [s for s in statements if s["Action"]]}


# deploy heads the model object (HeadObject is authorised as GetObject) and uploads it, in parts
# when large; a stopped multipart upload is aborted by boto3's transfer.
MODEL_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload")


def _model_object_statements(config: Config, p: str, region: str) -> list[dict[str, Any]]:
    """model.s3_uri: that one object, never its bucket (which the user owns, not the stack)."""
    location = config.model.s3_location
    if location is None:
        return []
    out = [_statement("OwnModelObject", MODEL_OBJECT_ACTIONS, [f"arn:{p}:s3:::{location[0]}/{location[1]}"])]
    if config.model.s3_kms_key:  # uploading under SSE-KMS makes a data key; a multipart upload decrypts it
        out.append(_statement("ModelObjectKmsKeyThroughS3", {"kms:GenerateDataKey", "kms:Decrypt"},
                              [config.model.s3_kms_key],
                              {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}))
    return out


__all__ = ["WILDCARD_ACTIONS", "allows", "covers", "deployer_policy", "iam_action", "partition",
           "policy_actions", "reachable_templates"]
