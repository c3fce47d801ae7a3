"""XGBoost trained on a DataFrame with a category column (enable_categorical): served as a table from
model.json, model.ubj and a joblib'd XGBClassifier / XGBRegressor, answering as XGBoost did in training."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from lambdaserve.errors import ModelLoadError, RequestError
from lambdaserve.runtime.app import Runtime
from lambdaserve.runtime.formats import read_request
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.loaders.frame import dataframe
from lambdaserve.runtime.signature import ColumnSpec
from lambdaserve.runtime.telemetry import Telemetry
from tests import models
from tests.helpers import require_installed
from tests.runtime.support import Context, answer, http_event, settings

require_installed("xgboost", "pandas")

CITY = ColumnSpec("city", "string", nullable=True, categories=models.XGB_CITIES, example="Paris")


@pytest.mark.parametrize("fmt", ["json", "ubj", "joblib"])
def test_xgboost_serves_records_with_its_category_column_as_in_training(tmp_path: Path, fmt: str) -> None:
    made = models.xgboost_table(tmp_path, fmt)
    model = load_model(models.runtime_settings(made.path))
    assert model.framework == "xgboost"
    # the categories XGBoost kept in the model, in training order (not sorted)
    assert model.signature.columns == (ColumnSpec("age", "int64", nullable=True),
                                       ColumnSpec("income", "float32", nullable=True), CITY)
    request = read_request({"data": made.rows}, model.signature, default_probabilities=True)
    answer = model.predict(request.inputs, probabilities=True)
    assert np.allclose(answer["probabilities"], made.expected["probabilities"])
    assert np.asarray(answer["label"]).tolist() == made.expected["label"].tolist()
    versions = model.versions()
    assert {"xgboost", "pandas", "numpy"} <= set(versions)
    assert ("scikit-learn" in versions) is (fmt == "joblib")


@pytest.mark.parametrize("fmt", ["ubj", "joblib"])
def test_regressor_column_ordered_rows_and_oip_tensors_answer_as_records(tmp_path: Path, fmt: str) -> None:
    made = models.xgboost_table(tmp_path, fmt, classifier=False)
    model = load_model(models.runtime_settings(made.path))
    rows = [[r["age"], r["income"], r["city"]] for r in made.rows]
    oip = {"inputs": [
        {"name": "city", "shape": [4], "datatype": "BYTES", "data": [r["city"] for r in made.rows]},
        {"name": "age", "shape": [4], "datatype": "INT64", "data": [r["age"] for r in made.rows]},
        {"name": "income", "shape": [4, 1], "datatype": "FP64", "data": [r["income"] for r in made.rows]},
    ]}
    for body in ({"data": rows}, oip):
        request = read_request(body, model.signature)
        assert np.allclose(model.predict(request.inputs)["prediction"], made.expected["prediction"])


def test_an_unknown_category_is_refused_naming_the_column_and_the_allowed_values(tmp_path: Path) -> None:
    made = models.xgboost_table(tmp_path, "json")
    model = load_model(models.runtime_settings(made.path))
    with pytest.raises(RequestError) as refused:
        read_request({"data": [{"age": 30, "income": 1.0, "city": "Marseille"}]}, model.signature)
    assert "column 'city': 'Marseille' is not a category the model knows" in refused.value.message
    assert "one of 'Paris', 'Nice', 'Lyon'" in refused.value.hint


def test_the_frame_codes_categories_in_training_order_whatever_the_request_holds(tmp_path: Path) -> None:
    made = models.xgboost_table(tmp_path, "json")
    model = load_model(models.runtime_settings(made.path))
    # "Nice" alone: pandas would code it 0 (Paris's code in training) without the training categories
    request = read_request({"data": [made.rows[0]]}, model.signature, default_probabilities=True)
    built = dataframe(request.inputs, model.signature.columns, categorical=True)
    assert list(built["city"].cat.categories) == list(models.XGB_CITIES)
    assert built["city"].cat.codes.tolist() == [1]
    answer = model.predict(request.inputs, probabilities=True)
    assert np.allclose(answer["probabilities"], made.expected["probabilities"][0:1])
    paris = read_request({"data": [{**made.rows[0], "city": "Paris"}]}, model.signature,
                         default_probabilities=True)
    assert not np.allclose(model.predict(paris.inputs, probabilities=True)["probabilities"],
                           answer["probabilities"])  # the city changes the answer: the test can tell


def _without_stored_categories(path: Path) -> Path:
    """The model as an XGBoost before 3.1 saved it: no category values kept, only their codes."""
    import json

    raw = json.loads(path.read_text())
    del raw["learner"]["gradient_booster"]["model"]["cats"]
    old = path.with_name("old.json")
    old.write_text(json.dumps(raw))
    path.unlink()
    return old


def test_a_column_declared_without_categories_keeps_the_models(tmp_path: Path) -> None:
    made = models.xgboost_table(tmp_path, "json")
    declared = {"columns": [{"name": "age", "dtype": "int64"}, {"name": "income", "nullable": True},
                            {"name": "city", "dtype": "string", "nullable": True}]}
    model = load_model(models.runtime_settings(made.path, signature=declared))
    assert model.signature.columns[2].categories == models.XGB_CITIES
    request = read_request({"data": made.rows}, model.signature, default_probabilities=True)
    assert np.allclose(model.predict(request.inputs, probabilities=True)["probabilities"],
                       made.expected["probabilities"])


def test_a_model_without_stored_categories_needs_them_declared_in_training_order(tmp_path: Path) -> None:
    made = models.xgboost_table(tmp_path, "json")
    old = _without_stored_categories(made.path)
    with pytest.raises(ModelLoadError) as refused:
        load_model(models.runtime_settings(old))
    assert "category column 'city' has no known categories" in refused.value.message
    assert "categories = [...]" in refused.value.hint

    def served(categories: list[str]) -> np.ndarray:
        declared = {"columns": [{"name": "age", "dtype": "int64"}, {"name": "income", "nullable": True},
                                {"name": "city", "dtype": "string", "nullable": True,
                                 "categories": categories}]}
        model = load_model(models.runtime_settings(old, signature=declared))
        request = read_request({"data": made.rows}, model.signature, default_probabilities=True)
        return np.asarray(model.predict(request.inputs, probabilities=True)["probabilities"])

    # such a model reads only codes: the training order gives the training answers, another order does not
    assert np.allclose(served(list(models.XGB_CITIES)), made.expected["probabilities"])
    assert not np.allclose(served(["Nice", "Paris", "Lyon"]), made.expected["probabilities"])


def test_metadata_openapi_examples_and_warm_up_show_and_use_the_columns(tmp_path: Path) -> None:
    made = models.xgboost_table(tmp_path, "ubj")
    stream = io.StringIO()
    rt = Runtime(load_model(models.runtime_settings(made.path)), settings(LAMBDASERVE_WARMUP="1"),
                 telemetry=Telemetry("t", stream=stream, clock=lambda: 1.0))
    assert rt.warm_up() is not None  # the example row reaches the model without an error
    status, meta = answer(rt.handle(http_event(path="/metadata", method="GET"), Context()))
    assert status == 200
    assert meta["signature"]["columns"][2] == {
        "name": "city", "dtype": "string", "nullable": True, "categories": ["Paris", "Nice", "Lyon"],
        "example": "Paris"}
    assert meta["versions"]["pandas"]  # the function rebuilds a DataFrame: pandas is pinned
    doc = rt.openapi()
    assert doc["components"]["schemas"]["Row"]["oneOf"][0]["properties"]["city"]["enum"][:3] == [
        "Paris", "Nice", "Lyon"]
    examples = doc["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    for example in examples.values():  # the try-it page sends these as they are
        status, body = answer(rt.handle(http_event(example["value"]), Context()))
        assert status == 200, (example, body)
    status, body = answer(rt.handle(http_event({"data": made.rows}), Context()))
    assert status == 200 and body["predictions"] == made.expected["label"].tolist()


def test_integer_categories_are_read_from_the_model_in_training_order(tmp_path: Path) -> None:
    import pandas as pd
    import xgboost as xgb

    frame = pd.DataFrame({"k": pd.Categorical([3, 1, 2, 1] * 6, categories=[3, 1, 2]), "b": [0.1, 0.9] * 12})
    model = xgb.XGBRegressor(n_estimators=2, max_depth=2, min_child_weight=0, enable_categorical=True,
                             n_jobs=1).fit(frame, (frame["k"] == 1).astype(float) + frame["b"])
    model.get_booster().save_model(str(tmp_path / "model.json"))
    served = load_model(models.runtime_settings(tmp_path / "model.json"))
    assert served.signature.columns[0] == ColumnSpec("k", "int64", nullable=True, categories=(3, 1, 2),
                                                     example=3)
    rows = [{"k": 1, "b": 0.5}, {"k": 2, "b": 0.5}, {"k": None, "b": 0.1}]
    request = read_request({"data": rows}, served.signature)
    asked = pd.DataFrame(rows)
    asked["k"] = pd.Categorical(asked["k"], categories=[3, 1, 2])
    assert np.allclose(served.predict(request.inputs)["prediction"], model.predict(asked))
    with pytest.raises(RequestError, match="'k': 7 is not a category the model knows"):
        read_request({"data": [{"k": 7, "b": 0.5}]}, served.signature)


@pytest.mark.parametrize("fmt", ["json", "ubj"])
def test_numeric_columns_declared_nullable_score_a_null_as_missing_without_pandas(tmp_path: Path,
                                                                                   fmt: str) -> None:
    # `init --sample` with a gap in a column declares numeric columns that take nulls: XGBoost
    # scores NaN as missing, so the function answers such a row as booster.predict does, and the
    # matrix it builds needs no pandas (init pins what versions() names: pandas would be missing
    # from the zip, and the build's proof failed on it)
    import xgboost as xgb

    made = models.xgboost_model(tmp_path, "binary:logistic", fmt)
    names = made.extra["feature_names"]
    columns = [{"name": n, "dtype": "float64", "nullable": True} for n in names]
    model = load_model(models.runtime_settings(made.path, signature={"columns": columns}))
    assert "pandas" not in model.versions()
    rows = [[5.1, None, 1.4, 0.2], [6.7, 3.0, None, None]]
    request = read_request({"data": rows}, model.signature, default_probabilities=True)
    answer = model.predict(request.inputs, probabilities=True)
    booster = xgb.Booster(model_file=str(made.path))
    raw = booster.predict(xgb.DMatrix(np.array(rows, dtype=float), feature_names=list(names)))
    assert np.allclose(np.asarray(answer["probabilities"])[:, 1], raw)
    assert np.asarray(answer["label"]).tolist() == (raw > 0.5).astype(int).tolist()
