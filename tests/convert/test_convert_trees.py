"""convert --to onnx on XGBoost and LightGBM (onnxmltools): an XGBoost Booster converts and answers as
XGBoost; a model.txt Booster and a joblib'd LGBMClassifier on
named columns convert, are verified against LightGBM, and the sibling config serves the same answers
without lightgbm; category columns are refused, not mis-encoded."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.config import load_config, runtime_env
from lambdaserve.convert import convert_project
from lambdaserve.errors import ConvertError
from lambdaserve.runtime.formats import read_request
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.settings import RuntimeSettings
from tests import models
from tests.helpers import require_installed

require_installed("lightgbm", "onnxmltools")


def _init(project: Path, model: str, *more: str) -> Path:
    # In this process: a fresh interpreter per init paid seconds of CPU re-importing the frameworks
    # this worker has loaded already (a model file, no user code, so nothing leaks into the worker).
    with contextlib.chdir(project):
        done = CliRunner().invoke(cli, ["init", "--model", model, "--force", *more], prog_name="lambdaserve")
    assert done.exit_code == 0, (done.output, done.exception)
    return project / "lambdaserve.toml"


def _answer(config_file: Path, data: object, probabilities: bool) -> dict[str, np.ndarray]:
    """What the runtime answers with this config: the path a deployed function takes."""
    model = load_model(RuntimeSettings.from_env(runtime_env(load_config(config_file))))
    request = read_request({"data": data}, model.signature, default_probabilities=probabilities)
    return {k: np.asarray(v) for k, v in model.predict(request.inputs, probabilities=probabilities).items()}


def _rows(n: int = 64) -> np.ndarray:
    return np.random.default_rng(0).random((n, 3))


@pytest.mark.slow
@pytest.mark.parametrize("objective", ["binary", "multiclass", "regression"])
def test_a_booster_from_model_txt_converts_and_serves_lightgbms_answers(tmp_path: Path,
                                                                        objective: str) -> None:
    import lightgbm

    x = _rows()
    y = {"binary": x[:, 0] > 0.5, "multiclass": (x[:, 0] * 3).astype(int),
         "regression": x[:, 1] * 3}[objective]
    params = {"objective": objective, "verbose": -1, "num_leaves": 4, "min_data_in_leaf": 2}
    if objective == "multiclass":
        params["num_class"] = 3
    lightgbm.train(params, lightgbm.Dataset(x, y.astype(float)), 5).save_model(str(tmp_path / "model.txt"))
    toml = _init(tmp_path, "model.txt")
    done = convert_project(load_config(toml))
    config = load_config(done.config_path)
    assert config.model.framework == "onnx" and config.function.package == "zip"
    assert not [r for r in config.function.requirements if r.startswith("lightgbm")]
    rows = np.random.default_rng(1).random((32, 3)).tolist()
    classifier = objective != "regression"
    native, slim = _answer(toml, rows, classifier), _answer(done.config_path, rows, classifier)
    if classifier:
        np.testing.assert_array_equal(slim["label"], native["label"])
        np.testing.assert_allclose(slim["probabilities"], native["probabilities"], atol=1e-5, rtol=1e-4)
    else:
        assert slim["prediction"].shape == native["prediction"].shape == (32,)
        np.testing.assert_allclose(slim["prediction"], native["prediction"], atol=1e-5, rtol=1e-4)


@pytest.mark.slow
def test_an_lgbm_classifier_on_named_columns_converts_with_one_input_per_column(tmp_path: Path) -> None:
    import joblib
    import lightgbm
    import pandas as pd

    x = _rows(80)
    frame = pd.DataFrame({"age years": x[:, 0] * 80, "income": x[:, 1] * 1e5, "score": x[:, 2]})
    model = lightgbm.LGBMClassifier(n_estimators=6, num_leaves=4, min_child_samples=2, verbose=-1)
    # int labels here (bool ones: tests/convert/test_convert_labels.py)
    joblib.dump(model.fit(frame, (frame["age years"] > 40).astype(int)), tmp_path / "model.joblib")
    frame.to_csv(tmp_path / "train.csv", index=False)
    toml = _init(tmp_path, "model.joblib", "--sample", "train.csv")  # a table of named columns
    done = convert_project(load_config(toml))
    import onnx

    graph = onnx.load(str(done.onnx_path)).graph
    assert [i.name for i in graph.input] == ["age years", "income", "score"]  # the user's names
    records = [{"age years": 58.0, "income": 40000.0, "score": 0.2},
               {"age years": 22.5, "income": 9e4, "score": 0.9}]
    native, slim = _answer(toml, records, True), _answer(done.config_path, records, True)
    assert native["label"].tolist() == [1, 0]
    np.testing.assert_array_equal(slim["label"], native["label"])
    np.testing.assert_allclose(slim["probabilities"], native["probabilities"], atol=1e-5, rtol=1e-4)


@pytest.mark.slow
def test_category_columns_are_refused_with_the_fix(tmp_path: Path) -> None:
    made = models.lightgbm_table(tmp_path)
    toml = _init(tmp_path, made.path.name)
    with pytest.raises(ConvertError, match=r"category columns \(city\)") as refused:
        convert_project(load_config(toml))
    assert "Keep the native model" in refused.value.hint
    assert not (tmp_path / "model.onnx").exists()


@pytest.mark.slow
@pytest.mark.parametrize("objective", ["binary:logistic", "multi:softprob", "reg:squarederror"])
def test_an_xgboost_booster_converts_and_serves_xgboosts_answers(tmp_path: Path, objective: str) -> None:
    pytest.importorskip("xgboost")
    made = models.xgboost_model(tmp_path, objective)
    toml = _init(tmp_path, made.path.name)
    done = convert_project(load_config(toml))
    config = load_config(done.config_path)
    assert config.model.framework == "onnx" and config.function.package == "zip"
    assert not [r for r in config.function.requirements if r.startswith("xgboost")]
    classifier = objective != "reg:squarederror"
    native, slim = _answer(toml, made.rows, classifier), _answer(done.config_path, made.rows, classifier)
    if classifier:
        np.testing.assert_array_equal(slim["label"], native["label"])
        np.testing.assert_allclose(slim["probabilities"], native["probabilities"], atol=1e-5, rtol=1e-4)
    else:
        assert slim["prediction"].shape == native["prediction"].shape == (len(made.rows),)
        np.testing.assert_allclose(slim["prediction"], native["prediction"], atol=1e-4, rtol=1e-4)


def test_an_xgboost_model_with_category_columns_is_refused_not_mis_encoded(tmp_path: Path) -> None:
    pytest.importorskip("xgboost")
    from lambdaserve.convert.trees_onnx import xgboost_to_onnx

    made = models.xgboost_table(tmp_path, "ubj")
    native = load_model(models.runtime_settings(made.path))
    with pytest.raises(ConvertError, match=r"XGBoost models with category columns \(city\)") as refused:
        xgboost_to_onnx(native, native.signature)
    assert "Keep the native model" in refused.value.hint


@pytest.mark.parametrize("framework", ["LightGBM", "XGBoost"])
def test_float64_is_refused_for_trees_naming_the_framework(tmp_path: Path, framework: str) -> None:
    from lambdaserve.convert.trees_onnx import to_onnx, xgboost_to_onnx

    if framework == "XGBoost":
        pytest.importorskip("xgboost")
        path, convert = models.xgboost_model(tmp_path).path, xgboost_to_onnx
    else:
        import lightgbm

        x = _rows()
        path, convert = tmp_path / "model.txt", to_onnx
        lightgbm.train({"objective": "regression", "verbose": -1, "num_leaves": 4, "min_data_in_leaf": 2},
                       lightgbm.Dataset(x, x[:, 0]), 2).save_model(str(path))
    native = load_model(models.runtime_settings(path))
    refusal = rf"^{framework}\b.*float32.*; --float64 is for scikit-learn"
    with pytest.raises(ConvertError, match=refusal) as refused:
        convert(native, native.signature, float64=True)
    assert refused.value.hint == "Convert without --float64."
    assert convert(native, native.signature)  # the same model converts without it
