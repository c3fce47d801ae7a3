"""A gradual rollout through CodeDeploy: application, deployment group, its role, the alarms that
roll a shift back, and the pre-traffic hook that replays the build's golden requests.

Only with ``deploy.traffic_shift`` set. The `live` alias then carries an UpdatePolicy: instead of
moving the alias itself, CloudFormation asks CodeDeploy to shift it from the old version to the
new one (after the hook passed), and CodeDeploy moves it back when an alarm fires.

The names and logical IDs here are the one place the rollout watcher (cloud/stack), the deployer
policy (cloud/iam) and the tests read them from.
"""

from __future__ import annotations

from dataclasses import dataclass

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.common import Json, get_att, ref, sub
from lambdaserve.cloud.store.artifact_ref import (
    PARAM_HOOK_BUCKET,
    PARAM_HOOK_KEY,
    PLACEHOLDER_HOOK,
    ZipArtifact,
    is_placeholder,
)
from lambdaserve.config import Config

# Logical IDs.
CODEDEPLOY_APPLICATION = "CodeDeployApplication"
CODEDEPLOY_GROUP = "CodeDeployGroup"
CODEDEPLOY_ROLE = "CodeDeployRole"
HOOK_FUNCTION = "PreTrafficHook"
HOOK_ROLE = "PreTrafficHookRole"
HOOK_LOG_GROUP = "PreTrafficHookLogGroup"
ALARM_ERRORS = "NewVersionErrorsAlarm"
ALARM_5XX = "Api5xxAlarm"
ALARM_P99 = "NewVersionP99Alarm"
ALARMS = (ALARM_ERRORS, ALARM_5XX, ALARM_P99)
ROLLOUT_IDS = (CODEDEPLOY_APPLICATION, CODEDEPLOY_GROUP, CODEDEPLOY_ROLE, HOOK_FUNCTION, HOOK_ROLE,
               HOOK_LOG_GROUP, *ALARMS)

# The hook's code (lambdaserve/runtime/hook.py) and what it reads from its environment.
HOOK_HANDLER = "lambdaserve.runtime.hook.lambda_handler"
HOOK_TIMEOUT_S = 600  # a cold model's init plus each golden request; CodeDeploy waits up to an hour
HOOK_MEMORY_MB = 256
CODEDEPLOY_CONFIG_PREFIX = "CodeDeployDefault.Lambda"
HOOK_TARGET_ENV = "LAMBDASERVE_HOOK_TARGET"  # the new version's ARN (runtime/hook.py reads it)


@dataclass(frozen=True)
class RolloutNames:
    """The names AWS sees, derived from the stack's resource name so two stacks coexist."""

    application: str
    deployment_group: str
    hook_function: str
    alarm_errors: str
    alarm_5xx: str
    alarm_p99: str

    @property
    def alarms(self) -> tuple[str, str, str]:
        return (self.alarm_errors, self.alarm_5xx, self.alarm_p99)


def rollout_names(config: Config) -> RolloutNames:
    base, prefix = c.resource_name(config), alarm_prefix(config)
    return RolloutNames(application=base, deployment_group=c.ALIAS_NAME,
                        hook_function=f"{base}-pretraffic", alarm_errors=prefix + "new-version-errors",
                        alarm_5xx=prefix + "api-5xx", alarm_p99=prefix + "new-version-p99")


def alarm_prefix(config: Config) -> str:
    """Every alarm of the stack starts with this, and no other stack's does: app and stack names
    have no dots, so the deployer policy scopes cloudwatch to ``<prefix>*``."""
    return c.resource_name(config) + ".rollout."


def hook_log_group_name(config: Config) -> str:
    return f"/aws/lambda/{rollout_names(config).hook_function}"


def deployment_config_name(traffic_shift: str) -> str:
    """SAM's DeploymentPreference type -> CodeDeploy's predefined configuration name."""
    return CODEDEPLOY_CONFIG_PREFIX + traffic_shift


def _assume(service: str) -> Json:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}


