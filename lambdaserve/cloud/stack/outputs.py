"""A deployed stack's outputs: ApiUrl, FunctionName, FunctionArn, LogGroupName.

Read from the stack's Outputs; when they are missing (moto gives stacks created through
a change set none) they are rebuilt from the stack's resources.
"""

from __future__ import annotations

from typing import Any

from lambdaserve.cloud.aws import AwsClients
from lambdaserve.cloud.stack.events import describe_stack
from lambdaserve.errors import CloudError

OUTPUT_KEYS = ("ApiUrl", "FunctionName", "FunctionArn", "LogGroupName")


def stack_outputs(clients: AwsClients, stack: str, *, stage: str = "prod",
                  description: dict[str, Any] | None = None) -> dict[str, str]:
    found = description or describe_stack(clients, stack)
    if found is None:
        raise CloudError(f"stack {stack} does not exist", hint="Run `lambdaserve deploy` first.")
    outputs = {str(o["OutputKey"]): str(o["OutputValue"]) for o in found.get("Outputs") or []}
    if all(key in outputs for key in OUTPUT_KEYS):
        return outputs
    return {**from_resources(clients, stack, stage=stage), **outputs}


def api_url(api_id: str, region: str, stage: str, http_api: bool = False) -> str:
    base = f"https://{api_id}.execute-api.{region}.amazonaws.com"
    # An HTTP API's $default stage is served at the root.
    return base if http_api and stage in ("", "$default") else f"{base}/{stage}"


def from_resources(clients: AwsClients, stack: str, *, stage: str) -> dict[str, str]:
    raw = clients.call("cloudformation", "describe_stack_resources", StackName=stack)["StackResources"]
    by_type: dict[str, str] = {}
    for res in raw:
        if res.get("ResourceType") and res.get("PhysicalResourceId"):
            by_type.setdefault(str(res["ResourceType"]), str(res["PhysicalResourceId"]))
    result: dict[str, str] = {}
    function = by_type.get("AWS::Lambda::Function")
    if function:
        config = clients.call("lambda", "get_function_configuration", FunctionName=function)
        result["FunctionName"] = str(config["FunctionName"])
        result["FunctionArn"] = str(config["FunctionArn"])
        result["LogGroupName"] = str(config.get("LoggingConfig", {}).get("LogGroup")
                                     or f"/aws/lambda/{config['FunctionName']}")
    if "AWS::Logs::LogGroup" in by_type:
        result["LogGroupName"] = by_type["AWS::Logs::LogGroup"]
    if "AWS::ApiGateway::RestApi" in by_type:
        api = clients.call("apigateway", "get_rest_api", restApiId=by_type["AWS::ApiGateway::RestApi"])
        result["ApiUrl"] = api_url(str(api["id"]), clients.region,
                                   by_type.get("AWS::ApiGateway::Stage", stage))
    elif "AWS::ApiGatewayV2::Api" in by_type:
        api = clients.call("apigatewayv2", "get_api", ApiId=by_type["AWS::ApiGatewayV2::Api"])
        result["ApiUrl"] = api_url(str(api["ApiId"]), clients.region,
                                   by_type.get("AWS::ApiGatewayV2::Stage", stage), http_api=True)
    return result
