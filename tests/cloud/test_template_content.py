"""What the template says, resource by resource: the behaviour deploy relies on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.render import (
    OUTPUT_API_URL,
    OUTPUT_FUNCTION_ARN,
    OUTPUT_FUNCTION_NAME,
    OUTPUT_FUNCTION_URL,
    OUTPUT_LOG_GROUP,
    render_template,
    to_json,
    to_yaml,
)
from lambdaserve.cloud.store.artifact_ref import (
    PLACEHOLDER_ZIP,
    ImageArtifact,
    ZipArtifact,
    parameter_values,
    placeholder,
)
from lambdaserve.config import Config
from lambdaserve.errors import CloudError, ConfigError
from tests.cloud.test_template_golden import IMAGE, VARIANTS, ZIP, make_config, rendered


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id]["Properties"]


def render(config: Config) -> dict[str, Any]:
    return render_template(config, IMAGE if config.function.package == "image" else ZIP)


def test_default_is_plain_cloudformation_with_the_output_keys_deploy_reads(tmp_path: Path) -> None:
    template = rendered(tmp_path, "rest_zip", "cfn")
    assert "Transform" not in template
    assert {OUTPUT_API_URL, OUTPUT_FUNCTION_NAME, OUTPUT_FUNCTION_ARN, OUTPUT_LOG_GROUP} <= set(
        template["Outputs"])
    assert OUTPUT_FUNCTION_URL not in template["Outputs"]
    assert rendered(tmp_path, "rest_zip", "sam")["Transform"] == "AWS::Serverless-2016-10-31"


def test_zip_function_runs_our_handler_from_s3_with_the_artifact_env(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    fn = props(render(config), c.FUNCTION)
    assert fn["Handler"] == "lambdaserve.runtime.handler.lambda_handler"
    assert fn["Runtime"] == "python3.12" and fn["PackageType"] == "Zip"
    assert fn["Code"] == {"S3Bucket": {"Ref": "ArtifactBucket"}, "S3Key": {"Ref": "ArtifactKey"}}
    env = fn["Environment"]["Variables"]
    assert env["LAMBDASERVE_MODEL_DIR"] == "/var/task/model"
    assert env["LAMBDASERVE_MODEL_FILE"] == "model.onnx" and env["LAMBDASERVE_API_PATH"] == "/predict"
    assert fn["LoggingConfig"]["LogGroup"] == {"Ref": c.FUNCTION_LOG_GROUP}


def test_image_function_is_pinned_by_digest_and_has_no_runtime(tmp_path: Path) -> None:
    config = make_config(tmp_path, VARIANTS["http_image"])
    template = render(config)
    fn = props(template, c.FUNCTION)
    assert fn["PackageType"] == "Image" and "Runtime" not in fn and "Handler" not in fn
    assert fn["Code"] == {"ImageUri": {"Ref": "ImageUri"}}
    assert template["Parameters"]["ImageUri"]["Default"] == IMAGE.image_uri
    assert fn["Environment"]["Variables"]["LAMBDASERVE_MODEL_DIR"] == "/opt/ml/model"


@pytest.mark.parametrize("artifact", [ZIP, IMAGE, PLACEHOLDER_ZIP])
def test_parameters_default_to_the_artifact_and_match_what_deploy_passes(tmp_path: Path, artifact) -> None:
    package = "image" if isinstance(artifact, ImageArtifact) else "zip"
    template = render_template(make_config(tmp_path, {"function": {"package": package}}), artifact)
    values = parameter_values(artifact)
    assert set(values) == set(template["Parameters"])
    assert {k: p["Default"] for k, p in template["Parameters"].items()} == values


def test_placeholder_parameters_say_so(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    template = render_template(config, placeholder("zip"))
    assert all("PLACEHOLDER" in p["Description"] for p in template["Parameters"].values())
    real = render_template(config, ZIP)
    assert not any("PLACEHOLDER" in p["Description"] for p in real["Parameters"].values())


def test_artifacts_refuse_malformed_locations() -> None:
    with pytest.raises(CloudError, match="sha256"):
        ZipArtifact("bucket-name", "k.zip", "abc")
    with pytest.raises(CloudError, match="bucket"):
        ZipArtifact("Bad_Bucket", "k.zip", "0" * 64)
    with pytest.raises(CloudError, match="ECR"):
        ImageArtifact("docker.io/library/python", "sha256:" + "0" * 64)
    with pytest.raises(CloudError, match="digest"):
        ImageArtifact("123456789012.dkr.ecr.us-east-1.amazonaws.com/x", "latest")


def test_execution_role_may_only_write_its_own_log_group(tmp_path: Path) -> None:
    role = props(render(make_config(tmp_path)), c.FUNCTION_ROLE)
    assert role["Path"] == {"Fn::Sub": "/lambdaserve/${AWS::StackName}/"}
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert statements == [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                           "Resource": {"Fn::GetAtt": [c.FUNCTION_LOG_GROUP, "Arn"]}}]
    assert "ManagedPolicyArns" not in role


def test_log_groups_have_the_configured_retention(tmp_path: Path) -> None:
    template = render(make_config(tmp_path, {"deploy": {"log_retention_days": 30}}))
    groups = {p["Properties"]["LogGroupName"]: p["Properties"]["RetentionInDays"]
              for p in of_type(template, "AWS::Logs::LogGroup").values()}
    assert groups == {"/aws/lambda/iris": 30, "/lambdaserve/iris/api-access": 30}


@pytest.mark.parametrize("variant", ["rest_zip", "http_image"])
def test_access_log_is_json_with_the_fields_that_explain_a_502(tmp_path: Path, variant: str) -> None:
    template = rendered(tmp_path, variant, "cfn")
    stage = props(template, c.API_STAGE if variant == "rest_zip" else c.HTTP_API_STAGE)
    setting = stage.get("AccessLogSetting") or stage["AccessLogSettings"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": [c.API_LOG_GROUP, "Arn"]}
    # API Gateway substitutes the variables; with any value in their place the line is valid JSON.
    line = json.loads(setting["Format"].replace("$context.", "ctx."))
    for variable in ("requestId", "status", "integration.error", "integration.status",
                     "integrationErrorMessage", "responseLatency", "identity.sourceIp", "httpMethod", "path"):
        assert f"ctx.{variable}" in line.values(), variable
    assert any("atency" in k and "integration" in k for k in line)


def test_rest_api_has_a_resource_per_segment_and_proxy_methods(tmp_path: Path) -> None:
    template = rendered(tmp_path, "api_key_throttling", "cfn")  # api.path = /v1/predict
    parts = {k: p["Properties"]["PathPart"]
             for k, p in of_type(template, "AWS::ApiGateway::Resource").items()}
    assert sorted(parts.values()) == ["health", "metadata", "openapi.json", "predict", "v1"]
    predict = props(template, "ApiPathV1Predict")
    assert predict["ParentId"] == {"Ref": "ApiPathV1"}
    methods = of_type(template, "AWS::ApiGateway::Method")
    post = props(template, "ApiPathV1PredictPost")
    assert post["HttpMethod"] == "POST" and post["Integration"]["Type"] == "AWS_PROXY"
    assert post["Integration"]["IntegrationHttpMethod"] == "POST"
    deployment = next(iter(of_type(template, "AWS::ApiGateway::Deployment")))
    responses = of_type(template, "AWS::ApiGateway::GatewayResponse")
    assert set(template["Resources"][deployment]["DependsOn"]) == set(methods) | set(responses)
    assert props(template, c.API_STAGE)["DeploymentId"] == {"Ref": deployment}


def test_a_route_change_makes_a_new_deployment(tmp_path: Path) -> None:
    def deployment_id(path: str) -> str:
        template = render(make_config(tmp_path, {"api": {"path": path}}))
        return next(k for k, v in template["Resources"].items() if v["Type"] == "AWS::ApiGateway::Deployment")

    assert deployment_id("/predict") == deployment_id("/predict")
    assert deployment_id("/predict") != deployment_id("/classify")


def test_rest_access_logs_wait_for_the_account_logging_role(tmp_path: Path) -> None:
    template = rendered(tmp_path, "rest_zip", "cfn")
    assert template["Resources"][c.API_STAGE]["DependsOn"] == ["ApiGatewayAccount"]
    account = template["Resources"]["ApiGatewayAccount"]
    # after the API and the function: the new logging role gets time to propagate through IAM
    assert account["DependsOn"] == [c.API, c.FUNCTION]
    assert account["DeletionPolicy"] == "Retain"  # other APIs of the account keep logging
    role = props(template, "ApiGatewayLogsRole")
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"}
    assert "ApiGatewayAccount" not in rendered(tmp_path, "http_image", "cfn")["Resources"]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_api_may_invoke_the_function_only_through_this_api(tmp_path: Path, variant: str) -> None:
    template = rendered(tmp_path, variant, "cfn")
    permission = props(template, c.API_PERMISSION)
    assert permission["Principal"] == "apigateway.amazonaws.com"
    api = "Api" if "RestApi" in str(template["Resources"].get("Api", {})) else "HttpApi"
    assert permission["SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${" + api + "}/*"}


def test_api_key_auth_adds_key_usage_plan_and_leaves_health_open(tmp_path: Path) -> None:
    template = rendered(tmp_path, "api_key_throttling", "cfn")
    plan = props(template, "ApiUsagePlan")
    assert plan["Throttle"] == {"RateLimit": 50, "BurstLimit": 100}
    assert props(template, "ApiUsagePlanKey")["KeyId"] == {"Ref": "ApiKey"}
    assert props(template, "ApiPathV1PredictPost")["ApiKeyRequired"] is True
    assert props(template, "ApiPathHealthGet")["ApiKeyRequired"] is False
    assert props(template, "ApiPathV1PredictOptions")["ApiKeyRequired"] is False  # preflights carry no key
    settings = props(template, c.API_STAGE)["MethodSettings"]
    assert settings == [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 50,
                         "ThrottlingBurstLimit": 100}]
    assert "ApiKeyId" in template["Outputs"]


def test_single_origin_cors_preflight_is_answered_by_api_gateway(tmp_path: Path) -> None:
    options = props(rendered(tmp_path, "api_key_throttling", "cfn"), "ApiPathV1PredictOptions")
    assert options["Integration"]["Type"] == "MOCK"
    headers = options["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
    assert headers["method.response.header.Access-Control-Allow-Origin"] == "'https://example.com'"


def test_api_gateway_errors_carry_the_cors_header_so_browsers_see_the_status(tmp_path: Path) -> None:
    template = rendered(tmp_path, "api_key_throttling", "cfn")
    responses = of_type(template, "AWS::ApiGateway::GatewayResponse")
    assert {r["Properties"]["ResponseType"] for r in responses.values()} == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for response in responses.values():
        assert response["Properties"]["ResponseParameters"] == {
            "gatewayresponse.header.Access-Control-Allow-Origin": "'https://example.com'"}
    deployment = next(iter(of_type(template, "AWS::ApiGateway::Deployment").values()))
    assert set(responses) <= set(deployment["DependsOn"])
    assert not of_type(rendered(tmp_path, "rest_zip", "cfn"), "AWS::ApiGateway::GatewayResponse")


def test_several_origins_send_the_preflight_to_the_function(tmp_path: Path) -> None:
    template = rendered(tmp_path, "iam_function_url", "cfn")
    options = props(template, "ApiPathPredictOptions")
    assert options["Integration"]["Type"] == "AWS_PROXY" and options["AuthorizationType"] == "NONE"
    assert props(template, c.FUNCTION)["Environment"]["Variables"]["LAMBDASERVE_CORS_ORIGINS"] == (
        "https://a.example.com,https://b.example.com")


def test_iam_auth_guards_every_route_but_health_and_the_url_too(tmp_path: Path) -> None:
    template = rendered(tmp_path, "iam_function_url", "cfn")
    assert props(template, "ApiPathPredictPost")["AuthorizationType"] == "AWS_IAM"
    assert props(template, "ApiPathMetadataGet")["AuthorizationType"] == "AWS_IAM"
    assert props(template, "ApiPathHealthGet")["AuthorizationType"] == "NONE"
    assert props(template, "FunctionUrl")["AuthType"] == "AWS_IAM"
    assert not of_type(template, "AWS::Lambda::Permission").keys() - {c.API_PERMISSION}  # no public grant


def test_public_function_url_gets_both_grants(tmp_path: Path) -> None:
    template = rendered(tmp_path, "keep_warm_reserved_arm64", "cfn")
    url = props(template, "FunctionUrl")
    assert url["AuthType"] == "NONE" and url["Cors"]["AllowOrigins"] == ["*"]
    grants = {p["Properties"]["Action"]: p["Properties"] for p in
              of_type(template, "AWS::Lambda::Permission").values() if p["Properties"]["Principal"] == "*"}
    assert grants["lambda:InvokeFunctionUrl"]["FunctionUrlAuthType"] == "NONE"
    assert grants["lambda:InvokeFunction"]["InvokedViaFunctionUrl"] is True
    assert template["Outputs"][OUTPUT_FUNCTION_URL]["Value"] == {"Fn::GetAtt": ["FunctionUrl", "FunctionUrl"]}


def test_http_api_uses_payload_2_and_refuses_api_keys(tmp_path: Path) -> None:
    template = rendered(tmp_path, "http_image", "cfn")
    integration = props(template, "ApiIntegration")
    assert integration["PayloadFormatVersion"] == "2.0" and integration["IntegrationType"] == "AWS_PROXY"
    routes = {p["Properties"]["RouteKey"] for p in of_type(template, "AWS::ApiGatewayV2::Route").values()}
    assert routes == {"POST /predict", "GET /health", "GET /metadata", "GET /openapi.json"}
    assert props(template, c.HTTP_API_STAGE)["StageName"] == "prod"
    with pytest.raises(ConfigError, match="api_key") as caught:  # refused before any template renders
        make_config(tmp_path, {"api": {"type": "http", "auth": "api_key"}})
    assert "rest" in caught.value.message


def test_http_api_cors_and_throttling_come_from_the_config(tmp_path: Path) -> None:
    config = make_config(tmp_path, {"api": {"type": "http", "cors_origins": ["https://x.example"],
                                            "throttling_rate": 5, "throttling_burst": 9}})
    template = render(config)
    assert props(template, c.HTTP_API)["CorsConfiguration"]["AllowOrigins"] == ["https://x.example"]
    assert props(template, c.HTTP_API_STAGE)["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": 5, "ThrottlingBurstLimit": 9}


def test_provisioned_concurrency_sits_on_a_version_behind_the_live_alias(tmp_path: Path) -> None:
    template = rendered(tmp_path, "provisioned_http_iam", "cfn")
    assert "SnapStart" not in props(template, c.FUNCTION)
    alias = props(template, c.FUNCTION_ALIAS)
    assert alias["Name"] == "live"
    assert alias["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 2}
    assert alias["FunctionVersion"] == {"Fn::GetAtt": [c.FUNCTION_VERSION, "Version"]}
    # Retained on replacement (the rollback target); deploy prunes the older ones (stack/versions.py).
    assert template["Resources"][c.FUNCTION_VERSION]["UpdateReplacePolicy"] == "Retain"
    # Everything that invokes goes through the alias, so it hits the provisioned environments.
    assert props(template, "ApiIntegration")["IntegrationUri"] == {"Ref": c.FUNCTION_ALIAS}
    assert props(template, c.API_PERMISSION)["FunctionName"] == {"Ref": c.FUNCTION_ALIAS}
    assert props(template, "FunctionUrl")["Qualifier"] == "live"


def test_snapstart_applies_to_the_published_version_behind_the_alias(tmp_path: Path) -> None:
    template = rendered(tmp_path, "snapstart_py313", "cfn")
    assert props(template, c.FUNCTION)["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert props(template, c.FUNCTION)["Runtime"] == "python3.13"
    assert "ProvisionedConcurrencyConfig" not in props(template, c.FUNCTION_ALIAS)
    method = props(template, "ApiPathPredictPost")
    assert "${FunctionAlias}" in method["Integration"]["Uri"]["Fn::Sub"]
    assert template["Outputs"]["ApiUrl"]["Value"]["Fn::Sub"].endswith("/v1")


@pytest.mark.parametrize(("function", "problem"), [
    ({"provisioned_concurrency": 1}, "provisioned_concurrency"),
    ({"ephemeral_storage": 1024}, "ephemeral_storage"),
])
def test_snapstart_combinations_lambda_refuses_fail_before_deploy(tmp_path: Path, function: dict[str, Any],
                                                                  problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):  # refused before any template renders
        make_config(tmp_path, {"function": {"snapstart": True, **function}})


def test_a_new_version_is_published_when_code_or_config_changes(tmp_path: Path) -> None:
    def version_description(extra: dict[str, Any], artifact: ZipArtifact = ZIP) -> Any:
        config = make_config(tmp_path, {"function": {"snapstart": True, **extra}})
        return props(render_template(config, artifact), c.FUNCTION_VERSION)["Description"]

    base = version_description({})
    assert "${ArtifactSha256}" in base["Fn::Sub"]  # a new zip hash replaces the version
    assert version_description({}) == base
    assert version_description({"memory": 2048}) != base


def _invokers(template: dict[str, Any]) -> list[Any]:
    """What each front invokes: integrations, schedule targets, permissions, the Function URL."""
    found: list[Any] = []
    for resource in template["Resources"].values():
        kind, properties = resource["Type"], resource["Properties"]
        if kind == "AWS::ApiGateway::Method" and "Uri" in properties.get("Integration", {}):
            found.append(properties["Integration"]["Uri"]["Fn::Sub"])
        elif kind == "AWS::ApiGatewayV2::Integration":
            found.append(properties["IntegrationUri"])
        elif kind == "AWS::Events::Rule":
            found += [target["Arn"] for target in properties["Targets"]]
        elif kind == "AWS::Lambda::Permission":
            found.append(properties["FunctionName"])
        elif kind == "AWS::Lambda::Url":
            found.append(properties["Qualifier"])
    return found


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_front_invokes_the_live_alias_never_latest(tmp_path: Path, variant: str) -> None:
    template = rendered(tmp_path, variant, "cfn")
    invokers = _invokers(template)
    assert invokers  # every variant has an API at least
    alias = {"Ref": c.FUNCTION_ALIAS}
    for target in invokers:
        assert target in (alias, "live") or (isinstance(target, str) and "${FunctionAlias}" in target), target
    # Nothing in the resources names the unqualified function's ARN ($LATEST) as a target.
    assert "Function.Arn" not in json.dumps(template["Resources"])
    assert '["Function", "Arn"]' not in json.dumps(template["Resources"])
    assert template["Resources"][c.FUNCTION_VERSION]["Type"] == "AWS::Lambda::Version"


def test_keep_warm_reserved_concurrency_and_arm64(tmp_path: Path) -> None:
    template = rendered(tmp_path, "keep_warm_reserved_arm64", "cfn")
    fn = props(template, c.FUNCTION)
    assert fn["Architectures"] == ["arm64"] and fn["ReservedConcurrentExecutions"] == 10
    rule = props(template, "KeepWarmRule")
    assert rule["ScheduleExpression"] == "rate(5 minutes)" and rule["Name"] == "iris-keep-warm"
    assert rule["Targets"] == [{"Arn": {"Ref": c.FUNCTION_ALIAS}, "Id": "function"}]
    permission = props(template, "KeepWarmPermission")
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["KeepWarmRule", "Arn"]}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_yaml_and_json_round_trip_to_the_same_template(tmp_path: Path, variant: str) -> None:
    template = rendered(tmp_path, variant, "cfn")
    assert yaml.safe_load(to_yaml(template)) == template
    assert json.loads(to_json(template)) == template
    assert "&id" not in to_yaml(template)  # no YAML anchors: CloudFormation does not read them


def referenced(node: Any) -> set[str]:
    """Logical IDs named by Ref and Fn::GetAtt anywhere under ``node``."""
    if isinstance(node, list):
        return set().union(*(referenced(v) for v in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {node["Ref"]} if "Ref" in node else set()
    if "Fn::GetAtt" in node:
        found.add(node["Fn::GetAtt"][0])
    return found.union(*(referenced(v) for v in node.values()))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_references_point_at_resources_or_parameters(tmp_path: Path, variant: str) -> None:
    template = rendered(tmp_path, variant, "cfn")
    refs = referenced(template)
    assert "Function" in refs
    assert refs <= set(template["Resources"]) | set(template["Parameters"])


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_templates_fit_in_a_change_set_body(tmp_path: Path, variant: str) -> None:
    # CloudFormation takes at most 51,200 bytes inline; deploy sends json.dumps(template).
    assert len(json.dumps(rendered(tmp_path, variant, "cfn")).encode()) < 51_200


def test_a_release_renames_the_version_and_changes_the_function_with_it(tmp_path: Path) -> None:
    from lambdaserve.cloud.cfn.function import Release

    config = make_config(tmp_path)
    plain = render_template(config, ZIP)
    released = render_template(config, ZIP, Release("ab" * 32, "2026-12-07T01:00:00Z"))
    version = props(released, c.FUNCTION_VERSION)["Description"]["Fn::Sub"]
    assert version.endswith(" model " + "ab" * 32 + " built 2026-12-07T01:00:00Z")
    assert len(version.replace("${ArtifactSha256}", "0" * 64)) <= 256  # Lambda's description limit
    # Lambda refuses to publish a version of an unchanged function: the function changes too
    function = props(released, c.FUNCTION)["Description"]["Fn::Sub"]
    assert function != props(plain, c.FUNCTION)["Description"]["Fn::Sub"]
    assert function.endswith(", built 2026-12-07T01:00:00Z")
    import dataclasses

    longest = dataclasses.replace(config, name="n" * 48)  # the longest name config accepts
    described = props(render_template(longest, ZIP, Release("ab" * 32, "2026-12-07T01:00:00Z")), c.FUNCTION)
    assert len(described["Description"]["Fn::Sub"].replace("${ArtifactSha256}", "0" * 64)) <= 256
