"""A number is checked against the dtype the model computes in, not only the one it accepts.

scikit-learn's trees take float64 but compare features as float32 (sklearn.tree._tree.DTYPE),
so 3.5e38 became inf inside the forest and the client got a 500; it is a 400 naming float32.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.runtime.app import Runtime
from lambdaserve.runtime.loaders import load_model
from tests import models
from tests.models import runtime_settings
from tests.runtime.support import Context, answer, http_event, settings

HUGE = ["3.5e38", "-3.5e38", "1e308", "1e39", str(10**308)]


def _ask(path: Path, cell: str) -> tuple[int, Any]:
    rt = Runtime(load_model(runtime_settings(path)), settings())
    raw = '{"data": [[' + cell + ", 3.5, 1.4, 0.2]]}"
    return answer(rt.handle(http_event(raw=raw), Context()))


def test_a_random_forest_computes_in_float32_and_says_so(tmp_path: Path) -> None:
    made = models.sklearn_classifier(tmp_path)
    model = load_model(runtime_settings(made.path))
    assert model.signature.inputs[0].dtype == "float32"
    for cell in HUGE:
        status, body = _ask(made.path, cell)
        assert status == 400, (cell, body)
        assert "row 0, column 0" in body["error"]["message"] and "float32" in body["error"]["message"]
    assert _ask(made.path, "3.4e38")[0] == 200  # float32's own range still serves


def test_a_linear_model_keeps_float64(tmp_path: Path) -> None:
    made = models.sklearn_regressor(tmp_path)
    assert load_model(runtime_settings(made.path)).signature.inputs[0].dtype == "float64"


def _scaled_forest(folder: Path) -> Path:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y, _ = models.iris()
    model = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=3, random_state=0)).fit(x, y)
    path = folder / "model.joblib"
    import joblib

    joblib.dump(model, path)
    return path


@pytest.mark.parametrize("cell", ["3.5e38", "1e300", "-1e308"])
def test_a_forest_behind_a_scaler_overflowing_inside_is_a_400(tmp_path: Path, cell: str) -> None:
    # the scaler sees float64; the forest behind it casts the scaled value to float32
    status, body = _ask(_scaled_forest(tmp_path), cell)
    assert status == 400, body
    assert "float32" in body["error"]["message"], body
    assert "Error" not in json.dumps(body)


def _first_input_row(model: Any, cell: str) -> str:
    name = model.signature.inputs[0].name
    return json.dumps({"data": {name: [[0.0, 3.5, 1.4, 0.2]]}}).replace("0.0", cell, 1)


@pytest.mark.slow  # imports three frameworks
@pytest.mark.parametrize("kind", ["xgboost", "onnx", "torchscript"])
def test_every_framework_refuses_what_overflows_its_float32(tmp_path: Path, kind: str) -> None:
    # xgboost reads features as float32 (its DMatrix); ONNX and TorchScript take the graph's /
    # declared float32: each says so in its signature, so the range check applies
    made = {"xgboost": models.xgboost_model, "onnx": models.onnx_classifier,
            "torchscript": models.torchscript_mlp}[kind](tmp_path)
    model = load_model(runtime_settings(made.path, signature=made.signature))
    assert model.signature.inputs[0].dtype == "float32"
    rt = Runtime(model, settings())
    for cell in ("3.5e38", "1e308"):
        status, body = answer(rt.handle(http_event(raw=_first_input_row(model, cell)), Context()))
        assert status == 400 and "out of range for float32" in body["error"]["message"], body
