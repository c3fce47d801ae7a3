"""The REST API (API Gateway v1): explicit resources, methods, deployment and stage."""

from __future__ import annotations

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.common import Json, get_att, ref, sub
from lambdaserve.config import Config
from lambdaserve.config.cors import CORS_HEADERS, CORS_MAX_AGE_S, CORS_METHODS

ACCOUNT = "ApiGatewayAccount"
ACCOUNT_ROLE = "ApiGatewayLogsRole"  # retained on delete; destroy settles it (cloud/stack/logging_role.py)
LOGS_POLICY = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"  # AWS's managed policy for it
API_KEY = "ApiKey"
USAGE_PLAN = "ApiUsagePlan"
USAGE_PLAN_KEY = "ApiUsagePlanKey"
DEPLOYMENT_PREFIX = "ApiDeployment"
ROOT = "ApiRoot"  # stands for the RestApi's RootResourceId in method names


def logs_policy_arn(partition: str) -> str:
    """The managed policy the logging role holds, the only one the deployer may attach or detach."""
    return f"arn:{partition}:iam::aws:policy/{LOGS_POLICY}"


def integration_uri(config: Config) -> Json:
    target = c.invoke_target_var()
    return sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
               f"{target}/invocations")


def _resources(config: Config) -> tuple[dict[str, Json], dict[str, str]]:
    """One AWS::ApiGateway::Resource per path prefix; returns them and path -> logical ID."""
    resources: dict[str, Json] = {}
    ids: dict[str, str] = {}
    for path, _method in c.api_paths(config):
        parent: Json = get_att(c.API, "RootResourceId")
        if path == "/":  # the API's own root resource: methods attach to it directly
            ids[path] = ROOT
            continue
        prefix = ""
        for segment in path.strip("/").split("/"):
            prefix += "/" + segment
            if prefix not in ids:
                rid = "ApiPath" + c.logical_id(prefix)
                while rid in resources:  # '/a-b' and '/ab' sanitise alike
                    rid += "X"
                ids[prefix] = rid
                resources[rid] = {"Type": "AWS::ApiGateway::Resource", "Properties": {
                    "RestApiId": ref(c.API), "ParentId": parent, "PathPart": segment}}
            parent = ref(ids[prefix])
    return resources, ids


def _resource_ref(resource_id: str) -> Json:
    return get_att(c.API, "RootResourceId") if resource_id == ROOT else ref(resource_id)


def _method(config: Config, path: str, verb: str, resource_id: str) -> Json:
    public = path in c.public_paths(config)
    auth = config.api.auth
    return {"Type": "AWS::ApiGateway::Method", "Properties": {
        "RestApiId": ref(c.API), "ResourceId": _resource_ref(resource_id), "HttpMethod": verb,
        "AuthorizationType": "AWS_IAM" if auth == "iam" and not public else "NONE",
        "ApiKeyRequired": auth == "api_key" and not public,
        "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST",
                        "Uri": integration_uri(config)}}}


def _cors_method(config: Config, resource_id: str) -> Json:
    """Preflight answered by API Gateway itself: browsers send it without credentials."""
    origins = config.api.cors_origins
    if len(origins) > 1:
        # A static mock can name one origin only; with several, the function answers the
        # preflight and echoes the matching origin (LAMBDASERVE_CORS_ORIGINS).
        return {"Type": "AWS::ApiGateway::Method", "Properties": {
            "RestApiId": ref(c.API), "ResourceId": _resource_ref(resource_id), "HttpMethod": "OPTIONS",
            "AuthorizationType": "NONE", "ApiKeyRequired": False,
            "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST",
                            "Uri": integration_uri(config)}}}
    headers = {
        "Access-Control-Allow-Origin": f"'{origins[0]}'",
        "Access-Control-Allow-Methods": f"'{','.join(CORS_METHODS)}'",
        "Access-Control-Allow-Headers": f"'{','.join(CORS_HEADERS['rest'])}'",
        "Access-Control-Max-Age": f"'{CORS_MAX_AGE_S}'",
    }
    return {"Type": "AWS::ApiGateway::Method", "Properties": {
        "RestApiId": ref(c.API), "ResourceId": _resource_ref(resource_id), "HttpMethod": "OPTIONS",
        "AuthorizationType": "NONE", "ApiKeyRequired": False,
        "Integration": {
            "Type": "MOCK", "RequestTemplates": {"application/json": '{"statusCode": 200}'},
            "IntegrationResponses": [{"StatusCode": "200", "ResponseParameters": {
                f"method.response.header.{k}": v for k, v in headers.items()}}]},
        "MethodResponses": [{"StatusCode": "200", "ResponseParameters": {
            f"method.response.header.{k}": True for k in headers}}]}}


def gateway_response_headers(config: Config) -> dict[str, str]:
    """CORS headers on API Gateway's own errors (403 key, 429 throttle, 502), or the browser
    shows a CORS failure instead of the status. Static, so only for a single origin."""
    if len(config.api.cors_origins) != 1:
        return {}
    return {"Access-Control-Allow-Origin": f"'{config.api.cors_origins[0]}'"}


