"""Optional resources: a Function URL and a keep-warm schedule."""

from __future__ import annotations

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.common import Json, get_att, ref
from lambdaserve.config import Config

FUNCTION_URL = "FunctionUrl"
FUNCTION_URL_PERMISSION = "FunctionUrlPermission"
FUNCTION_URL_INVOKE_PERMISSION = "FunctionUrlInvokePermission"
KEEP_WARM_RULE = "KeepWarmRule"
KEEP_WARM_PERMISSION = "KeepWarmPermission"


def keep_warm_rule_name(config: Config) -> str:
    # Named, so the deployer policy can scope events:* to this one rule (at most 64 characters).
    return f"{c.resource_name(config)}-keep-warm"


def function_url_auth(config: Config) -> str:
    # A public URL would bypass the API's key or IAM check, so any API auth makes the URL IAM-only.
    return "NONE" if config.api.auth == "none" else "AWS_IAM"


def function_url(config: Config) -> dict[str, Json]:
    # The URL is on the alias (Qualifier), like every other front.
    props: Json = {"TargetFunctionArn": ref(c.FUNCTION), "Qualifier": c.ALIAS_NAME,
                   "AuthType": function_url_auth(config), "InvokeMode": "BUFFERED"}
    if config.api.cors_origins:
        props["Cors"] = {"AllowOrigins": list(config.api.cors_origins), "AllowMethods": ["GET", "POST"],
                         "AllowHeaders": ["content-type"], "MaxAge": 600}
    url: Json = {"Type": "AWS::Lambda::Url", "DependsOn": [c.FUNCTION_ALIAS], "Properties": props}
    resources = {FUNCTION_URL: url}
    if function_url_auth(config) == "NONE":
        target = c.invoke_target()
        # Public URLs need both grants since October 2025: InvokeFunctionUrl, and InvokeFunction
        # limited to calls that come through the URL.
        resources[FUNCTION_URL_PERMISSION] = {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": target, "Action": "lambda:InvokeFunctionUrl", "Principal": "*",
            "FunctionUrlAuthType": "NONE"}}
        resources[FUNCTION_URL_INVOKE_PERMISSION] = {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": target, "Action": "lambda:InvokeFunction", "Principal": "*",
            "InvokedViaFunctionUrl": True}}
    return resources


def keep_warm(config: Config) -> dict[str, Json]:
    """An EventBridge schedule invoking the function with EventBridge's own 'Scheduled Event'.

    No custom payload: the runtime sees the standard event shape (source "aws.events").
    """
    target = c.invoke_target()
    return {
        KEEP_WARM_RULE: {"Type": "AWS::Events::Rule", "Properties": {
            "Name": keep_warm_rule_name(config), "Description": f"Keeps {config.name} warm",
            "ScheduleExpression": config.function.keep_warm, "State": "ENABLED",
            "Targets": [{"Arn": target, "Id": "function"}]}},
        KEEP_WARM_PERMISSION: {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": target, "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com", "SourceArn": get_att(KEEP_WARM_RULE, "Arn")}},
    }


def option_resources(config: Config) -> dict[str, Json]:
    resources: dict[str, Json] = {}
    if config.api.function_url:
        resources.update(function_url(config))
    if config.function.keep_warm:
        resources.update(keep_warm(config))
    return resources
