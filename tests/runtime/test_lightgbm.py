"""LightGBM: a native model.txt and an LGBMClassifier pickle, each with a pandas category column and
a feature name LightGBM rewrote ("age years" -> "age_years"), answering as LightGBM itself does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lambdaserve.errors import ModelLoadError
from lambdaserve.runtime.formats import read_request
from lambdaserve.runtime.loaders import detect_framework, load_model
from lambdaserve.runtime.loaders.lightgbm import SHARED_LIBRARIES
from lambdaserve.runtime.signature import ColumnSpec
from tests import models
from tests.helpers import require_installed

require_installed("lightgbm", "pandas")


@pytest.mark.parametrize("native", [True, False], ids=["model.txt", "sklearn-api-joblib"])
def test_lightgbm_serves_its_category_column_and_missing_values(tmp_path: Path, native: bool) -> None:
    made = models.lightgbm_table(tmp_path, native=native)
    model = load_model(models.runtime_settings(made.path))
    assert model.framework == "lightgbm"
    assert model.signature.columns == (
        ColumnSpec("age_years", "float64", nullable=True),
        ColumnSpec("income", "float64", nullable=True),
        ColumnSpec("city", "string", nullable=True, categories=("Lyon", "Nice", "Paris"), example="Lyon",
                   unknown="missing"),
    )
    rows = [{"age_years" if k == "age years" else k: v for k, v in r.items()} for r in made.rows]
    request = read_request({"data": rows}, model.signature, default_probabilities=True)
    answer = model.predict(request.inputs, probabilities=True)
    assert np.allclose(answer["probabilities"], made.expected["probabilities"])
    assert np.asarray(answer["label"]).astype(int).tolist() == made.expected["label"].tolist()
    versions = model.versions()
    assert {"lightgbm", "pandas"} <= set(versions)
    assert ("scikit-learn" in versions) is (not native)


def test_the_users_column_names_declared_for_lightgbms_rewritten_ones(tmp_path: Path) -> None:
    made = models.lightgbm_table(tmp_path)
    declared = {"columns": [{"name": "age years", "dtype": "int64"}, {"name": "income", "nullable": True},
                            {"name": "city", "dtype": "string", "nullable": True,
                             "categories": ["Lyon", "Nice", "Paris"]}]}
    model = load_model(models.runtime_settings(made.path, signature=declared))
    request = read_request({"data": made.rows}, model.signature, default_probabilities=True)
    assert np.allclose(model.predict(request.inputs, probabilities=True)["probabilities"],
                       made.expected["probabilities"])


def test_a_lightgbm_text_file_is_detected_by_its_content(tmp_path: Path) -> None:
    made = models.lightgbm_table(tmp_path)
    assert detect_framework(made.path) == "lightgbm"
    assert detect_framework(tmp_path) == "lightgbm"  # the folder: train.csv is no model, model.txt is
    (tmp_path / "notes.txt").write_text("not a model")
    assert detect_framework(made.path) == "lightgbm"
    assert SHARED_LIBRARIES == ("libgomp.so.1",)


@pytest.mark.parametrize("framework", ["auto", "lightgbm", "xgboost"])
def test_lightgbms_json_dump_is_refused_with_the_way_to_save_a_loadable_model(
        tmp_path: Path, framework: str) -> None:
    import json

    lightgbm = pytest.importorskip("lightgbm")
    x = np.random.default_rng(0).random((40, 2))
    booster = lightgbm.train({"objective": "binary", "verbose": -1, "num_leaves": 3},
                             lightgbm.Dataset(x, (x[:, 0] > 0.5).astype(int)), 2)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(booster.dump_model(), indent=2 if framework == "xgboost" else None))
    with pytest.raises(lightgbm.basic.LightGBMError):  # what makes a native loader impossible
        lightgbm.Booster(model_file=str(path))
    with pytest.raises(ModelLoadError) as refused:
        if framework == "auto":
            detect_framework(path)
        else:
            load_model(models.runtime_settings(path, framework))
    assert "model.json is LightGBM's JSON dump (booster.dump_model())" in refused.value.message
    assert 'booster.save_model("model.txt")' in refused.value.hint