def _arn(service: str, rest: str) -> Json:
    return sub(f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{rest}")


def deployment_group_arn(application: str, group: str) -> Json:
    """The group's ARN from the logical IDs of the application and the group (Ref: their names;
    SAM's twin names both itself)."""
    return _arn("codedeploy", f"deploymentgroup:{c.var(application)}/{c.var(group)}")


def codedeploy_role(config: Config) -> Json:
    """What CodeDeploy does for a Lambda deployment, on this stack's names only.

    Written out rather than AWS's managed AWSCodeDeployRoleForLambda, which may update any alias
    in the account and invoke any function named CodeDeployHook_*.
    """
    names = rollout_names(config)
    fn = f"function:{c.function_name(config)}"
    statements = [
        {"Effect": "Allow", "Action": ["lambda:GetAlias", "lambda:UpdateAlias",
                                       "lambda:GetProvisionedConcurrencyConfig"],
         "Resource": [_arn("lambda", fn), _arn("lambda", fn + ":*")]},
        {"Effect": "Allow", "Action": "lambda:InvokeFunction",
         "Resource": _arn("lambda", f"function:{names.hook_function}")},
        {"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms",
         "Resource": _arn("cloudwatch", f"alarm:{alarm_prefix(config)}*")},
    ]
    return {"Type": "AWS::IAM::Role", "Properties": {
        "Path": sub(c.role_path("${AWS::StackName}")),
        "AssumeRolePolicyDocument": _assume("codedeploy.amazonaws.com"),
        "Policies": [{"PolicyName": "shift-live-alias", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": statements}}]}}


def hook_role(config: Config, group_arn: Json) -> Json:
    """The hook invokes the model function's versions and reports to this deployment group."""
    fn = f"function:{c.function_name(config)}"
    return {"Type": "AWS::IAM::Role", "Properties": {
        "Path": sub(c.role_path("${AWS::StackName}")),
        "AssumeRolePolicyDocument": _assume("lambda.amazonaws.com"),
        "Policies": [{"PolicyName": "replay-golden-requests", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                 "Resource": get_att(HOOK_LOG_GROUP, "Arn")},
                # Qualified ARNs only (name:N): the hook never calls the alias or $LATEST.
                {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": _arn("lambda", fn + ":*")},
                {"Effect": "Allow", "Action": "codedeploy:PutLifecycleEventHookExecutionStatus",
                 "Resource": group_arn}]}}]}}


def hook_function(config: Config, bucket: Json, key: Json, target: Json) -> Json:
    """The pre-traffic hook: its own small zip (hook code + golden.json), the new version's ARN
    (``target``) in its environment. A new version changes the environment, so CloudFormation
    updates the hook before it updates the alias (which depends on it)."""
    return {"Type": "AWS::Lambda::Function", "Properties": {
        "FunctionName": rollout_names(config).hook_function,
        "Description": f"lambdaserve: replays {config.name}'s golden requests on a new version before "
                       "it takes traffic",
        "Role": get_att(HOOK_ROLE, "Arn"),
        "Runtime": config.runtime_id, "Handler": HOOK_HANDLER, "Architectures": ["x86_64"],
        "MemorySize": HOOK_MEMORY_MB, "Timeout": HOOK_TIMEOUT_S,
        "Code": {"S3Bucket": bucket, "S3Key": key},
        "Environment": {"Variables": {HOOK_TARGET_ENV: target}},
        "LoggingConfig": {"LogGroup": ref(HOOK_LOG_GROUP), "LogFormat": "Text"}}}


def _alarm(name: str, description: str, metric: Json, threshold: int) -> Json:
    props: Json = {"AlarmName": name, "AlarmDescription": description, **metric,
                   "Period": 60, "EvaluationPeriods": 1, "Threshold": threshold,
                   "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                   # No requests in a minute is no evidence against the version.
                   "TreatMissingData": "notBreaching"}
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": props}


def new_version_dimensions(version_number: Json) -> list[Json]:
    """Alias metrics split by the version that ran them: only the new version's invocations."""
    return [{"Name": "FunctionName", "Value": ref(c.FUNCTION)},
            {"Name": "Resource", "Value": sub(c.var(c.FUNCTION) + ":" + c.ALIAS_NAME)},
            {"Name": "ExecutedVersion", "Value": version_number}]


def _api_5xx_metric(config: Config) -> Json:
    if config.api.type == "rest":
        return {"Namespace": "AWS/ApiGateway", "MetricName": "5XXError", "Statistic": "Sum",
                "Dimensions": [{"Name": "ApiName", "Value": config.name},
                               {"Name": "Stage", "Value": config.api.stage}]}
    return {"Namespace": "AWS/ApiGateway", "MetricName": "5xx", "Statistic": "Sum",
            "Dimensions": [{"Name": "ApiId", "Value": ref(c.HTTP_API)},
                           {"Name": "Stage", "Value": config.api.stage}]}


def alarms(config: Config, version_number: Json) -> dict[str, Json]:
    """``version_number``: the new version's number (GetAtt of the Version, or SAM's own)."""
    names, d = rollout_names(config), config.deploy
    lam = {"Namespace": "AWS/Lambda", "Dimensions": new_version_dimensions(version_number)}
    return {
        ALARM_ERRORS: _alarm(names.alarm_errors, f"{d.alarm_errors}+ errors a minute in the new version",
                             {**lam, "MetricName": "Errors", "Statistic": "Sum"}, d.alarm_errors),
        ALARM_5XX: _alarm(names.alarm_5xx, f"{d.alarm_5xx}+ API 5xx answers a minute",
                          _api_5xx_metric(config), d.alarm_5xx),
        ALARM_P99: _alarm(names.alarm_p99, f"p99 duration of the new version at or over {d.alarm_p99_ms} ms",
                          {**lam, "MetricName": "Duration", "ExtendedStatistic": "p99"}, d.alarm_p99_ms),
    }


def codedeploy(config: Config) -> dict[str, Json]:
    names = rollout_names(config)
    group: Json = {
        "ApplicationName": ref(CODEDEPLOY_APPLICATION),
        "DeploymentGroupName": names.deployment_group,
        "ServiceRoleArn": get_att(CODEDEPLOY_ROLE, "Arn"),
        "DeploymentConfigName": deployment_config_name(config.deploy.traffic_shift),
        "DeploymentStyle": {"DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL"},
        # As SAM's DeploymentPreference: a stopped deployment (a user's, or an alarm's) rolls back.
        "AutoRollbackConfiguration": {"Enabled": True, "Events": [
            "DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]},
        "AlarmConfiguration": {"Enabled": True, "Alarms": [{"Name": ref(a)} for a in ALARMS]},
    }
    return {
        CODEDEPLOY_APPLICATION: {"Type": "AWS::CodeDeploy::Application", "Properties": {
            "ApplicationName": names.application, "ComputePlatform": "Lambda"}},
        CODEDEPLOY_ROLE: codedeploy_role(config),
        CODEDEPLOY_GROUP: {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": group},
    }


def alias_update_policy() -> Json:
    """The alias's UpdatePolicy: CloudFormation hands the alias move to CodeDeploy."""
    return {"CodeDeployLambdaAliasUpdate": {
        "ApplicationName": ref(CODEDEPLOY_APPLICATION), "DeploymentGroupName": ref(CODEDEPLOY_GROUP),
        "BeforeAllowTrafficHook": ref(HOOK_FUNCTION)}}


def hook_parameters(config: Config, hook: ZipArtifact | None) -> Json:
    """Where the hook's zip is, as Parameters defaulting to ``hook``; {} without a traffic shift."""
    if not config.deploy.traffic_shift:
        return {}
    hook = hook or PLACEHOLDER_HOOK
    note = " PLACEHOLDER: `lambdaserve deploy` passes the real value." if is_placeholder(hook) else ""
    return {
        PARAM_HOOK_BUCKET: {"Type": "String", "Default": hook.bucket,
                            "Description": "S3 bucket holding the pre-traffic hook's zip." + note},
        PARAM_HOOK_KEY: {"Type": "String", "Default": hook.key,
                         "Description": "S3 key of the pre-traffic hook's zip (its golden requests "
                                        "included)." + note},
    }


def hook_resources(config: Config, target: Json, group_arn: Json) -> dict[str, Json]:
    """The hook, its role and its log group (the plain template and the SAM twin share them).

    ``target``: the new version's ARN; ``group_arn``: the deployment group it reports to.
    """
    return {
        HOOK_LOG_GROUP: {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": hook_log_group_name(config),
            "RetentionInDays": config.deploy.log_retention_days}},
        HOOK_ROLE: hook_role(config, group_arn),
        HOOK_FUNCTION: hook_function(config, ref(PARAM_HOOK_BUCKET), ref(PARAM_HOOK_KEY), target),
    }


def rollout_resources(config: Config) -> dict[str, Json]:
    """Everything a traffic shift adds besides the alias's UpdatePolicy; {} without one."""
    if not config.deploy.traffic_shift:
        return {}
    resources = codedeploy(config)
    # Ref of a Version is its ARN (function:name:N): what the hook invokes.
    resources.update(hook_resources(config, ref(c.FUNCTION_VERSION),
                                    deployment_group_arn(CODEDEPLOY_APPLICATION, CODEDEPLOY_GROUP)))
    resources.update(alarms(config, get_att(c.FUNCTION_VERSION, "Version")))
    return resources
