"""Templates that deploy fine and then fail at request time or on the next update (through the SAM
translator where the SAM export is concerned)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.render import render_sam, render_template, to_json
from lambdaserve.config import Config
from tests.cloud.test_template_golden import IMAGE, ZIP, artifact_for, make_config
from tests.cloud.test_template_validate import lint_errors, translate


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


@pytest.mark.parametrize(("rate", "burst"), [(20, 0), (0, 30)])
def test_http_api_with_one_throttling_value_does_not_refuse_every_request(
        tmp_path: Path, rate: int, burst: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # for parity: HTTP API route settings take an unset rate or burst as 0, which answers 429 always.
    config = make_config(tmp_path, {"api": {"type": "http", "throttling_rate": rate,
                                            "throttling_burst": burst}})
    stage = render_template(config, ZIP)["Resources"][c.HTTP_API_STAGE]
    settings = stage["Properties"]["DefaultRouteSettings"]
    assert settings["ThrottlingRateLimit"] == (rate or c.ACCOUNT_THROTTLE_RATE)
    assert settings["ThrottlingBurstLimit"] == (burst or c.ACCOUNT_THROTTLE_BURST)
    translated = translate(render_sam(config, ZIP), monkeypatch)
    stage = next(iter(of_type(translated, "AWS::ApiGatewayV2::Stage").values()))
    sam_settings = stage["Properties"]["DefaultRouteSettings"]
    assert sam_settings["ThrottlingRateLimit"] > 0 and sam_settings["ThrottlingBurstLimit"] > 0


@pytest.mark.parametrize("auth", ["iam", "api_key"])
def test_sam_preflights_need_no_credentials(tmp_path: Path, auth: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Browsers send OPTIONS preflights without a key or a signature: SAM's defaults put the API's
    # auth on them too, so every cross-origin call would fail its preflight with a 403.
    config = make_config(tmp_path, {"api": {"auth": auth, "cors_origins": ["https://example.com"]}})
    out = translate(render_sam(config, ZIP), monkeypatch)
    api = next(iter(of_type(out, "AWS::ApiGateway::RestApi").values()))["Properties"]["Body"]
    options = [ops["options"] for ops in api["paths"].values() if "options" in ops]
    assert options, "no preflight methods"
    for method in options:
        assert "security" not in method or method["security"] == [], method
    posts = [ops["post"] for ops in api["paths"].values() if "post" in ops]
    assert all(p.get("security") for p in posts)  # the prediction itself keeps its auth


def _version_ids(config: Config, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    out = translate(render_sam(config, artifact_for(config)), monkeypatch)
    return set(of_type(out, "AWS::Lambda::Version"))


@pytest.mark.parametrize("package", ["zip", "image"])
def test_sam_publishes_a_new_version_when_only_the_configuration_changes(
        tmp_path: Path, package: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # SAM names the version from AutoPublishCodeSha256 alone when it is set; a memory change must
    # still publish a version, or the alias keeps serving the old settings.
    config = make_config(tmp_path, {"function": {"provisioned_concurrency": 1, "package": package}})
    bigger = dataclasses.replace(config, function=dataclasses.replace(config.function, memory=2048))
    first, second = _version_ids(config, monkeypatch), _version_ids(bigger, monkeypatch)
    assert len(first) == len(second) == 1
    assert first != second
    assert _version_ids(config, monkeypatch) == first  # and an unchanged config keeps its version


def test_sam_image_with_provisioned_concurrency_translates_to_clean_ids(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(tmp_path, {"function": {"provisioned_concurrency": 1, "package": "image"}})
    sam = render_sam(config, IMAGE)
    code_hash = sam["Resources"][c.FUNCTION]["Properties"]["AutoPublishCodeSha256"]
    assert ":" not in code_hash and len(code_hash) == 64
    out = translate(sam, monkeypatch)
    for logical_id in out["Resources"]:
        assert logical_id.isalnum(), logical_id
    assert lint_errors(to_json(sam)) == []
