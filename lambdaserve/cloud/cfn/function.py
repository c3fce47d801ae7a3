"""The function side of the template: artifact parameters, role, log group, function, version, alias."""

from __future__ import annotations

from dataclasses import dataclass

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.common import Json, get_att, ref, sub
from lambdaserve.cloud.cfn.model_object import model_read_policies
from lambdaserve.cloud.store.artifact_ref import (
    PARAM_BUCKET,
    PARAM_IMAGE_URI,
    PARAM_KEY,
    PARAM_SHA256,
    Artifact,
    ImageArtifact,
    is_placeholder,
)
from lambdaserve.config import Config, artifact_env


@dataclass(frozen=True)
class Release:
    """What a build holds, written into its published version's description for `status`."""
    model_sha256: str  # of the model files (build.json's model_sha256)
    built: str  # UTC ISO 8601 (build.json's built)

    def words(self) -> str:
        # `lambdaserve status` and `rollback` read these words back (cloud/stack/rollback.py).
        return f" model {self.model_sha256} built {self.built}"


IMAGE_URI_PATTERN = r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/.+@sha256:[0-9a-f]{64}$"


def parameters(artifact: Artifact) -> Json:
    """The artifact location as Parameters, defaulting to ``artifact``."""
    note = (" PLACEHOLDER: `lambdaserve deploy` passes the real value." if is_placeholder(artifact)
            else "")
    if isinstance(artifact, ImageArtifact):
        return {PARAM_IMAGE_URI: {
            "Type": "String", "Default": artifact.image_uri,
            "AllowedPattern": IMAGE_URI_PATTERN,
            "Description": "ECR image pinned by digest (repository@sha256:...)." + note}}
    return {
        PARAM_BUCKET: {"Type": "String", "Default": artifact.bucket,
                       "Description": "S3 bucket holding the function zip." + note},
        PARAM_KEY: {"Type": "String", "Default": artifact.key,
                    "Description": "S3 key of the function zip." + note},
        PARAM_SHA256: {"Type": "String", "Default": artifact.sha256, "AllowedPattern": "^[0-9a-f]{64}$",
                       "Description": "Hex SHA-256 of the zip; a new value publishes a new version." + note},
    }


def log_group(config: Config) -> Json:
    return {"Type": "AWS::Logs::LogGroup", "Properties": {
        "LogGroupName": c.function_log_group_name(config),
        "RetentionInDays": config.deploy.log_retention_days}}


def execution_role(config: Config) -> Json:
    """Only what the function does at run time: write to its own log group (and read its model, when
    the model is kept in S3)."""
    return {"Type": "AWS::IAM::Role", "Properties": {
        "Path": sub(c.role_path("${AWS::StackName}")),
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "write-own-logs", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": get_att(c.FUNCTION_LOG_GROUP, "Arn")}]}}, *model_read_policies(config)]}}


def function(config: Config, artifact: Artifact, release: Release | None = None) -> Json:
    # Combinations Lambda refuses (SnapStart on a non-Lambda image base, with provisioned concurrency
    # or a big /tmp)
    # are refused by config.load before anything renders.
    fn = config.function
    # The build time goes into the function's description too: a Version whose description changed
    # while the function did not would fail to publish ("A version for this Lambda function exists",
    # serverless #7822), so whatever renames the version must also change the function.
    built = f", built {release.built}" if release else ""
    props: Json = {
        "FunctionName": c.function_name(config),
        # The code's hash in the description says which artifact runs (the image URI holds its own).
        "Description": (f"lambdaserve: {config.name} ({config.model.framework} model)"
                        if isinstance(artifact, ImageArtifact) else
                        sub(f"lambdaserve: {config.name} ({config.model.framework} model), "
                            f"code sha256 {c.var(PARAM_SHA256)}{built}")),
        "Role": get_att(c.FUNCTION_ROLE, "Arn"),
        "Architectures": [fn.architecture],
        "MemorySize": fn.memory,
        "Timeout": fn.timeout,
        "EphemeralStorage": {"Size": fn.ephemeral_storage},
        "Environment": {"Variables": dict(sorted(artifact_env(
            config, "image" if isinstance(artifact, ImageArtifact) else "zip").items()))},
        # Naming our log group makes CloudFormation create it (with retention) before the function.
        "LoggingConfig": {"LogGroup": ref(c.FUNCTION_LOG_GROUP), "LogFormat": "Text"},
    }
    if isinstance(artifact, ImageArtifact):
        props["PackageType"] = "Image"
        props["Code"] = {"ImageUri": ref(PARAM_IMAGE_URI)}
        # Explicit, so the template does not depend on the image's CMD.
        props["ImageConfig"] = {"Command": [c.HANDLER]}
    else:
        props["PackageType"] = "Zip"
        props["Runtime"] = config.runtime_id
        props["Handler"] = c.HANDLER
        props["Code"] = {"S3Bucket": ref(PARAM_BUCKET), "S3Key": ref(PARAM_KEY)}
    if fn.reserved_concurrency:
        props["ReservedConcurrentExecutions"] = fn.reserved_concurrency
    if fn.snapstart:
        props["SnapStart"] = {"ApplyOn": "PublishedVersions"}
    return {"Type": "AWS::Lambda::Function", "Properties": props}


def version_and_alias(config: Config, artifact: Artifact, function_props: Json,
                      release: Release | None = None) -> dict[str, Json]:
    """A published version behind the 'live' alias.

    A Version is immutable: CloudFormation only publishes a new one when a property
    changes, so the description carries the code hash (a parameter) and a hash of the
    function's configuration, and with a ``release``, the model's hash and the build time (so each
    build deployed publishes a version `status` can describe). A replaced version is retained, so
    the previous one stays for a rollback (and for an alias-based rollout that shifts traffic from
    it); deploy then deletes all but the alias's version and the one before it (stack/versions.py).
    """
    code = c.var(PARAM_IMAGE_URI if isinstance(artifact, ImageArtifact) else PARAM_SHA256)
    config_hash = c.short_hash({k: v for k, v in function_props.items() if k != "Code"})
    version_props: Json = {"FunctionName": ref(c.FUNCTION),
                           "Description": sub(f"code {code} config {config_hash}"
                                              + (release.words() if release else ""))}
    alias_props: Json = {"FunctionName": ref(c.FUNCTION), "Name": c.ALIAS_NAME,
                         "FunctionVersion": get_att(c.FUNCTION_VERSION, "Version")}
    if config.function.provisioned_concurrency:
        alias_props["ProvisionedConcurrencyConfig"] = {
            "ProvisionedConcurrentExecutions": config.function.provisioned_concurrency}
    return {
        c.FUNCTION_VERSION: {"Type": "AWS::Lambda::Version", "UpdateReplacePolicy": "Retain",
                             "DeletionPolicy": "Delete", "Properties": version_props},
        c.FUNCTION_ALIAS: {"Type": "AWS::Lambda::Alias", "Properties": alias_props},
    }


def function_resources(config: Config, artifact: Artifact, release: Release | None = None) -> dict[str, Json]:
    fn = function(config, artifact, release)
    resources = {
        c.FUNCTION_LOG_GROUP: log_group(config),
        c.FUNCTION_ROLE: execution_role(config),
        c.FUNCTION: fn,
    }
    # Every deploy publishes a version and moves the alias: the fronts never invoke $LATEST.
    resources.update(version_and_alias(config, artifact, fn["Properties"], release))
    return resources
