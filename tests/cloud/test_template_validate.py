"""Every variant passes cfn-lint with no errors, and the SAM export translates to the same app."""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.common import api_paths
from lambdaserve.cloud.cfn.render import to_json, to_yaml
from tests.cloud.test_template_golden import VARIANTS, make_config, rendered

REGIONS = ["us-east-1", "eu-west-1"]


@functools.cache
def _linter() -> Any:
    """One cfn-lint Runner per process, as cfn-lint's CLI uses one for every template it is given:
    making one loads its ~300 rules and their JSON resources, ~0.45 CPU-s, which
    ``cfnlint.api.lint`` paid again on each of this suite's ~50 templates. Imported here, not at
    the top: collecting this module (both xdist workers collect every module) then costs nothing;
    importing cfn-lint costs ~6 CPU-s, paid only where it lints."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(regions=REGIONS))


def lint_errors(text: str) -> list[str]:
    from cfnlint.decode.decode import decode_str

    template, errors = decode_str(text)  # what cfnlint.api.lint does, with the Runner kept
    if errors or template is None:
        return [f"{m.rule.id} {m.message}" for m in errors]
    # cfn-lint's SAM transform sets os.environ["AWS_DEFAULT_REGION"] and leaves it: a later test in
    # this process (region resolution) would then find a region where none is configured.
    before = os.environ.get("AWS_DEFAULT_REGION")
    try:
        matches = list(_linter().validate_template(template))
    finally:
        if before is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = before
    return [f"{m.rule.id} {m.message} ({m.path})" for m in matches if m.rule.id.startswith("E")]


class ManagedPolicies:
    """The translator's managed-policy loader, offline: the one AWS policy our templates name."""

    def __init__(self) -> None:
        self.loads = 0

    def load(self) -> dict[str, str]:
        self.loads += 1
        return {"AmazonAPIGatewayPushToCloudWatchLogs":
                "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}


def translate(sam: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    # The translator reads the region from boto3's default session, i.e. the environment.
    from samtranslator.translator.transform import transform  # ~1.4 CPU-s, as cfn-lint above

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return transform(copy.deepcopy(sam), {}, ManagedPolicies())


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["cfn", "sam"])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_cfn_lint_finds_no_errors(tmp_path: Path, variant: str, fmt: str) -> None:
    template = rendered(tmp_path, variant, fmt)
    assert lint_errors(to_json(template) if fmt == "sam" else to_yaml(template)) == []


def test_linting_a_sam_template_leaves_the_process_region_alone(tmp_path: Path) -> None:
    before = os.environ.get("AWS_DEFAULT_REGION")
    assert lint_errors(to_json(rendered(tmp_path, "rest_zip", "sam"))) == []
    assert os.environ.get("AWS_DEFAULT_REGION") == before


def test_cfn_lint_check_catches_a_broken_template(tmp_path: Path) -> None:
    # The lint test above is only worth something if lint_errors reports real errors.
    template = rendered(tmp_path, "rest_zip", "cfn")
    template["Resources"]["Function"]["Properties"]["MemorySize"] = 64
    template["Resources"]["ApiStage"]["Properties"]["DeploymentId"] = {"Ref": "NoSuchDeployment"}
    errors = lint_errors(to_yaml(template))
    assert any("NoSuchDeployment" in e for e in errors)
    assert any("64" in e for e in errors)


def _function(resources: dict[str, Any]) -> dict[str, Any]:
    # By logical ID: a traffic shift adds a second function, the pre-traffic hook.
    return dict(resources[c.FUNCTION]["Properties"])


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_sam_export_translates_to_the_same_function_and_logs(tmp_path: Path, variant: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cfn = rendered(tmp_path, variant, "cfn")
    out = translate(rendered(tmp_path, variant, "sam"), monkeypatch)
    assert "Transform" not in out
    ours, theirs = _function(cfn["Resources"]), _function(out["Resources"])
    for key in ("FunctionName", "Environment", "MemorySize", "Timeout", "Architectures", "PackageType",
                "EphemeralStorage", "LoggingConfig", "ReservedConcurrentExecutions", "SnapStart", "Handler",
                "Runtime", "ImageConfig"):
        assert theirs.get(key) == ours.get(key), key
    assert set(out["Outputs"]) == set(cfn["Outputs"])
    types = {r["Type"] for r in out["Resources"].values()}
    # SAM writes the routes into the API's OpenAPI Body instead of separate resources.
    assert {r["Type"] for r in cfn["Resources"].values()} - types <= {
        "AWS::ApiGateway::Resource", "AWS::ApiGateway::Method", "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Integration", "AWS::ApiGateway::GatewayResponse"}
    body = next(r["Properties"]["Body"] for r in out["Resources"].values()
                if r["Type"] in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"))
    config = make_config(tmp_path, VARIANTS[variant])
    assert {path for path, _verb in api_paths(config)} == set(body["paths"])
    for path, verb in api_paths(config):
        assert verb.lower() in body["paths"][path]
    responses = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::ApiGateway::GatewayResponse"]
    assert len(body.get("x-amazon-apigateway-gateway-responses", {})) == len(responses)
    # Access logs carry the integration error in both forms.
    stage = next(r["Properties"] for r in out["Resources"].values()
                 if r["Type"] in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"))
    log_format = (stage.get("AccessLogSetting") or stage["AccessLogSettings"])["Format"]
    assert "$context.integration.error" in log_format


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_translated_sam_export_passes_cfn_lint(tmp_path: Path, variant: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = translate(rendered(tmp_path, variant, "sam"), monkeypatch)
    assert lint_errors(json.dumps(out)) == []
