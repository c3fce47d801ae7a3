"""The SAM export: the same app as ``render_template`` in SAM syntax, for users of `sam deploy`.

Shared with the plain template: the artifact Parameters, the execution role, both log groups,
the account-level logging role for REST access logs, and the Outputs. SAM generates the rest
(API resources, deployment, permissions, version and alias, schedule, Function URL).
SAM publishes a new version when the hash of the (resolved) code location changes;
``AutoPublishCodeSha256`` adds the artifact's own hash, and ``AutoPublishAliasAllProperties``
the configuration, as the plain template's version description does.
"""

from __future__ import annotations

from typing import Any

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.common import Json, get_att, ref
from lambdaserve.cloud.cfn.function import execution_role, function, log_group, parameters
from lambdaserve.cloud.cfn.options import function_url_auth, keep_warm_rule_name
from lambdaserve.cloud.cfn.outputs import api_log_group, description, outputs
from lambdaserve.cloud.cfn.rest_api import ACCOUNT, account_resources, gateway_response_headers
from lambdaserve.cloud.cfn.rollout import (
    ALARM_5XX,
    ALARMS,
    CODEDEPLOY_ROLE,
    HOOK_FUNCTION,
    alarms,
    codedeploy_role,
    deployment_group_arn,
    hook_parameters,
    hook_resources,
    rollout_names,
)
from lambdaserve.cloud.store.artifact_ref import (
    PARAM_BUCKET,
    PARAM_IMAGE_URI,
    PARAM_KEY,
    Artifact,
    ImageArtifact,
    ZipArtifact,
)
from lambdaserve.config import Config
from lambdaserve.config.cors import CORS_HEADERS, CORS_MAX_AGE_S, CORS_METHODS

TRANSFORM = "AWS::Serverless-2016-10-31"
# The logical IDs SAM gives what DeploymentPreference generates (the group: <function>DeploymentGroup).
SAM_CODEDEPLOY_APPLICATION = "ServerlessDeploymentApplication"


def _events(config: Config) -> Json:
    events: Json = {}
    several_origins = config.api.type == "rest" and len(config.api.cors_origins) > 1
    # Overrides the API's default auth for /health and preflights.
    open_auths: dict[str, Json] = {"iam": {"Authorizer": "NONE"}, "api_key": {"ApiKeyRequired": False}}
    open_auth = open_auths.get(config.api.auth)
    for path, verb in c.api_paths(config):
        props: Json = {"Path": path, "Method": verb.lower()}
        if path in c.public_paths(config) and open_auth:
            props["Auth"] = dict(open_auth)
        if config.api.type == "rest":
            events[c.logical_id(path, verb.title())] = {
                "Type": "Api", "Properties": {"RestApiId": ref(c.API), **props}}
            if several_origins:
                # As in the plain template: the function answers preflights for several origins.
                preflight: Json = {"RestApiId": ref(c.API), "Path": path, "Method": "options"}
                if open_auth:
                    preflight["Auth"] = dict(open_auth)
                events[c.logical_id(path, "Options")] = {"Type": "Api", "Properties": preflight}
        else:
            events[c.logical_id(path, verb.title())] = {
                "Type": "HttpApi", "Properties": {"ApiId": ref(c.HTTP_API), **props}}
    if config.function.keep_warm:
        events["KeepWarm"] = {"Type": "Schedule", "Properties": {
            "Schedule": config.function.keep_warm, "Name": keep_warm_rule_name(config),
            "Description": f"Keeps {config.name} warm"}}
    return events


def _function(config: Config, artifact: Artifact) -> Json:
    props = dict(function(config, artifact)["Properties"])
    del props["Code"]
    configuration = dict(props)  # before the code location: what a version freezes besides code
    if isinstance(artifact, ImageArtifact):
        props["ImageUri"] = ref(PARAM_IMAGE_URI)
        code_hash = artifact.digest
    else:
        props["CodeUri"] = {"Bucket": ref(PARAM_BUCKET), "Key": ref(PARAM_KEY)}
        code_hash = artifact.sha256
    # As in the plain template, every front invokes the alias: SAM points events, the schedule
    # and the Function URL at it when AutoPublishAlias is set.
    props["AutoPublishAlias"] = c.ALIAS_NAME
    # SAM names the version after this value alone when it is set, ignoring
    # AutoPublishAliasAllProperties: so it hashes the code and the configuration together
    # (a memory change publishes a version), as plain hex (a "sha256:" digest breaks the IDs).
    props["AutoPublishCodeSha256"] = c.short_hash({"code": code_hash, "config": configuration}, 64)
    props["AutoPublishAliasAllProperties"] = True
    if config.function.provisioned_concurrency:
        props["ProvisionedConcurrencyConfig"] = {
            "ProvisionedConcurrentExecutions": config.function.provisioned_concurrency}
    if config.api.function_url:
        url: Json = {"AuthType": function_url_auth(config), "InvokeMode": "BUFFERED"}
        if config.api.cors_origins:
            url["Cors"] = {"AllowOrigins": list(config.api.cors_origins), "AllowMethods": ["GET", "POST"],
                           "AllowHeaders": ["content-type"], "MaxAge": 600}
        props["FunctionUrlConfig"] = url
    props["Events"] = _events(config)
    if config.deploy.traffic_shift:
        # SAM makes the CodeDeploy application and group; the role and the hook are ours, as in
        # the plain template (SAM's default role is AWS's managed, account-wide one).
        # An HTTP API's 5xx alarm names the API, whose SAM body names the alias, which waits for
        # the group: a Ref to that alarm would close a cycle, so the group gets its name.
        alarm_names = dict(zip(ALARMS, rollout_names(config).alarms, strict=True))
        props["DeploymentPreference"] = {
            "Type": config.deploy.traffic_shift, "Role": get_att(CODEDEPLOY_ROLE, "Arn"),
            "Alarms": [alarm_names[a] if a == ALARM_5XX and config.api.type == "http" else ref(a)
                       for a in ALARMS],
            "Hooks": {"PreTraffic": ref(HOOK_FUNCTION)}}
    return {"Type": "AWS::Serverless::Function", "Properties": props}


