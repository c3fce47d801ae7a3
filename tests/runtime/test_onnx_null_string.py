"""An ONNX table's string column cannot be missing: an ONNX string tensor has no null, and feeding ""
would score a category the model never saw. A null is a 400 naming the column, never "", unless the
graph names the string its steps read as null (convert's graphs do: tests/convert/test_convert_nulls.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaserve.errors import RequestError
from lambdaserve.runtime.formats import read_request
from lambdaserve.runtime.loaders import load_model
from tests import models
from tests.helpers import require_installed

require_installed("skl2onnx", "pandas")

COLUMNS = [{"name": "age", "dtype": "float64", "nullable": True},
           {"name": "income", "dtype": "float64", "nullable": True},
           {"name": "city", "dtype": "string", "nullable": True, "categories": ["Lyon", "Nice", "Paris"]}]


def test_a_null_in_an_onnx_string_column_is_refused_naming_it(tmp_path: Path) -> None:
    import onnx

    from lambdaserve.convert.sklearn_onnx import to_onnx

    made = models.sklearn_table(tmp_path, handle_unknown="ignore")  # "" would be scored, not refused
    native = load_model(models.runtime_settings(made.path, signature={"columns": COLUMNS}))
    graph = onnx.load_from_string(to_onnx(native.estimator, native.signature))
    del graph.metadata_props[:]  # a graph exported by hand: no word on which string means null
    onnx.save(graph, str(tmp_path / "model.onnx"))
    model = load_model(models.runtime_settings(tmp_path / "model.onnx", signature={"columns": COLUMNS}))
    city = next(c for c in model.signature.columns if c.name == "city")
    assert not city.nullable  # /metadata says so too
    with pytest.raises(RequestError, match="row 0, column 'city': null, but this column cannot be missing"):
        read_request({"data": [{"age": 30, "income": 4e4, "city": None}]}, model.signature)
    with pytest.raises(RequestError, match="column 'city': null, but the ONNX graph's string input"):
        model.predict({"age": [30.0], "income": [4e4], "city": [None]})  # as convert's check calls it
    ok = read_request({"data": [{"age": 30, "income": None, "city": "Paris"}]}, model.signature)
    assert len(model.predict(ok.inputs)["label"]) == 1  # a number may still be missing


def test_convert_s_graph_answers_a_null_string_as_the_native_pipeline(tmp_path: Path) -> None:
    import numpy as np

    from lambdaserve.convert.sklearn_onnx import to_onnx

    made = models.sklearn_table(tmp_path, handle_unknown="ignore")  # a null is an unknown city natively
    native = load_model(models.runtime_settings(made.path, signature={"columns": COLUMNS}))
    (tmp_path / "model.onnx").write_bytes(to_onnx(native.estimator, native.signature))
    model = load_model(models.runtime_settings(tmp_path / "model.onnx", signature={"columns": COLUMNS}))
    assert next(c for c in model.signature.columns if c.name == "city").nullable
    rows = read_request({"data": [{"age": 30, "income": 4e4, "city": None},
                                  {"age": 30, "income": 4e4, "city": "Paris"}]}, model.signature).inputs
    want, got = native.predict(rows, probabilities=True), model.predict(rows, probabilities=True)
    np.testing.assert_allclose(got["probabilities"], want["probabilities"], atol=1e-5, rtol=1e-4)
