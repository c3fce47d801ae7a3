"""Shared pieces of the CloudFormation template: logical IDs, names, intrinsics, log formats.

Names derived here (function, log groups, role path) are what the deployer policy scopes
to, so ``policy.py`` imports them from this one place.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from typing import Any

from lambdaserve.config import Config

HANDLER = "lambdaserve.runtime.handler.lambda_handler"
ALIAS_NAME = "live"
# Routes the runtime serves besides the prediction path (runtime/app.py).
BUILTIN_GET_PATHS = ("/health", "/metadata", "/openapi.json")
# /health stays open when api.auth is set: smoke tests and load balancers probe it without
# credentials, and it reveals nothing about the model.
PUBLIC_PATHS = ("/health",)
# The try-it page (api.docs), its files under a greedy path, and the page's root alias.
DOCS_GET_PATHS = ("/", "/docs", "/docs/{proxy+}")

# Logical IDs that deploy and tests refer to.
FUNCTION = "Function"
FUNCTION_ROLE = "FunctionRole"
FUNCTION_LOG_GROUP = "FunctionLogGroup"
FUNCTION_VERSION = "FunctionVersion"
FUNCTION_ALIAS = "FunctionAlias"
# REST and HTTP APIs are different resource types: CloudFormation refuses a type change under one
# logical ID, so each kind has its own IDs and switching api.type replaces the API.
API = "Api"
API_STAGE = "ApiStage"
HTTP_API = "HttpApi"
HTTP_API_STAGE = "HttpApiStage"
API_LOG_GROUP = "ApiLogGroup"
API_PERMISSION = "ApiInvokePermission"

Json = dict[str, Any]


def ref(name: str) -> Json:
    return {"Ref": name}


def get_att(name: str, attribute: str) -> Json:
    return {"Fn::GetAtt": [name, attribute]}


def sub(text: str) -> Json:
    return {"Fn::Sub": text}


def var(name: str) -> str:
    """``${name}`` for Fn::Sub (a plain helper: f-strings would need doubled braces)."""
    return "${" + name + "}"


def api_id(config: Config) -> str:
    return API if config.api.type == "rest" else HTTP_API


def api_stage_id(config: Config) -> str:
    return API_STAGE if config.api.type == "rest" else HTTP_API_STAGE


def resource_name(config: Config) -> str:
    """The name of everything the stack names (function, log groups, rule).

    The app's name under the default stack name (what every earlier deploy used), the stack's
    name when deploy.stack_name is set: two stacks of one project then coexist in one account.
    """
    return config.deploy.stack_name or config.name


def function_name(config: Config) -> str:
    return resource_name(config)


def function_log_group_name(config: Config) -> str:
    # Lambda's own default, so the console and `aws logs tail` find it.
    return f"/aws/lambda/{function_name(config)}"


def api_log_group_name(config: Config) -> str:
    if config.api.type == "http":
        # HTTP APIs deliver access logs as vended logs: under /aws/vendedlogs/ CloudWatch Logs does
        # not add each group to the account's log-delivery resource policy (which has a size limit).
        return f"/aws/vendedlogs/lambdaserve/{resource_name(config)}/api-access"
    return f"/lambdaserve/{resource_name(config)}/api-access"


def all_log_group_names(config: Config) -> tuple[str, ...]:
    """Every log group any lambdaserve template of this app may have held (the policy scopes to them)."""
    groups = [function_log_group_name(config)]
    for kind in ("rest", "http"):
        groups.append(api_log_group_name(replace(config, api=replace(config.api, type=kind))))
    return tuple(groups)


def role_path(stack_name: str) -> str:
    """Every role of the stack lives under this IAM path; the deployer policy scopes to it."""
    return f"/lambdaserve/{stack_name}/"


def invoke_target_var() -> str:
    """The same target as an Fn::Sub variable."""
    return var(FUNCTION_ALIAS)


def api_base_url(api: str, stage: str) -> Json:
    """https://<api id>.execute-api.<region>.amazonaws.com/<stage> (``stage`` may be a ${var})."""
    return sub("https://" + var(api) + ".execute-api.${AWS::Region}.${AWS::URLSuffix}/" + stage)