def _rest_api(config: Config) -> Json:
    props: Json = {
        "Name": config.name, "StageName": config.api.stage,
        "OpenApiVersion": "3.0.1",  # stops SAM adding a stray stage called "Stage"
        "EndpointConfiguration": {"Type": "REGIONAL"},
        "AccessLogSetting": {"DestinationArn": get_att(c.API_LOG_GROUP, "Arn"),
                             "Format": c.access_log_format("rest")},
    }
    throttle = c.throttle(config, "ThrottlingRateLimit", "ThrottlingBurstLimit")
    if throttle:
        props["MethodSettings"] = [{"ResourcePath": "/*", "HttpMethod": "*", **throttle}]
    # Browsers send CORS preflights without credentials: SAM's defaults would put the API's
    # auth on the OPTIONS methods too, and every preflight would get a 403.
    if config.api.auth == "iam":
        props["Auth"] = {"DefaultAuthorizer": "AWS_IAM", "AddDefaultAuthorizerToCorsPreflight": False}
    elif config.api.auth == "api_key":
        plan: Json = {"CreateUsagePlan": "PER_API"}
        plan_throttle = c.throttle(config, "RateLimit", "BurstLimit")
        if plan_throttle:
            plan["Throttle"] = plan_throttle
        props["Auth"] = {"ApiKeyRequired": True, "UsagePlan": plan,
                         "AddApiKeyRequiredToCorsPreflight": False}
    if config.api.docs:
        props["BinaryMediaTypes"] = c.docs_binary_media_types()
    headers = gateway_response_headers(config)
    if headers:
        props["GatewayResponses"] = {f"DEFAULT_{kind}": {"ResponseParameters": {"Headers": headers}}
                                     for kind in ("4XX", "5XX")}
    if len(config.api.cors_origins) == 1:
        props["Cors"] = {"AllowOrigin": f"'{config.api.cors_origins[0]}'",
                         "AllowMethods": f"'{','.join(CORS_METHODS)}'",
                         "AllowHeaders": f"'{','.join(CORS_HEADERS['rest'])}'",
                         "MaxAge": f"'{CORS_MAX_AGE_S}'"}
    return {"Type": "AWS::Serverless::Api", "DependsOn": [ACCOUNT], "Properties": props}


def _http_api(config: Config) -> Json:
    props: Json = {
        "Name": config.name, "StageName": config.api.stage,
        "AccessLogSettings": {"DestinationArn": get_att(c.API_LOG_GROUP, "Arn"),
                              "Format": c.access_log_format("http")},
    }
    throttle = c.throttle(config, "ThrottlingRateLimit", "ThrottlingBurstLimit", both=True)
    if throttle:
        props["DefaultRouteSettings"] = throttle
    if config.api.auth == "iam":
        props["Auth"] = {"EnableIamAuthorizer": True, "DefaultAuthorizer": "AWS_IAM"}
    if config.api.cors_origins:
        props["CorsConfiguration"] = {
            "AllowOrigins": list(config.api.cors_origins), "AllowMethods": list(CORS_METHODS),
            "AllowHeaders": list(CORS_HEADERS["http"]), "MaxAge": CORS_MAX_AGE_S}
    return {"Type": "AWS::Serverless::HttpApi", "Properties": props}


def _sam_outputs(config: Config) -> Json:
    out = outputs(config)
    if config.api.function_url:
        # SAM names the URL resource after the function.
        out["FunctionUrl"]["Value"] = get_att(c.FUNCTION + "Url", "FunctionUrl")
    if "ApiKeyId" in out:
        out["ApiKeyId"]["Value"] = ref(c.API + "ApiKey")
    return out


def render_sam(config: Config, artifact: Artifact, hook: ZipArtifact | None = None) -> dict[str, Any]:
    resources: dict[str, Json] = {
        c.FUNCTION_LOG_GROUP: log_group(config),
        c.FUNCTION_ROLE: execution_role(config),
        c.API_LOG_GROUP: api_log_group(config),
    }
    if config.api.type == "rest":
        # not after the API: SAM's API waits for the account setting (its stage needs it)
        resources.update(account_resources(after=(c.FUNCTION,)))
        resources[c.API] = _rest_api(config)
    else:
        resources[c.HTTP_API] = _http_api(config)
    resources[c.FUNCTION] = _function(config, artifact)
    if config.deploy.traffic_shift:
        resources[CODEDEPLOY_ROLE] = codedeploy_role(config)
        # SAM's own references to the version it publishes: Ref is the ARN, GetAtt the number.
        resources.update(hook_resources(config, ref(f"{c.FUNCTION}.Version"), deployment_group_arn(
            SAM_CODEDEPLOY_APPLICATION, c.FUNCTION + "DeploymentGroup")))
        resources.update(alarms(config, get_att(f"{c.FUNCTION}.Version", "Version")))
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": TRANSFORM,
        "Description": description(config) + " (SAM export)",
        "Parameters": {**parameters(artifact), **hook_parameters(config, hook)},
        "Resources": resources,
        "Outputs": _sam_outputs(config),
    }
