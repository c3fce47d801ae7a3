"""Tables: a real sklearn Pipeline(ColumnTransformer) fitted on a DataFrame of mixed types,
served with named columns (records, ordered rows, one list per column, OIP per-column tensors)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lambdaserve.errors import ModelLoadError
from lambdaserve.runtime.app import Runtime
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.signature import ColumnSpec, Signature, TensorSpec
from lambdaserve.runtime.telemetry import Telemetry
from tests import models
from tests.helpers import require_installed
from tests.runtime.support import Context, answer, http_event, log_lines, settings

require_installed("pandas")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> models.Made:
    return models.sklearn_table(tmp_path_factory.mktemp("table"))


def _runtime(made: models.Made, signature: Any = None, warmup: bool = False) -> tuple[Runtime, io.StringIO]:
    model = load_model(models.runtime_settings(made.path, signature=signature))
    stream = io.StringIO()
    env = {"LAMBDASERVE_WARMUP": "1" if warmup else "0"}
    rt = Runtime(model, settings(**env), telemetry=Telemetry("t", stream=stream, clock=lambda: 1.0))
    return rt, stream


def _post(rt: Runtime, body: Any) -> tuple[int, Any]:
    return answer(rt.handle(http_event(body), Context()))


def test_the_model_names_its_columns_types_and_categories(made: models.Made) -> None:
    signature = load_model(models.runtime_settings(made.path)).signature
    assert signature.columns == (  # the training order; the encoder's categories, sorted as it keeps them
        ColumnSpec("age", "float64"),
        ColumnSpec("income", "float64"),
        ColumnSpec("city", "string", categories=("Lyon", "Nice", "Paris"), example="Lyon"),
    )
    assert signature.inputs == tuple(TensorSpec(n, d, (None,)) for n, d in
                                     [("age", "float64"), ("income", "float64"), ("city", "string")])


@pytest.mark.parametrize("form", ["records", "ordered rows", "columns"])
def test_every_row_form_gets_the_pipelines_own_answer(made: models.Made, form: str) -> None:
    rt, _ = _runtime(made)
    names = ["age", "income", "city"]
    data: Any = {
        "records": made.rows,
        "ordered rows": [[r[n] for n in names] for r in made.rows],
        "columns": {n: [r[n] for r in made.rows] for n in names},
    }[form]
    status, body = _post(rt, {"data": data, "parameters": {"probabilities": True}})
    assert status == 200, body
    assert [p["label"] for p in body["predictions"]] == made.expected["label"].tolist()
    assert np.allclose([p["probabilities"] for p in body["predictions"]], made.expected["probabilities"])


def test_oip_per_column_tensors_with_bytes_for_strings(made: models.Made) -> None:
    rt, _ = _runtime(made)
    tensors = [
        {"name": "city", "shape": [2, 1], "datatype": "BYTES", "data": [r["city"] for r in made.rows]},
        {"name": "age", "shape": [2], "datatype": "INT64", "data": [r["age"] for r in made.rows]},
        {"name": "income", "shape": [2], "datatype": "FP64", "data": [r["income"] for r in made.rows]},
    ]
    status, body = _post(rt, {"inputs": tensors})
    assert status == 200, body
    label = next(o for o in body["outputs"] if o["name"] == "label")
    assert label["data"] == made.expected["label"].tolist()


@pytest.mark.parametrize(("row", "message", "hint"), [
    ({"age": 30, "income": 1.0, "city": "Pari"},
     "row 0, column 'city': 'Pari' is not a category the model knows", "'Lyon', 'Nice', 'Paris'"),
    ({"age": 30, "income": 1.0, "city": 7}, "row 0, column 'city': 7 is not a string", "one of 'Lyon'"),
    ({"age": "thirty", "income": 1.0, "city": "Paris"}, "row 0, column 'age': 'thirty' is not a number", ""),
    ({"age": None, "income": 1.0, "city": "Paris"}, "row 0, column 'age': null", ""),
    ({"age": 30, "city": "Paris"}, "row 0 is missing column 'income'", "income (number)"),
    ({"age": 30, "income": 1.0, "city": "Paris", "town": "x"}, "row 0 has unknown column 'town'", "Columns:"),
])
def test_a_bad_cell_names_its_column_and_what_it_allows(
        made: models.Made, row: dict[str, Any], message: str, hint: str) -> None:
    rt, _ = _runtime(made)
    status, body = _post(rt, {"data": [row]})
    assert status == 400
    assert body["error"]["message"].startswith(message), body
    assert hint in body["error"]["hint"]


def test_oip_bad_tensors_are_refused_by_column(made: models.Made) -> None:
    rt, _ = _runtime(made)
    base = [{"name": "age", "shape": [1], "datatype": "FP64", "data": [30]},
            {"name": "income", "shape": [1], "datatype": "FP64", "data": [1.0]}]
    city_as_number = [*base, {"name": "city", "shape": [1], "datatype": "FP64", "data": [1.0]}]
    status, body = _post(rt, {"inputs": city_as_number})
    assert status == 400
    assert "input 'city': datatype 'FP64' does not fit the column" in body["error"]["message"]
    assert body["error"]["hint"] == "Send it as BYTES."
    status, body = _post(rt, {"inputs": base})
    assert status == 400 and body["error"]["message"] == "\"inputs\" is missing column 'city'"
    huge = [*base, {"name": "city", "shape": [10**30], "datatype": "BYTES", "data": ["Paris"]}]
    status, body = _post(rt, {"inputs": huge})
    assert status == 400 and "holds" in body["error"]["message"]


def test_an_encoder_that_ignores_unknown_values_gets_them(tmp_path: Path) -> None:
    # handle_unknown="ignore": the local model answers for an unseen city, so the function must too.
    made = models.sklearn_table(tmp_path, handle_unknown="ignore")
    rt, _ = _runtime(made)
    city = next(c for c in rt.model.signature.columns if c.name == "city")
    assert city.categories is None and city.example == "Lyon"
    status, body = _post(rt, {"data": [{"age": 30, "income": 40000.0, "city": "Marseille"}]})
    assert status == 200 and body["predictions"] in ([0], [1])


def test_metadata_openapi_example_and_warm_up_use_the_columns(made: models.Made) -> None:
    rt, stream = _runtime(made, warmup=True)
    assert rt.warm_up() is not None  # the example row reaches the model without an error
    assert not [line for line in log_lines(stream) if line["level"] == "WARNING"]
    status, meta = answer(rt.handle(http_event(path="/metadata", method="GET"), Context()))
    assert status == 200
    assert meta["signature"]["columns"][2] == {
        "name": "city", "dtype": "string", "categories": ["Lyon", "Nice", "Paris"], "example": "Lyon"}
    assert meta["versions"]["pandas"]  # the function rebuilds a DataFrame: pandas is pinned
    doc = rt.openapi()
    row = doc["components"]["schemas"]["Row"]["oneOf"][0]
    assert row["properties"]["city"]["enum"] == ["Lyon", "Nice", "Paris"]
    assert row["properties"]["age"]["type"] == "number"
    examples = doc["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    for example in examples.values():  # the try-it page sends these as they are
        status, body = _post(rt, example["value"])
        assert status == 200, (example, body)


def test_declared_columns_refine_the_models_and_must_name_the_same_columns(made: models.Made) -> None:
    declared = {"columns": [{"name": "city", "dtype": "string"}, {"name": "age", "dtype": "int64"},
                            {"name": "income", "dtype": "float64", "nullable": True}]}
    rt, _ = _runtime(made, signature=declared)
    assert [c.name for c in rt.model.signature.columns] == ["age", "income", "city"]  # the model's order
    status, body = _post(rt, {"data": [{"age": 30.5, "income": None, "city": "Paris"}]})
    assert status == 400 and body["error"]["message"] == "row 0, column 'age': 30.5 is not an integer"
    with pytest.raises(ModelLoadError, match="missing income; unknown salary"):
        load_model(models.runtime_settings(made.path, signature={"columns": [
            {"name": "city", "dtype": "string"}, {"name": "age"}, {"name": "salary"}]}))


def test_a_declared_string_dtype_is_not_silently_replaced(tmp_path: Path) -> None:
    made = models.sklearn_classifier(tmp_path)
    declared = Signature(inputs=(TensorSpec("input", "string", (None, 4)),), source="config")
    with pytest.raises(ModelLoadError, match="'input' as string, but the model computes in float"):
        load_model(models.runtime_settings(made.path, signature=declared))


def test_declared_inputs_on_a_table_model_point_at_columns(made: models.Made) -> None:
    declared = Signature(inputs=(TensorSpec("input", "float64", (None, 3)),), source="config")
    with pytest.raises(ModelLoadError, match="takes named columns") as caught:
        load_model(models.runtime_settings(made.path, signature=declared))
    assert "[signature] columns" in caught.value.hint
