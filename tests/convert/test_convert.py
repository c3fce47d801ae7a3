"""`lambdaserve convert --to onnx`: scikit-learn and TorchScript models converted, verified
against the original on sample rows, and refused when they cannot be or answer differently."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import joblib
import numpy as np
import pytest

from lambdaserve.config import load_config, runtime_env
from lambdaserve.config.lock_file import lock_use
from lambdaserve.convert import Tolerance, compare, convert_project
from lambdaserve.convert.project import ONNX_CONFIG
from lambdaserve.errors import ConvertError
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.settings import RuntimeSettings
from tests import models
from tests.examples import make_example

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))


def _serve(config_file: Path, rows: list[list[float]], probabilities: bool) -> dict[str, np.ndarray]:
    """What the runtime answers for ``rows`` with this config: the path a deployed function takes."""
    model = load_model(RuntimeSettings.from_env(runtime_env(load_config(config_file))))
    inputs = {model.signature.inputs[0].name: rows}
    return {k: np.asarray(v) for k, v in model.predict(inputs, probabilities=probabilities).items()}


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMBDASERVE, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def test_a_random_forest_converts_and_serves_the_same_answers(tmp_path: Path) -> None:
    project = make_example("iris", tmp_path / "iris")
    _, _, rows = models.iris()
    data = tmp_path / "rows.json"
    data.write_text(json.dumps(rows))
    result = _run(["convert", "--to", "onnx", "--data", str(data)], project)
    assert result.returncode == 0, result.stderr
    assert f"verified on {len(rows)} rows (--data {data})" in result.stdout
    onnx_config = project / ONNX_CONFIG
    config = load_config(onnx_config)
    assert config.model.framework == "onnx" and config.model.path == project / "model.onnx"
    assert config.function.requirements == ("onnxruntime==1.32.0", "numpy==2.4.6")  # no scikit-learn
    assert load_config(project).model.framework == "sklearn"  # the original is untouched
    # the sibling's own lock: onnxruntime's dependencies as installed here, none of scikit-learn's
    onnx_lock = lock_use(config)
    assert onnx_lock.path == project / "lambdaserve.onnx.lock" and onnx_lock.state == "used"
    assert f"protobuf=={version('protobuf')}" in onnx_lock.constraints
    assert not [c for c in onnx_lock.constraints if c.startswith(("scipy==", "threadpoolctl=="))]
    native = _serve(project / "lambdaserve.toml", rows, probabilities=True)
    slim = _serve(onnx_config, rows, probabilities=True)
    np.testing.assert_array_equal(slim["label"], native["label"])
    np.testing.assert_allclose(slim["probabilities"], native["probabilities"], atol=1e-5, rtol=1e-4)
    assert native["label"].tolist() == [0, 1, 2, 0, 1, 2]  # real iris rows, each class twice


def test_a_regressor_answers_one_prediction_per_row_as_scikit_learn_does(tmp_path: Path) -> None:
    project = make_example("diabetes", tmp_path / "diabetes")  # Ridge, saved with skops
    done = convert_project(load_config(project))
    assert done.outputs == ("prediction",) and done.rows == 64
    _, _, rows = models.diabetes()
    slim = _serve(done.config_path, rows, probabilities=False)["prediction"]
    native = _serve(project / "lambdaserve.toml", rows, probabilities=False)["prediction"]
    assert slim.shape == native.shape == (len(rows),)
    np.testing.assert_allclose(slim, native, rtol=1e-4, atol=1e-3)


def test_a_torchscript_mlp_converts_with_an_example_input_from_the_signature(tmp_path: Path) -> None:
    project = make_example("iris-torchscript", tmp_path / "ts")
    toml = project / "lambdaserve.toml"  # as init writes it for torch: an image
    toml.write_text(re.sub(r'(?m)^package = "zip"$', 'package = "image"', toml.read_text()))
    done = convert_project(load_config(project))
    assert done.framework == "torchscript" and done.outputs == ("probabilities",)
    _, _, rows = models.iris()
    slim = _serve(done.config_path, rows, probabilities=False)["probabilities"]
    native = _serve(project / "lambdaserve.toml", rows, probabilities=False)["probabilities"]
    assert slim.shape == (len(rows), 3)
    np.testing.assert_allclose(slim, native, atol=1e-5, rtol=1e-4)
    slim_config = load_config(done.config_path)
    assert slim_config.function.requirements == ("onnxruntime==1.32.0", "numpy==2.4.6")
    # the torch project is an image; the ONNX one builds a zip as written, no hand edits
    assert load_config(project).function.package == "image" and slim_config.function.package == "zip"


def test_a_model_skl2onnx_cannot_convert_is_refused_with_a_hint(tmp_path: Path) -> None:
    from sklearn.semi_supervised import LabelSpreading

    project = make_example("iris", tmp_path / "iris")
    x, y, _ = models.iris()
    joblib.dump(LabelSpreading().fit(x, y), project / "model.joblib")  # no skl2onnx converter
    result = _run(["convert", "--to", "onnx"], project)
    assert result.returncode == 1
    assert "skl2onnx cannot convert this LabelSpreading" in result.stderr
    assert "hint:" in result.stderr and "Traceback" not in result.stderr
    assert not (project / "model.onnx").exists() and not (project / ONNX_CONFIG).exists()


def test_answers_that_differ_beyond_the_tolerance_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    project = make_example("iris", tmp_path / "iris")
    # ONNX computes a forest's probabilities in float32, scikit-learn in float64: at zero
    # tolerance they cannot agree, and the refusal must say so rather than write the model.
    result = _run(["convert", "--to", "onnx", "--atol", "0", "--rtol", "0"], project)
    assert result.returncode == 1, result.stdout
    assert "answers differently" in result.stderr and "probabilities:" in result.stderr
    assert "CastTransformer" in result.stderr  # the hint names the known pitfall
    assert sorted(p.name for p in project.iterdir()) == ["lambdaserve.lock", "lambdaserve.toml",
                                                         "model.joblib"]


def test_compare_holds_labels_exact_and_scores_to_the_tolerance() -> None:
    tol = Tolerance(atol=1e-6, rtol=0)
    assert compare({"label": [1, 2]}, {"label": np.array([1, 2], dtype=np.int64)}, tol) == []
    assert compare({"label": [1, 2]}, {"label": [1, 3]}, tol) == [
        "label: 1 of 2 labels differ (labels must match exactly)"]
    assert compare({"p": [[0.5, 0.5]]}, {"p": [[0.5, 0.5000005]]}, tol) == []
    [problem] = compare({"p": [[0.5, 0.5]]}, {"p": [[0.5, 0.51]]}, tol)
    assert problem.startswith("p: 1 of 1 rows differ") and "0.01" in problem
    assert compare({"prediction": [1.0, 2.0]}, {"prediction": [[1.0], [2.0]]}, tol) == []
    assert compare({"y": [1.0]}, {}, tol) == ["y: missing from the ONNX model's answer (it gives nothing)"]


def test_frameworks_it_cannot_convert_and_old_runtimes_are_refused(tmp_path: Path) -> None:
    project = make_example("iris-onnx", tmp_path / "onnx")
    with pytest.raises(ConvertError, match="not 'onnx'"):
        convert_project(load_config(project))
    iris = make_example("iris", tmp_path / "iris")
    toml = iris / "lambdaserve.toml"
    toml.write_text(toml.read_text().replace('python = "3.12"', 'python = "3.11"'))
    with pytest.raises(ConvertError, match="glibc 2.28") as caught:
        convert_project(load_config(iris))
    assert "3.12" in caught.value.hint


def test_generated_rows_reach_every_class_of_the_iris_forest(tmp_path: Path) -> None:
    from lambdaserve.convert.sample import generated_rows

    project = make_example("iris", tmp_path / "iris")
    model = load_model(RuntimeSettings.from_env(runtime_env(load_config(project))))
    rows = generated_rows(model.signature)
    assert len(rows["input"]) == 64 and rows["input"][0] == [0.0] * 4
    labels = model.predict(rows)["label"]
    assert set(np.asarray(labels).tolist()) == {0, 1, 2}  # a check that crosses the trees' thresholds
    assert generated_rows(model.signature) == rows  # seeded: the same rows every time
