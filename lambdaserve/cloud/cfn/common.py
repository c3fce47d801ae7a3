"""Shared pieces of the CloudFormation template: logical IDs, names, intrinsics, log formats.

Names derived here (function, log groups, role path) are what the deployer policy scopes
to, so ``policy.py`` imports them from this one place.
"""

from __future__ import annotations

import hashlib
import json
import re
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
API = "Api"
API_STAGE = "ApiStage"
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


def function_name(config: Config) -> str:
    return config.name


def function_log_group_name(config: Config) -> str:
    # Lambda's own default, so the console and `aws logs tail` find it.
    return f"/aws/lambda/{function_name(config)}"


def api_log_group_name(config: Config) -> str:
    return f"/lambdaserve/{config.name}/api-access"


def role_path(stack_name: str) -> str:
    """Every role of the stack lives under this IAM path; the deployer policy scopes to it."""
    return f"/lambdaserve/{stack_name}/"


def uses_alias(config: Config) -> bool:
    """Provisioned concurrency and SnapStart both need a published version behind an alias."""
    return config.function.provisioned_concurrency > 0 or config.function.snapstart


def invoke_target_var(config: Config) -> str:
    """The same target as an Fn::Sub variable."""
    return var(FUNCTION_ALIAS) if uses_alias(config) else var(FUNCTION + ".Arn")


def api_base_url(stage: str) -> Json:
    """https://<api id>.execute-api.<region>.amazonaws.com/<stage> (``stage`` may be a ${var})."""
    return sub("https://" + var(API) + ".execute-api.${AWS::Region}.${AWS::URLSuffix}/" + stage)


def execute_api_arn() -> Json:
    """Any stage, method and path of this stack's API: what API Gateway may invoke."""
    return sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:" + var(API) + "/*")


def invoke_target(config: Config) -> Json:
    """What the API, the schedule and the permissions invoke: the alias ARN or the function ARN."""
    return ref(FUNCTION_ALIAS) if uses_alias(config) else get_att(FUNCTION, "Arn")


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


def throttle(config: Config, rate_key: str, burst_key: str) -> Json:
    """The config's throttling under the key names each resource type uses; {} means none."""
    out: Json = {}
    if config.api.throttling_rate:
        out[rate_key] = config.api.throttling_rate
    if config.api.throttling_burst:
        out[burst_key] = config.api.throttling_burst
    return out
