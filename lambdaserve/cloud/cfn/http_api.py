"""The HTTP API (API Gateway v2): one Lambda integration with payload 2.0, routes and a stage."""

from __future__ import annotations

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.common import Json, get_att, ref, sub
from lambdaserve.config import Config
from lambdaserve.config.cors import CORS_HEADERS, CORS_MAX_AGE_S, CORS_METHODS

INTEGRATION = "ApiIntegration"


def http_resources(config: Config) -> dict[str, Json]:
    # api_key with an HTTP API (which has no API keys) is refused by config.load.
    api_props: Json = {"Name": config.name, "ProtocolType": "HTTP",
                       "Description": f"lambdaserve inference API for {config.name}"}
    if config.api.cors_origins:
        api_props["CorsConfiguration"] = {
            "AllowOrigins": list(config.api.cors_origins), "AllowMethods": list(CORS_METHODS),
            "AllowHeaders": list(CORS_HEADERS["http"]), "MaxAge": CORS_MAX_AGE_S}
    resources: dict[str, Json] = {
        c.HTTP_API: {"Type": "AWS::ApiGatewayV2::Api", "Properties": api_props},
        INTEGRATION: {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
            "ApiId": ref(c.HTTP_API), "IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0",
            "IntegrationUri": c.invoke_target(),
            "TimeoutInMillis": min(30000, config.function.timeout * 1000 + 1000)}},
    }
    for path, verb in c.api_paths(config):
        iam = config.api.auth == "iam" and path not in c.public_paths(config)
        resources["Route" + c.logical_id(path, verb.title())] = {
            "Type": "AWS::ApiGatewayV2::Route", "Properties": {
                "ApiId": ref(c.HTTP_API), "RouteKey": f"{verb} {path}",
                "AuthorizationType": "AWS_IAM" if iam else "NONE",
                "Target": sub("integrations/" + c.var(INTEGRATION))}}
    stage: Json = {
        "ApiId": ref(c.HTTP_API), "StageName": config.api.stage, "AutoDeploy": True,
        "AccessLogSettings": {"DestinationArn": get_att(c.API_LOG_GROUP, "Arn"),
                              "Format": c.access_log_format("http")},
    }
    route_settings = c.throttle(config, "ThrottlingRateLimit", "ThrottlingBurstLimit", both=True)
    if route_settings:
        stage["DefaultRouteSettings"] = route_settings
    resources[c.HTTP_API_STAGE] = {"Type": "AWS::ApiGatewayV2::Stage", "Properties": stage}
    resources[c.API_PERMISSION] = {"Type": "AWS::Lambda::Permission", "Properties": {
        "FunctionName": c.invoke_target(), "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": c.execute_api_arn(c.HTTP_API)}}
    return resources


def http_url(config: Config) -> Json:
    # A named stage is part of the URL, and of rawPath in the 2.0 event the function receives.
    return c.api_base_url(c.HTTP_API, config.api.stage)
