"""A JSON null in a numeric row, for a model that scores missing values itself (XGBoost, LightGBM,
HistGradientBoosting, a pipeline that imputes before anything raises): it reaches the model as NaN
and the answer is the local model's for NaN. A model that would raise on NaN (LogisticRegression, a
pipeline that scales first) still gets the 400 naming the null."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lambdaserve.runtime.loaders import load_model
from tests import models
from tests.helpers import require_installed
from tests.runtime.support import Context, answer, http_event, runtime

require_installed("sklearn")

ROWS: list[list[float | None]] = [[0.3, None, 0.5], [None, 0.9, 0.1]]
AS_NAN = np.array([[0.3, np.nan, 0.5], [np.nan, 0.9, 0.1]])


def _training() -> tuple[Any, Any]:
    x = np.random.default_rng(0).random((80, 3))
    x[::7, 1] = np.nan  # missing values in training, so the trees learn a side for them
    return x, (np.nan_to_num(x[:, 0]) + np.nan_to_num(x[:, 1]) > 0.9).astype(int)


def _pickled(tmp_path: Path, est: Any) -> Path:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(est))
    return path


def _xgboost(tmp_path: Path) -> tuple[Path, Any]:
    import xgboost

    x, y = _training()
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 2}, xgboost.DMatrix(x, y), 4)
    path = tmp_path / "model.json"
    booster.save_model(str(path))
    return path, lambda rows: {"probabilities": booster.predict(xgboost.DMatrix(rows))}


def _lightgbm(tmp_path: Path) -> tuple[Path, Any]:
    import lightgbm

    x, y = _training()
    booster = lightgbm.train({"objective": "binary", "verbose": -1, "num_leaves": 3,
                              "min_data_in_leaf": 2}, lightgbm.Dataset(x, y), 4)
    path = tmp_path / "model.txt"
    booster.save_model(str(path))
    return path, lambda rows: {"probabilities": booster.predict(rows)}


def _hist(tmp_path: Path) -> tuple[Path, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier

    est = HistGradientBoostingClassifier(max_iter=5).fit(*_training())
    return _pickled(tmp_path, est), lambda rows: {"label": est.predict(rows),
                                                 "probabilities": est.predict_proba(rows)[:, 1]}


def _xgb_classifier(tmp_path: Path) -> tuple[Path, Any]:
    import xgboost

    est = xgboost.XGBClassifier(n_estimators=4, max_depth=2).fit(*_training())
    return _pickled(tmp_path, est), lambda rows: {"label": est.predict(rows),
                                                 "probabilities": est.predict_proba(rows)[:, 1]}


MAKERS = {"xgboost": ("xgboost", _xgboost), "lightgbm": ("lightgbm", _lightgbm),
          "hist-gradient-boosting": ("sklearn", _hist), "xgb-classifier": ("xgboost", _xgb_classifier)}


def _served(path: Path, body: dict[str, Any] | None, route: str = "/predict") -> tuple[int, Any]:
    model = load_model(models.runtime_settings(path, probabilities=True))
    rt, _ = runtime(model)
    event = http_event(body, path=route, method="POST" if body is not None else "GET")
    event.update(rawQueryString="probabilities=true", queryStringParameters={"probabilities": "true"})
    return answer(rt.handle(event, Context()))


@pytest.mark.parametrize("name", list(MAKERS))
def test_a_null_reaches_a_model_that_scores_missing_values_as_nan(tmp_path: Path, name: str) -> None:
    module, make = MAKERS[name]
    pytest.importorskip(module)
    path, local = make(tmp_path)
    (spec,) = load_model(models.runtime_settings(path)).signature.inputs
    assert spec.nullable
    assert _served(path, None, "/metadata")[1]["signature"]["inputs"][0]["nullable"] is True
    assert '["number", "null"]' in json.dumps(_served(path, None, "/openapi.json")[1])
    status, body = _served(path, {"data": ROWS})
    assert status == 200, body
    expected = local(AS_NAN)
    predictions = body["predictions"]
    probabilities = np.asarray([p["probabilities"] for p in predictions])
    if probabilities.ndim == 2:
        probabilities = probabilities[:, 1]
    assert np.allclose(probabilities, expected["probabilities"], rtol=1e-6)
    if "label" in expected:
        assert [p["label"] for p in predictions] == expected["label"].tolist()
    # the Open Inference Protocol's float tensor takes null the same way; an integer one does not
    tensor = {"name": "input", "shape": [2, 3], "datatype": "FP32", "data": sum(ROWS, [])}
    status, oip = _served(path, {"inputs": [tensor]})
    assert status == 200, oip
    integers = {**tensor, "datatype": "INT64", "data": [1, None, 0, 0, 1, 0]}
    assert _served(path, {"inputs": [integers]})[1]["error"]["message"] == (
        "input 'input': data[1], row 0, column 1: null is not a number (INT64)")


def test_a_model_that_raises_on_nan_still_refuses_null(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    x, y = _training()
    est = LogisticRegression().fit(np.nan_to_num(x), y)
    with pytest.raises(ValueError):
        est.predict(AS_NAN)  # the local model refuses NaN: so does the function, with a 400
    path = _pickled(tmp_path, est)
    assert not load_model(models.runtime_settings(path)).signature.inputs[0].nullable
    status, body = _served(path, {"data": ROWS})
    assert status == 400
    assert body["error"]["message"] == "row 0, column 1: null is not a number"


def _pipeline(steps: str) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import KNNImputer, SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    made = {"imputer": SimpleImputer, "knn": KNNImputer, "scaler": StandardScaler,
            "identity": FunctionTransformer,
            "minus-one-imputer": lambda: SimpleImputer(missing_values=-1.0),
            "logistic": LogisticRegression, "hist": lambda: HistGradientBoostingClassifier(max_iter=5)}
    return make_pipeline(*(made[name]() for name in steps.split("+")))


@pytest.mark.parametrize("steps", ["imputer+logistic", "knn+logistic", "scaler+imputer+logistic",
                                   "scaler+hist", "scaler+logistic", "identity+logistic",
                                   "minus-one-imputer+logistic"])
def test_a_pipeline_takes_null_exactly_when_the_local_pipeline_answers_for_nan(tmp_path: Path,
                                                                               steps: str) -> None:
    # scikit-learn's Pipeline tags say allow_nan=False whatever its steps: the steps decide
    x, y = _training()
    est = _pipeline(steps).fit(np.nan_to_num(x), y)
    try:
        expected = {"label": est.predict(AS_NAN).tolist(), "probabilities": est.predict_proba(AS_NAN)}
    except ValueError:
        expected = None  # the local pipeline raises on NaN
    path = _pickled(tmp_path, est)
    assert load_model(models.runtime_settings(path)).signature.inputs[0].nullable is (expected is not None)
    status, body = _served(path, {"data": ROWS})
    if expected is None:
        assert status == 400
        assert body["error"]["message"] == "row 0, column 1: null is not a number"
        return
    assert status == 200, body
    assert [p["label"] for p in body["predictions"]] == expected["label"]
    assert np.array_equal([p["probabilities"] for p in body["predictions"]], expected["probabilities"])


def test_an_integer_tensor_refuses_null_though_declared_nullable() -> None:
    from lambdaserve.runtime.signature import TensorSpec
    from lambdaserve.runtime.validation import RowChecker

    floats = RowChecker(TensorSpec("input", "float32", (None, 2), nullable=True))
    assert np.isnan(floats.check_rows([[1.0, None]])[0][1])
    ints = RowChecker(TensorSpec("input", "int64", (None, 2), nullable=True))
    with pytest.raises(Exception, match="null is not a number"):
        ints.check_rows([[1, None]])
