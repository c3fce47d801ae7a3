"""The try-it page (api.docs): routes, links under a stage, content types, caching, base64."""

from __future__ import annotations

import base64
import gzip
import json

from lambdaserve.runtime import docs
from lambdaserve.runtime.events import HttpResponse, RawBody, format_response, parse_event
from tests.runtime.support import Context, http_event, load_event, runtime

DOCS_ON = {"LAMBDASERVE_DOCS": "1"}


def _rest_get(path: str) -> dict:
    event = load_event("apigw-rest-proxy.json")
    event["httpMethod"] = "GET"
    event["resource"] = path
    event["path"] = path
    event["requestContext"]["path"] = f"/prod{path}" if path != "/" else "/prod/"
    event["requestContext"]["httpMethod"] = "GET"
    event["body"] = None
    # sam's sample sends Accept-Encoding: gzip; tests that want it put it back.
    event["headers"].pop("Accept-Encoding", None)
    event["multiValueHeaders"].pop("Accept-Encoding", None)
    return event


def test_the_page_is_off_by_default():
    rt, _ = runtime()
    result = rt.handle(http_event(path="/docs", method="GET"), Context())
    assert result["statusCode"] == 404
    assert "/docs" not in rt.routes and "/" not in rt.routes


def test_page_links_carry_the_rest_stage():
    # for parity: REST's requestContext.path keeps the stage, so links must too, or they 403.
    rt, _ = runtime(**DOCS_ON)
    for path in ("/", "/docs"):
        result = rt.handle(_rest_get(path), Context())
        assert result["statusCode"] == 200
        assert result["headers"]["Content-Type"] == "text/html; charset=utf-8"
        assert result["headers"]["Cache-Control"] == "no-cache"
        assert result["isBase64Encoded"] is False
        page = result["body"]
        assert f'href="/prod/docs/{docs.SWAGGER_UI_VERSION}/swagger-ui.css"' in page
        assert f'src="/prod/docs/{docs.SWAGGER_UI_VERSION}/swagger-ui-bundle.js"' in page
        assert '"url": "/prod/openapi.json"' in page
        assert "<title>iris · try it</title>" in page


def test_page_links_have_no_prefix_on_a_function_url():
    # for parity: a Function URL has no stage; rawPath is the routed path.
    rt, _ = runtime(**DOCS_ON)
    event = load_event("function-url.json")
    event["rawPath"] = "/docs"
    event["requestContext"]["http"]["path"] = "/docs"
    event["requestContext"]["http"]["method"] = "GET"
    event.pop("body", None)
    result = rt.handle(event, Context())
    assert result["statusCode"] == 200
    assert f'href="/docs/{docs.SWAGGER_UI_VERSION}/swagger-ui.css"' in result["body"]


def test_http_api_named_stage_prefix():
    # for parity: HTTP API puts a named stage in rawPath.
    event = http_event(path="/beta/docs", method="GET")
    event["requestContext"]["stage"] = "beta"
    request = parse_event(event, "/predict")
    assert (request.path, request.prefix) == ("/docs", "/beta")


def test_assets_are_the_vendored_files_with_long_caching():
    rt, _ = runtime(**DOCS_ON)
    for name, content_type in docs.ASSETS.items():
        result = rt.handle(_rest_get(docs.ASSET_ROUTE + name), Context())
        assert result["statusCode"] == 200
        assert result["headers"]["Content-Type"] == content_type
        assert result["headers"]["Cache-Control"] == "public, max-age=31536000, immutable"
        assert result["isBase64Encoded"] is False  # text: REST needs no binaryMediaTypes for it
        assert result["body"].encode() == (docs.ASSET_DIR / name).read_bytes()
    assert not docs.missing_assets()


def test_assets_go_gzipped_and_base64_encoded_to_clients_that_accept_gzip():
    rt, _ = runtime(**DOCS_ON)
    event = _rest_get(docs.ASSET_ROUTE + "swagger-ui-bundle.js")
    event["headers"]["Accept-Encoding"] = "gzip, deflate, br"
    event["multiValueHeaders"]["Accept-Encoding"] = ["gzip, deflate, br"]
    result = rt.handle(event, Context())
    assert result["isBase64Encoded"] is True
    assert result["headers"]["Content-Encoding"] == "gzip" and result["headers"]["Vary"] == "Accept-Encoding"
    packed = base64.b64decode(result["body"])
    assert gzip.decompress(packed) == (docs.ASSET_DIR / "swagger-ui-bundle.js").read_bytes()
    # for parity: ALB's 1 MB response limit; the whole answer JSON must fit, base64 included.
    assert len(json.dumps(result)) < 1024 * 1024


def test_accept_encoding_parsing():
    assert docs.accepts_gzip("gzip") and docs.accepts_gzip("br;q=1.0, gzip;q=0.5") and docs.accepts_gzip("*")
    assert not docs.accepts_gzip(None) and not docs.accepts_gzip("br") and not docs.accepts_gzip("gzip;q=0")


def test_the_vendored_bundle_is_the_pinned_swagger_ui():
    bundle = (docs.ASSET_DIR / "swagger-ui-bundle.js").read_text(encoding="utf-8")
    assert "SwaggerUIBundle" in bundle
    assert "Apache License" in (docs.ASSET_DIR / "LICENSE").read_text()
    script = (docs.ASSET_DIR.parents[2] / "scripts" / "vendor_swagger_ui.sh").read_text()
    assert f"VERSION={docs.SWAGGER_UI_VERSION}" in script


def test_binary_raw_bodies_go_out_base64_encoded():
    request = parse_event(load_event("alb.json"), "/predict")
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    out = format_response(request, HttpResponse(200, RawBody(png, text=False), {"Content-Type": "image/png"}))
    assert out["isBase64Encoded"] is True
    assert base64.b64decode(out["body"]) == png
    assert out["statusDescription"] == "200 OK"


def test_the_page_cannot_be_broken_out_of_by_the_prefix():
    html = docs.page("a<b", '/x"</script><script>alert(1)</script>').decode()
    assert html.count("<script") == 2 and html.count("</script>") == 2
    assert "a&lt;b" in html


def test_openapi_servers_is_relative_so_execute_hits_the_same_stage():
    rt, _ = runtime(**DOCS_ON)
    result = rt.handle(_rest_get("/openapi.json"), Context())
    assert json.loads(result["body"])["servers"] == [{"url": ".", "description": "this API"}]


def test_with_api_key_auth_the_spec_declares_the_key_so_the_page_can_send_it():
    rt, _ = runtime(**DOCS_ON, LAMBDASERVE_AUTH="api_key")
    doc = json.loads(rt.handle(_rest_get("/openapi.json"), Context())["body"])
    assert doc["components"]["securitySchemes"] == {
        "ApiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}}
    assert doc["paths"]["/predict"]["post"]["security"] == [{"ApiKey": []}]
    assert doc["paths"]["/metadata"]["get"]["security"] == [{"ApiKey": []}]
    assert "security" not in doc["paths"]["/health"]["get"]  # open, as in the template
    plain, _ = runtime(**DOCS_ON)
    assert "securitySchemes" not in plain.openapi()["components"]


def test_other_methods_on_the_page_are_405():
    rt, _ = runtime(**DOCS_ON)
    event = _rest_get("/docs")
    event["httpMethod"] = "POST"
    result = rt.handle(event, Context())
    assert result["statusCode"] == 405
