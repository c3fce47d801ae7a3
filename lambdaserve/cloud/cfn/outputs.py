"""Template outputs (the keys deploy reads), the description and the API's access log group."""

from __future__ import annotations

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.common import Json, get_att, ref
from lambdaserve.cloud.cfn.http_api import http_url
from lambdaserve.cloud.cfn.options import FUNCTION_URL
from lambdaserve.cloud.cfn.rest_api import API_KEY, rest_url
from lambdaserve.config import Config

OUTPUT_API_URL = "ApiUrl"
OUTPUT_PREDICT_URL = "PredictUrl"
OUTPUT_FUNCTION_NAME = "FunctionName"
OUTPUT_FUNCTION_ARN = "FunctionArn"
OUTPUT_LOG_GROUP = "LogGroupName"
OUTPUT_API_LOG_GROUP = "ApiLogGroupName"
OUTPUT_FUNCTION_URL = "FunctionUrl"
OUTPUT_API_KEY_ID = "ApiKeyId"


def description(config: Config) -> str:
    return (f"lambdaserve: {config.name} ({config.model.framework} model) behind an API Gateway "
            f"{config.api.type.upper()} API")


def outputs(config: Config) -> Json:
    url = rest_url(config) if config.api.type == "rest" else http_url(config)
    out: Json = {
        OUTPUT_API_URL: {"Description": "Base URL of the API stage (no trailing slash)", "Value": url},
        OUTPUT_PREDICT_URL: {"Description": "POST predictions here",
                             "Value": {"Fn::Join": ["", [url, config.api.path]]}},
        OUTPUT_FUNCTION_NAME: {"Value": ref(c.FUNCTION)},
        OUTPUT_FUNCTION_ARN: {"Value": get_att(c.FUNCTION, "Arn")},
        OUTPUT_LOG_GROUP: {"Description": "The function's logs", "Value": ref(c.FUNCTION_LOG_GROUP)},
        OUTPUT_API_LOG_GROUP: {"Description": "API Gateway access logs (JSON)",
                               "Value": ref(c.API_LOG_GROUP)},
    }
    if config.api.function_url:
        out[OUTPUT_FUNCTION_URL] = {"Value": get_att(FUNCTION_URL, "FunctionUrl")}
    if config.api.type == "rest" and config.api.auth == "api_key":
        out[OUTPUT_API_KEY_ID] = {
            "Description": "aws apigateway get-api-key --include-value --api-key <id> prints the key",
            "Value": ref(API_KEY)}
    return out


def api_log_group(config: Config) -> Json:
    return {"Type": "AWS::Logs::LogGroup", "Properties": {
        "LogGroupName": c.api_log_group_name(config),
        "RetentionInDays": config.deploy.log_retention_days}}