def _gateway_responses(config: Config) -> dict[str, Json]:
    headers = gateway_response_headers(config)
    if not headers:
        return {}
    return {f"ApiGatewayResponse{kind}": {
        "Type": "AWS::ApiGateway::GatewayResponse", "Properties": {
            "RestApiId": ref(c.API), "ResponseType": f"DEFAULT_{kind}",
            "ResponseParameters": {f"gatewayresponse.header.{k}": v for k, v in headers.items()}}}
        for kind in ("4XX", "5XX")}


def _methods(config: Config, ids: dict[str, str]) -> dict[str, Json]:
    methods: dict[str, Json] = {}
    for path, verb in c.api_paths(config):
        rid = ids[path]
        methods[rid + verb.title()] = _method(config, path, verb, rid)
        if config.api.cors_origins:
            methods[rid + "Options"] = _cors_method(config, rid)
    return methods


def account_resources(after: tuple[str, ...] = (c.API, c.FUNCTION)) -> dict[str, Json]:
    """API Gateway writes REST access logs through one role set per account and region.

    The stack sets it (replacing any role set before, which is harmless: both may only push
    logs) and retains both on delete, since other APIs in the account may rely on it.
    """
    role: Json = {"Type": "AWS::IAM::Role", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                  "Properties": {
                      "Path": sub(c.role_path("${AWS::StackName}")),
                      "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                          "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                          "Action": "sts:AssumeRole"}]},
                      "ManagedPolicyArns": [sub(logs_policy_arn("${AWS::Partition}"))]}}
    # IAM is eventually consistent: a role used the moment it exists can be refused ("The role ARN
    # does not have required permissions set to API Gateway"). Waiting for the API and the function
    # (whose own creation waits for its role) gives the logging role that time on a first create.
    account: Json = {"Type": "AWS::ApiGateway::Account", "DeletionPolicy": "Retain",
                     "UpdateReplacePolicy": "Retain", "DependsOn": list(after),
                     "Properties": {"CloudWatchRoleArn": get_att(ACCOUNT_ROLE, "Arn")}}
    return {ACCOUNT_ROLE: role, ACCOUNT: account}


def _stage(config: Config, deployment_id: str) -> Json:
    props: Json = {
        "RestApiId": ref(c.API), "StageName": config.api.stage, "DeploymentId": ref(deployment_id),
        "AccessLogSetting": {"DestinationArn": get_att(c.API_LOG_GROUP, "Arn"),
                             "Format": c.access_log_format("rest")},
    }
    throttle = c.throttle(config, "ThrottlingRateLimit", "ThrottlingBurstLimit")
    if throttle:
        props["MethodSettings"] = [{"ResourcePath": "/*", "HttpMethod": "*", **throttle}]
    return {"Type": "AWS::ApiGateway::Stage", "DependsOn": [ACCOUNT], "Properties": props}


def _api_key(config: Config) -> dict[str, Json]:
    plan: Json = {"UsagePlanName": config.name,
                  "ApiStages": [{"ApiId": ref(c.API), "Stage": ref(c.API_STAGE)}]}
    throttle = c.throttle(config, "RateLimit", "BurstLimit")
    if throttle:
        plan["Throttle"] = throttle
    return {
        API_KEY: {"Type": "AWS::ApiGateway::ApiKey", "Properties": {
            "Name": config.name, "Enabled": True, "Description": f"Key for {config.name}"}},
        USAGE_PLAN: {"Type": "AWS::ApiGateway::UsagePlan", "Properties": plan},
        USAGE_PLAN_KEY: {"Type": "AWS::ApiGateway::UsagePlanKey", "Properties": {
            "KeyId": ref(API_KEY), "KeyType": "API_KEY", "UsagePlanId": ref(USAGE_PLAN)}},
    }


def rest_resources(config: Config) -> dict[str, Json]:
    resources: dict[str, Json] = {c.API: {"Type": "AWS::ApiGateway::RestApi", "Properties": {
        "Name": config.name, "Description": f"lambdaserve inference API for {config.name}",
        "EndpointConfiguration": {"Types": ["REGIONAL"]}}}}
    if config.api.docs:
        resources[c.API]["Properties"]["BinaryMediaTypes"] = c.docs_binary_media_types()
    path_resources, ids = _resources(config)
    methods = _methods(config, ids)
    responses = _gateway_responses(config)
    resources.update(path_resources)
    resources.update(methods)
    resources.update(responses)
    # A Deployment is a snapshot: a new logical ID whenever the routes change makes CloudFormation
    # take a new one (and the stage switch to it).
    deployment_id = DEPLOYMENT_PREFIX + c.short_hash({**path_resources, **methods, **responses})
    resources[deployment_id] = {"Type": "AWS::ApiGateway::Deployment",
                                "DependsOn": sorted(methods) + sorted(responses),
                                "Properties": {"RestApiId": ref(c.API),
                                               "Description": f"routes {deployment_id[-10:]}"}}
    resources.update(account_resources())
    resources[c.API_STAGE] = _stage(config, deployment_id)
    resources[c.API_PERMISSION] = {"Type": "AWS::Lambda::Permission", "Properties": {
        "FunctionName": c.invoke_target(), "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": c.execute_api_arn(c.API)}}
    if config.api.auth == "api_key":
        resources.update(_api_key(config))
    return resources


def rest_url(config: Config) -> Json:
    return c.api_base_url(c.API, config.api.stage)

