"""Trailing slashes: REST APIs match /p/ to the resource /p, HTTP APIs do not."""

from __future__ import annotations

import json
from pathlib import Path

from lambdaserve.emulator.fronts.apigw import ApiGateway, ApiSettings
from lambdaserve.emulator.fronts.events import IncomingRequest
from tests.emulator.front_handlers.handlers import handler
from tests.emulator.front_handlers.inprocess import InProcessLambda

REAL_REST = json.loads((Path(__file__).parents[1] / "events" / "apigw-rest-proxy.json").read_text())


def _gateway(kind: str) -> tuple[ApiGateway, InProcessLambda]:
    lam = InProcessLambda(handler)
    return ApiGateway(lam, ApiSettings(kind=kind, path="/model_x_inference"), log=lambda _l: None), lam


def _post(path: str) -> IncomingRequest:
    # curl -d without -H: curl declares a form body
    return IncomingRequest("POST", path, "", [("Content-Type", "application/x-www-form-urlencoded")],
                           b'{"data": [[1, 2]]}')


def test_rest_matches_a_trailing_slash_and_passes_the_path_as_sent():
    gw, lam = _gateway("rest")
    res = gw.handle(_post("/prod/model_x_inference/"))
    assert res.status == 200
    event = json.loads(res.body)["event"]
    # for parity: REST routes /p/ to resource /p; `path` keeps the slash, resource/resourcePath do not
    assert event["path"] == "/model_x_inference/" and event["resource"] == "/model_x_inference"
    assert event["requestContext"]["path"] == "/prod/model_x_inference/"
    assert event["requestContext"]["resourcePath"] == "/model_x_inference"
    assert set(event) == set(REAL_REST) and set(event["requestContext"]) >= set(REAL_REST["requestContext"])
    assert len(lam.events) == 1


def test_rest_without_stage_and_with_slash_still_matches():
    gw, _ = _gateway("rest")
    assert gw.handle(_post("/model_x_inference/")).status == 200


def test_http_api_routes_a_trailing_slash_apart():
    gw, lam = _gateway("http")
    res = gw.handle(_post("/prod/model_x_inference/"))
    # for parity: HTTP API routes are exact, `POST /p/` is not `POST /p`: 404 Not Found
    assert (res.status, json.loads(res.body)) == (404, {"message": "Not Found"})
    assert lam.events == []
    assert gw.handle(_post("/prod/model_x_inference")).status == 200


def test_rest_deeper_path_is_not_the_resource():
    gw, lam = _gateway("rest")
    res = gw.handle(_post("/prod/model_x_inference/x/"))
    assert res.status == 403 and lam.events == []