def execute_api_arn(api: str) -> Json:
    """Any stage, method and path of this stack's API: what API Gateway may invoke."""
    return sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:" + var(api) + "/*")


def invoke_target() -> Json:
    """What every front and its permission invoke: the alias ARN, never $LATEST.

    So a deploy's new code takes traffic only once its version is published and the alias moved,
    and a rollback is one alias update (the Ref of an AWS::Lambda::Alias is its ARN).
    """
    return ref(FUNCTION_ALIAS)


def short_hash(value: Any, length: int = 10) -> str:
    """A stable hash of a JSON-able value, for logical IDs and descriptions that must change with it."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def logical_id(*parts: str) -> str:
    """CamelCase alphanumeric ID from path-ish parts, e.g. ('openapi.json', 'Get') -> OpenapiJsonGet."""
    words = [w for p in parts for w in re.split(r"[^A-Za-z0-9]+", p) if w]
    return "".join(w[:1].upper() + w[1:] for w in words)


def access_log_format(kind: str) -> str:
    """One JSON object per request; the integration fields explain a bare 'Internal server error'."""
    fields: dict[str, str] = {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "path": "$context.path",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationStatus": "$context.integration.status",
        "integrationError": "$context.integration.error",
        "integrationErrorMessage": "$context.integrationErrorMessage",
    }
    if kind == "rest":
        fields["resourcePath"] = "$context.resourcePath"
        fields["integrationLatency"] = "$context.integrationLatency"
        fields["errorMessage"] = "$context.error.message"
    else:
        fields["routeKey"] = "$context.routeKey"
        fields["integrationLatency"] = "$context.integration.latency"
        fields["errorMessage"] = "$context.error.message"
    # Every value quoted: API Gateway writes "-" for a missing one, which bare would break the JSON.
    body = ",".join(f'"{k}":"{v}"' for k, v in fields.items())
    return "{" + body + "}"


def api_paths(config: Config) -> list[tuple[str, str]]:
    """(path, method) pairs the API routes to the function, predict first."""
    gets = BUILTIN_GET_PATHS + (DOCS_GET_PATHS if config.api.docs else ())
    return [(config.api.path, "POST")] + [(p, "GET") for p in gets if p != config.api.path]


def docs_binary_media_types() -> list[str]:
    """The try-it page's gzip-compressed assets (runtime/docs.py BINARY_MEDIA_TYPES), which REST
    decodes from base64 only for these types; CloudFormation writes "/" as "~1" here."""
    return ["application~1javascript", "text~1css"]


def public_paths(config: Config) -> tuple[str, ...]:
    """Paths open whatever api.auth says. With api.docs the page, its files and the spec it reads
    are open too: a browser cannot add an API key or a signature to a page load, and the spec
    shows only the inputs' schema. Predictions still need the key."""
    if not config.api.docs:
        return PUBLIC_PATHS
    return PUBLIC_PATHS + DOCS_GET_PATHS + ("/openapi.json",)


# API Gateway's default account-level throttling (requests per second, burst), per region.
ACCOUNT_THROTTLE_RATE = 10000
ACCOUNT_THROTTLE_BURST = 5000


def throttle(config: Config, rate_key: str, burst_key: str, *, both: bool = False) -> Json:
    """The config's throttling under the key names each resource type uses; {} means none.

    ``both``: the resource takes an unset value as 0, which refuses every request (HTTP API route
    settings), so a value left at 0 ("the account default") is written as that default.
    """
    rate, burst = config.api.throttling_rate, config.api.throttling_burst
    if both and (rate or burst):
        rate, burst = rate or ACCOUNT_THROTTLE_RATE, burst or ACCOUNT_THROTTLE_BURST
    out: Json = {}
    if rate:
        out[rate_key] = rate
    if burst:
        out[burst_key] = burst
    return out
