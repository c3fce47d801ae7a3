"""CatBoost: a native model.cbm and a CatBoostClassifier pickle on a table with a categorical column,
answering as CatBoost itself does (an unseen category too: CatBoost keeps no list to refuse it by)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lambdaserve.runtime.formats import read_request
from lambdaserve.runtime.loaders import detect_framework, load_model
from lambdaserve.runtime.signature import ColumnSpec
from tests import models
from tests.helpers import require_installed

require_installed("catboost", "pandas")


@pytest.mark.parametrize("native", [True, False], ids=["model.cbm", "sklearn-api-joblib"])
def test_catboost_classifier_serves_records_with_its_category_column(tmp_path: Path, native: bool) -> None:
    made = models.catboost_table(tmp_path, native=native)
    model = load_model(models.runtime_settings(made.path))
    assert model.framework == "catboost"
    assert model.signature.columns == (ColumnSpec("age", "float32", nullable=True),
                                       ColumnSpec("income", "float32", nullable=True),
                                       ColumnSpec("city", "string"))
    request = read_request({"data": made.rows}, model.signature, default_probabilities=True)
    answer = model.predict(request.inputs, probabilities=True)
    assert np.asarray(answer["label"]).tolist() == np.asarray(made.expected["label"]).tolist()
    assert np.allclose(answer["probabilities"], made.expected["probabilities"])
    assert ("scikit-learn" in model.versions()) is (not native)
    if native:
        assert detect_framework(made.path) == "catboost"


def test_catboost_regressor_and_a_missing_category_refused(tmp_path: Path) -> None:
    made = models.catboost_table(tmp_path, classifier=False)
    model = load_model(models.runtime_settings(made.path))
    request = read_request({"data": made.rows}, model.signature)
    assert np.allclose(model.predict(request.inputs)["prediction"], made.expected["prediction"])
    from lambdaserve.errors import RequestError

    with pytest.raises(RequestError, match="row 0, column 'city': null"):
        read_request({"data": [{"age": 1, "income": 2.0, "city": None}]}, model.signature)


@pytest.mark.parametrize("declared", [False, True], ids=["own-signature", "declared-float64"])
def test_a_number_past_float32_is_refused_naming_its_column_not_fed_as_inf(tmp_path: Path,
                                                                          declared: bool) -> None:
    from lambdaserve.errors import RequestError

    made = models.catboost_table(tmp_path)
    signature = ({"columns": [{"name": "age", "dtype": "float64", "nullable": True},
                              {"name": "income", "dtype": "float64", "nullable": True},
                              {"name": "city", "dtype": "string"}]} if declared else None)
    model = load_model(models.runtime_settings(made.path, signature=signature))
    # CatBoost itself scores 1e39 as inf, silently: the refusal has to come before it
    with pytest.raises(RequestError, match=r"row 0, column 'income': 1e\+39 is out of range for float32"):
        read_request({"data": [{"age": 30, "income": 1e39, "city": "Paris"}]}, model.signature)
    ok = read_request({"data": [{"age": 30, "income": 3.4e38, "city": "Paris"}]}, model.signature)
    assert model.predict(ok.inputs)["label"] is not None  # the largest float32 still goes through
