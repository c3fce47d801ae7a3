"""A null (NaN) that the original model scores itself stays allowed once converted only where the ONNX
graph answers NaN as the original does; otherwise convert says so and the ONNX model refuses null."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.config import load_config, runtime_env
from lambdaserve.convert import convert_project
from lambdaserve.errors import RequestError
from lambdaserve.runtime.formats import read_request
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.settings import RuntimeSettings
from tests.helpers import require_installed

require_installed("lightgbm", "onnxmltools", "skl2onnx")

# a request's rows with nulls: every feature missing somewhere, and a row missing all of them
ROWS = [[None, 0.2, 0.7], [0.9, None, 0.1], [0.3, 0.8, None], [None, None, 0.5], [None, None, None],
        [0.6, 0.4, 0.2]]


def _training() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((200, 3))
    x[rng.random(x.shape) < 0.2] = np.nan  # trained with missing values, as the model will be asked
    return x, (np.nan_to_num(x[:, 0], nan=0.9) > 0.5).astype(int)


def _init(project: Path, model: str) -> Path:
    with contextlib.chdir(project):
        done = CliRunner().invoke(cli, ["init", "--model", model, "--force"], prog_name="lambdaserve")
    assert done.exit_code == 0, (done.output, done.exception)
    return project / "lambdaserve.toml"


def _model(config_file: Path) -> Any:
    return load_model(RuntimeSettings.from_env(runtime_env(load_config(config_file))))


def _served(model: Any, rows: list[list[float | None]]) -> dict[str, np.ndarray]:
    """What the function answers a request holding these rows (validated as a request is)."""
    request = read_request({"data": rows}, model.signature, default_probabilities=True)
    return {k: np.asarray(v) for k, v in model.predict(request.inputs, probabilities=True).items()}


def _nan(rows: list[list[float | None]]) -> np.ndarray:
    return np.asarray(rows, dtype=np.float64)  # None as NaN


@pytest.mark.slow
def test_a_lightgbm_model_converted_takes_null_and_answers_as_lightgbm_does(tmp_path: Path) -> None:
    # convert used to drop the nullable flag: the ONNX model refused null that LightGBM scores itself
    import lightgbm
    import onnxruntime

    x, y = _training()
    params = {"objective": "binary", "verbose": -1, "num_leaves": 4, "min_data_in_leaf": 2}
    booster = lightgbm.train(params, lightgbm.Dataset(x, y.astype(float)), 5)
    booster.save_model(str(tmp_path / "model.txt"))
    toml = _init(tmp_path, "model.txt")
    done = convert_project(load_config(toml))
    assert done.nulls.startswith("null (missing) in input: allowed")
    assert "null (missing) in input: allowed" in done.config_path.read_text()
    slim = _model(done.config_path)
    assert slim.signature.inputs[0].nullable
    answer = _served(slim, ROWS)
    # both models' own answers: LightGBM's predict and onnxruntime's run of the graph, on NaN
    want = booster.predict(_nan(ROWS))
    np.testing.assert_allclose(answer["probabilities"][:, 1], want, atol=1e-5, rtol=1e-4)
    np.testing.assert_array_equal(answer["label"], (want > 0.5).astype(int))
    session = onnxruntime.InferenceSession(str(done.onnx_path), providers=["CPUExecutionProvider"])
    label, _ = session.run(None, {session.get_inputs()[0].name: _nan(ROWS).astype(np.float32)})
    np.testing.assert_array_equal(label, answer["label"])
    np.testing.assert_array_equal(_served(_model(toml), ROWS)["label"], answer["label"])


@pytest.mark.slow
def test_a_forest_whose_graph_scores_nan_otherwise_keeps_refusing_null_and_convert_says_so(
        tmp_path: Path) -> None:
    # scikit-learn's forest sends NaN down the branch it learned; skl2onnx's graph compares NaN as a
    # number and goes the other way: serving null would answer differently from the original
    import joblib
    import onnxruntime
    from sklearn.ensemble import RandomForestClassifier

    x, y = _training()
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(x, y)
    joblib.dump(forest, tmp_path / "model.joblib")
    _init(tmp_path, "model.joblib")
    with contextlib.chdir(tmp_path):
        done = CliRunner().invoke(cli, ["convert", "--to", "onnx"], prog_name="lambdaserve")
    assert done.exit_code == 0, (done.output, done.exception)
    assert ("null (missing) in input: refused by the ONNX model, which answers NaN differently from the "
            "original (probabilities:") in done.output.replace("\n", " ")
    slim = _model(tmp_path / "lambdaserve.onnx.toml")
    assert not slim.signature.inputs[0].nullable
    with pytest.raises(RequestError, match="null"):
        _served(slim, ROWS)
    assert _served(slim, [[0.1, 0.2, 0.3]])["label"].tolist() == forest.predict([[0.1, 0.2, 0.3]]).tolist()
    # the refusal is right: the graph and the forest answer NaN differently
    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    nan_rows = x[np.isnan(x).any(axis=1)][:64]
    graph = session.run(None, {session.get_inputs()[0].name: nan_rows.astype(np.float32)})[1]
    assert not np.allclose(graph, forest.predict_proba(nan_rows.astype(np.float32)), atol=1e-5)
