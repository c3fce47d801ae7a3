"""The OpenAPI 3.1 document: shaped by the signature, and its examples are answered with 200."""

from __future__ import annotations

import pytest

from lambdaserve.runtime.openapi import openapi_document
from tests.helpers import require_module
from tests.runtime.support import (
    Context,
    FreeForm,
    ImageMean,
    SumClassifier,
    TwoInputs,
    answer,
    http_event,
    runtime,
)


def _doc(model, path="/predict"):
    return openapi_document(model.signature, name="iris", api_path=path, framework=model.framework)


def test_document_outline():
    doc = _doc(SumClassifier(), "/model_x_inference")
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == {"/model_x_inference", "/health", "/metadata", "/openapi.json"}
    post = doc["paths"]["/model_x_inference"]["post"]
    assert set(post["responses"]) == {"200", "400", "413", "415", "500"}
    assert post["parameters"][0]["name"] == "probabilities"  # a classifier offers them


def test_probabilities_are_offered_only_by_a_model_that_answers_them():
    # A regressor's page offered ?probabilities=true, which the function then refused with a 400.
    rt, _ = runtime(ImageMean())
    asked = {"data": [[[0, 0, 0], [0, 0, 0]]], "parameters": {"probabilities": True}}
    status, body = answer(rt.handle(http_event(asked), Context()))
    assert status == 400 and "cannot return probabilities" in body["error"]["message"]
    doc = _doc(ImageMean())
    assert "parameters" not in doc["paths"]["/predict"]["post"]
    request = doc["components"]["schemas"]["DataRequest"]["properties"]["parameters"]
    assert request == {"type": "object"}
    offered = _doc(SumClassifier())["components"]["schemas"]["DataRequest"]["properties"]["parameters"]
    assert offered["properties"] == {"probabilities": {"type": "boolean"}}


def test_row_schema_follows_the_signature():
    row = _doc(SumClassifier())["components"]["schemas"]["Row"]
    as_list, by_name = row["oneOf"]
    assert as_list == {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4}
    assert by_name["required"] == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    image = _doc(ImageMean())["components"]["schemas"]["Row"]
    assert image["minItems"] == 2 and image["items"]["minItems"] == 3
    two = _doc(TwoInputs())["components"]["schemas"]["Row"]
    assert two["properties"]["k"] == {"type": "integer"}


def test_free_form_model_has_no_examples():
    doc = _doc(FreeForm())
    content = doc["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert "examples" not in content


@pytest.mark.parametrize("model", [SumClassifier(), ImageMean(), TwoInputs()], ids=lambda m: type(m).__name__)
def test_every_example_is_answered(model):
    doc = _doc(model)
    examples = doc["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert set(examples) == {"data", "instances", "oip"}
    rt, _ = runtime(model)
    for example in examples.values():
        status, body = answer(rt.handle(http_event(example["value"]), Context()))
        assert status == 200, (example, body)


@pytest.mark.parametrize(
    "model", [SumClassifier(), ImageMean(), TwoInputs(), FreeForm()], ids=lambda m: type(m).__name__
)
def test_document_is_valid_openapi_31(model):
    validator = require_module("openapi_spec_validator")
    validator.validate(_doc(model))


@pytest.mark.parametrize("model", [SumClassifier(), ImageMean(), TwoInputs()], ids=lambda m: type(m).__name__)
def test_examples_and_answers_fit_their_schemas(model):
    jsonschema = require_module("jsonschema")
    doc = _doc(model)
    post = doc["paths"]["/predict"]["post"]
    content = post["requestBody"]["content"]["application/json"]

    def check(schema, instance):
        jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(instance)

    rt, _ = runtime(model)
    for example in content["examples"].values():
        check(content["schema"], example["value"])
        status, body = answer(rt.handle(http_event(example["value"]), Context()))
        check(post["responses"]["200"]["content"]["application/json"]["schema"], body)
    _, error = answer(rt.handle(http_event({"data": []}), Context()))
    check(post["responses"]["400"]["content"]["application/json"]["schema"], error)
    bad_row = [[["x"]]] if isinstance(model, ImageMean) else ["x"]
    with pytest.raises(jsonschema.ValidationError):
        check(content["schema"], {"data": bad_row})
