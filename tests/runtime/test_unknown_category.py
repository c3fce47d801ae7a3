"""A category the model never saw: the function answers as the model does locally. LightGBM scores it
as missing, so it is scored; a scikit-learn OneHotEncoder(handle_unknown="error") refuses it, and
XGBoost 3.2 refuses one past its sorted training categories: a 400 naming the column and the allowed
values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lambdaserve.runtime.app import Runtime
from lambdaserve.runtime.formats import read_request
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.signature import ColumnSpec, Signature
from tests import models
from tests.helpers import require_installed
from tests.runtime.support import Context, answer, http_event, settings

require_installed("lightgbm", "xgboost", "sklearn", "pandas")

CITIES = ["Paris", "Lyon", "Nice"] * 20
AGES = [20.0 + (i * 7) % 50 for i in range(len(CITIES))]
LABELS = [int(c == "Paris" or (c == "Nice" and a > 40)) for c, a in zip(CITIES, AGES, strict=True)]
# Marseille was never seen; the last record leaves out the nullable city: both are scored as missing.
RECORDS: list[dict[str, Any]] = [{"city": "Marseille", "age": 50.0}, {"city": "Lyon", "age": 50.0},
                                 {"city": "Paris", "age": 25.0}, {"age": 50.0}]


def _train() -> Any:
    import pandas as pd

    return pd.DataFrame({"city": pd.Categorical(CITIES), "age": AGES})


def _asked() -> Any:
    import pandas as pd

    # as a user builds it locally: the request's own categories, not the training ones
    rows = [{"city": r.get("city"), "age": r["age"]} for r in RECORDS]
    frame = pd.DataFrame(rows)
    frame["city"] = pd.Categorical(frame["city"])
    return frame


def _lightgbm(folder: Path) -> tuple[Any, Path]:
    import lightgbm

    model = lightgbm.LGBMClassifier(n_estimators=8, min_child_samples=2, min_data_per_group=1,
                                    cat_smooth=1.0, verbose=-1).fit(_train(), LABELS)
    model.booster_.save_model(folder / "model.txt")
    return model, folder / "model.txt"


@pytest.mark.parametrize("declared", [False, True], ids=["own-signature", "declared-columns"])
def test_lightgbm_scores_an_unseen_category_as_missing_and_so_does_the_function(tmp_path: Path,
                                                                                declared: bool) -> None:
    local, path = _lightgbm(tmp_path)
    # lambdaserve.toml's columns as an older init wrote them: categories, no "unknown"
    signature = {"columns": [{"name": "city", "dtype": "string", "nullable": True,
                              "categories": ["Lyon", "Nice", "Paris"]},
                             {"name": "age", "dtype": "float64", "nullable": True}]} if declared else None
    served = load_model(models.runtime_settings(path, signature=signature))
    assert served.signature.columns[0].unknown == "missing"  # the model's fact, whatever was declared
    expected = local.predict_proba(_asked())
    # the test can fail: coded as the first category (Lyon), Marseille would get Lyon's answer
    assert not np.allclose(expected[0], expected[1])
    request = read_request({"data": RECORDS}, served.signature, default_probabilities=True)
    assert np.allclose(served.predict(request.inputs, probabilities=True)["probabilities"], expected)
    rt = Runtime(served, settings())
    status, body = answer(rt.handle(http_event({"data": RECORDS}), Context()))
    assert status == 200, body
    assert body["predictions"] == local.predict(_asked()).tolist()
    # GET /metadata says so, and the OpenAPI schema lists no enum a client would enforce
    status, meta = answer(rt.handle(http_event(path="/metadata", method="GET"), Context()))
    assert meta["signature"]["columns"][0]["unknown"] == "missing"
    city = rt.openapi()["components"]["schemas"]["Row"]["oneOf"][0]["properties"]["city"]
    assert "enum" not in city


def test_a_model_that_refuses_an_unseen_category_gets_a_400_naming_it(tmp_path: Path) -> None:
    import pandas as pd
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = _train().astype({"city": "object"})
    local = make_pipeline(make_column_transformer((OneHotEncoder(handle_unknown="error"), ["city"]),
                                                  remainder="passthrough"),
                          LogisticRegression()).fit(frame, LABELS)
    with pytest.raises(ValueError, match="unknown categor"):  # the model itself refuses Marseille
        local.predict(pd.DataFrame([{"city": "Marseille", "age": 50.0}]))
    models._save_sklearn(local, tmp_path / "model.joblib", "joblib")
    served = load_model(models.runtime_settings(tmp_path / "model.joblib"))
    assert served.signature.columns[0].unknown == "refuse"
    rt = Runtime(served, settings())
    status, body = answer(rt.handle(http_event({"data": [{"city": "Marseille", "age": 50.0}]}), Context()))
    assert status == 400
    assert "column 'city': 'Marseille' is not a category the model knows" in body["error"]["message"]
    assert "one of 'Lyon', 'Nice', 'Paris'" in body["error"]["hint"]
    status, body = answer(rt.handle(http_event({"data": [{"city": "Nice", "age": 50.0}]}), Context()))
    assert status == 200 and body["predictions"] == local.predict(
        pd.DataFrame([{"city": "Nice", "age": 50.0}])).tolist()


def test_signatures_written_before_unknown_existed_still_refuse() -> None:
    old = {"columns": [{"name": "city", "dtype": "string", "categories": ["Lyon"]}]}
    assert Signature.from_dict(old).columns[0] == ColumnSpec("city", "string", categories=("Lyon",))
    assert Signature.from_dict(old).columns[0].allowed == ("Lyon",)
    scored = ColumnSpec("city", "string", categories=("Lyon",), unknown="missing")
    assert scored.to_dict()["unknown"] == "missing" and scored.allowed is None
    assert Signature.from_json(Signature.table((scored,)).to_json()).columns == (scored,)
    assert "unknown" not in ColumnSpec("city", "string", categories=("Lyon",)).to_dict()


def test_xgboost_which_refuses_an_unseen_category_gets_a_400_naming_it(tmp_path: Path) -> None:
    import pandas as pd
    import xgboost as xgb

    local = xgb.XGBClassifier(n_estimators=3, max_depth=3, learning_rate=1.0, min_child_weight=0,
                              enable_categorical=True, tree_method="hist", n_jobs=1).fit(_train(), LABELS)
    local.get_booster().save_model(str(tmp_path / "model.json"))
    unseen = pd.DataFrame({"city": pd.Categorical(["Zurich"]), "age": [50.0]})
    with pytest.raises(xgb.core.XGBoostError, match="not in the training set"):  # XGBoost itself refuses
        local.predict(unseen)
    served = load_model(models.runtime_settings(tmp_path / "model.json"))
    assert served.signature.columns[0].unknown == "refuse"
    rt = Runtime(served, settings())
    status, body = answer(rt.handle(http_event({"data": [{"city": "Zurich", "age": 50.0}]}), Context()))
    assert status == 400
    assert "column 'city': 'Zurich' is not a category the model knows" in body["error"]["message"]


def test_hist_gradient_boosting_serves_its_category_column_scoring_an_unseen_one_as_missing(
        tmp_path: Path) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    local = HistGradientBoostingClassifier(max_iter=5, categorical_features="from_dtype")
    local.fit(_train(), LABELS)
    models._save_sklearn(local, tmp_path / "model.joblib", "joblib")
    served = load_model(models.runtime_settings(tmp_path / "model.joblib"))
    assert served.signature.columns == (
        ColumnSpec("city", "string", nullable=True, categories=("Lyon", "Nice", "Paris"), example="Lyon",
                   unknown="missing"),
        ColumnSpec("age", "float64", nullable=True))
    expected = local.predict_proba(_asked())
    assert not np.allclose(expected[0], expected[1])  # Marseille is not scored as Lyon
    request = read_request({"data": RECORDS}, served.signature, default_probabilities=True)
    assert np.allclose(served.predict(request.inputs, probabilities=True)["probabilities"], expected)
    status, body = answer(Runtime(served, settings()).handle(http_event({"data": RECORDS}), Context()))
    assert status == 200 and body["predictions"] == local.predict(_asked()).tolist()


@pytest.mark.parametrize("handle_unknown", ["error", "ignore", "infrequent_if_exist"])
def test_a_one_hot_column_takes_null_exactly_when_the_local_pipeline_answers_for_it(
        tmp_path: Path, handle_unknown: str) -> None:
    import pandas as pd
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    infrequent = 2 if handle_unknown == "infrequent_if_exist" else None
    encoder = OneHotEncoder(handle_unknown=handle_unknown, min_frequency=infrequent)
    local = make_pipeline(make_column_transformer((encoder, ["city"]), remainder="passthrough"),
                          LogisticRegression()).fit(_train().astype({"city": "object"}), LABELS)
    records = [{"city": None, "age": 50.0}, {"city": "Nice", "age": 50.0}, {"age": 25.0}]
    try:
        expected = local.predict_proba(pd.DataFrame(records, columns=["city", "age"]))
    except ValueError:
        expected = None  # "error": the local pipeline raises on a missing city
    models._save_sklearn(local, tmp_path / "model.joblib", "joblib")
    served = load_model(models.runtime_settings(tmp_path / "model.joblib"))
    assert served.signature.columns[0].nullable is (expected is not None)
    rt = Runtime(served, settings())
    asked = {"data": records, "parameters": {"probabilities": True}}
    status, body = answer(rt.handle(http_event(asked), Context()))
    if expected is None:
        assert status == 400  # a record leaving the column out is named first; a null is refused too
        assert body["error"]["message"] == "row 2 is missing column 'city'"
        status, body = answer(rt.handle(http_event({"data": records[:1]}), Context()))
        assert body["error"]["message"] == "row 0, column 'city': null, but this column cannot be missing"
        return
    assert status == 200, body
    assert np.array_equal([p["probabilities"] for p in body["predictions"]], expected)
