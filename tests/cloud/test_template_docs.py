"""api.docs in the deployed API: the page's routes exist only when it is on, and stay open."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.cloud.cfn.common import api_paths, docs_binary_media_types
from lambdaserve.cloud.cfn.render import render_sam, render_template, to_yaml
from lambdaserve.runtime import docs
from tests.cloud.test_template_golden import ZIP, make_config
from tests.cloud.test_template_validate import lint_errors, translate

REST_KEY = {"api": {"auth": "api_key", "docs": True, "cors_origins": ["https://example.com"]}}
HTTP_IAM = {"api": {"type": "http", "auth": "iam", "docs": True}}


def _of(resources: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in resources.values() if r["Type"] == kind]


def test_no_docs_routes_unless_asked(tmp_path: Path) -> None:
    paths = {p for p, _ in api_paths(make_config(tmp_path))}
    assert paths == {"/predict", "/health", "/metadata", "/openapi.json"}


def test_rest_docs_methods_sit_on_the_root_and_a_greedy_docs_path(tmp_path: Path) -> None:
    template = render_template(make_config(tmp_path, REST_KEY), ZIP)
    res = template["Resources"]
    assert lint_errors(to_yaml(template)) == []
    parts = {p["PathPart"] for p in _of(res, "AWS::ApiGateway::Resource")}
    assert {"docs", "{proxy+}"} <= parts
    methods = _of(res, "AWS::ApiGateway::Method")
    on_root = [m for m in methods if m["ResourceId"] == {"Fn::GetAtt": ["Api", "RootResourceId"]}]
    assert {m["HttpMethod"] for m in on_root} == {"GET", "OPTIONS"}
    # The key guards predictions only: a browser cannot send x-api-key when it loads a page.
    keyed = {name.removesuffix("Get").removesuffix("Post"): r["Properties"]["ApiKeyRequired"]
             for name, r in res.items() if r["Type"] == "AWS::ApiGateway::Method"
             and r["Properties"]["HttpMethod"] != "OPTIONS"}
    assert keyed == {"ApiPathPredict": True, "ApiPathMetadata": True, "ApiPathHealth": False,
                     "ApiPathOpenapiJson": False, "ApiRoot": False, "ApiPathDocs": False,
                     "ApiPathDocsProxy": False}


@pytest.mark.parametrize("extra", [REST_KEY, HTTP_IAM], ids=["rest", "http"])
def test_sam_export_with_docs_translates_and_lints(tmp_path: Path, extra: dict[str, Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(tmp_path, extra)
    out = translate(render_sam(config, ZIP), monkeypatch)
    assert lint_errors(json.dumps(out)) == []
    body = next(r["Properties"]["Body"] for r in out["Resources"].values()
                if r["Type"] in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"))
    assert {"/", "/docs", "/docs/{proxy+}"} <= set(body["paths"])
    if extra is REST_KEY:  # SAM turns "~1" back into "/" for API Gateway
        assert body["x-amazon-apigateway-binary-media-types"] == list(docs.BINARY_MEDIA_TYPES)


def test_rest_decodes_the_pages_gzip_assets_and_only_with_docs(tmp_path: Path) -> None:
    # The runtime sends gzip assets base64-encoded; REST decodes only its binaryMediaTypes.
    assert docs_binary_media_types() == [t.replace("/", "~1") for t in docs.BINARY_MEDIA_TYPES]
    assert set(docs.BINARY_MEDIA_TYPES) == {t.split(";")[0] for t in docs.ASSETS.values()}
    api = render_template(make_config(tmp_path, REST_KEY), ZIP)["Resources"]["Api"]["Properties"]
    assert api["BinaryMediaTypes"] == ["application~1javascript", "text~1css"]
    plain = render_template(make_config(tmp_path), ZIP)["Resources"]["Api"]["Properties"]
    assert "BinaryMediaTypes" not in plain


def test_http_docs_routes_are_open_under_iam(tmp_path: Path) -> None:
    template = render_template(make_config(tmp_path, HTTP_IAM), ZIP)
    assert lint_errors(to_yaml(template)) == []
    routes = {r["RouteKey"]: r["AuthorizationType"]
              for r in _of(template["Resources"], "AWS::ApiGatewayV2::Route")}
    assert routes["GET /"] == routes["GET /docs"] == routes["GET /docs/{proxy+}"] == "NONE"
    assert routes["GET /openapi.json"] == "NONE" and routes["POST /predict"] == "AWS_IAM"
