"""An ONNX table's string column cannot be missing: an ONNX string tensor has no null, and feeding ""
would score a category the model never saw. A null is a 400 naming the column, never ""."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaserve.errors import RequestError
from lambdaserve.runtime.formats import read_request
from lambdaserve.runtime.loaders import load_model
from tests import models

pytest.importorskip("skl2onnx")
pytest.importorskip("pandas")

COLUMNS = [{"name": "age", "dtype": "float64", "nullable": True},
           {"name": "income", "dtype": "float64", "nullable": True},
           {"name": "city", "dtype": "string", "nullable": True, "categories": ["Lyon", "Nice", "Paris"]}]


def test_a_null_in_an_onnx_string_column_is_refused_naming_it(tmp_path: Path) -> None:
    from lambdaserve.convert.sklearn_onnx import to_onnx

    made = models.sklearn_table(tmp_path, handle_unknown="ignore")  # "" would be scored, not refused
    native = load_model(models.runtime_settings(made.path, signature={"columns": COLUMNS}))
    (tmp_path / "model.onnx").write_bytes(to_onnx(native.estimator, native.signature))
    model = load_model(models.runtime_settings(tmp_path / "model.onnx", signature={"columns": COLUMNS}))
    city = next(c for c in model.signature.columns if c.name == "city")
    assert not city.nullable  # /metadata says so too
    with pytest.raises(RequestError, match="row 0, column 'city': null, but this column cannot be missing"):
        read_request({"data": [{"age": 30, "income": 4e4, "city": None}]}, model.signature)
    with pytest.raises(RequestError, match="column 'city': null, but the ONNX graph's string input"):
        model.predict({"age": [30.0], "income": [4e4], "city": [None]})  # as convert's check calls it
    ok = read_request({"data": [{"age": 30, "income": None, "city": "Paris"}]}, model.signature)
    assert len(model.predict(ok.inputs)["label"]) == 1  # a number may still be missing
