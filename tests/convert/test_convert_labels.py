"""A classifier trained on True/False labels converts to a graph that answers true/false, as the
native model does (the converters write bool classes as int64 0/1)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.config import load_config, runtime_env
from lambdaserve.convert import convert_project
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.settings import RuntimeSettings
from tests.helpers import require_installed

require_installed("skl2onnx")
ROWS = [[2.0, 0.0, 0.0], [-2.0, 0.0, 0.0], [1.5, -1.0, 1.0], [-1.5, 1.0, 0.5]]  # far from the border


def _bool_project(folder: Path, kind: str) -> Path:
    import joblib

    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 3))
    y = x[:, 0] > 0  # numpy bools: classes_ is [False, True]
    if kind == "lightgbm":
        import lightgbm

        model = lightgbm.LGBMClassifier(n_estimators=5, num_leaves=4, min_child_samples=2, verbose=-1)
    else:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression()
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(model.fit(x, y), folder / "model.joblib")
    (folder / "lambdaserve.toml").write_text(  # an LGBM* pickle is read by the sklearn loader too
        'name = "flag"\n[model]\npath = "model.joblib"\nframework = "sklearn"\n[function]\npython = "3.12"\n')
    return folder


def _answer(config_file: Path) -> dict[str, np.ndarray]:
    model = load_model(RuntimeSettings.from_env(runtime_env(load_config(config_file))))
    answer = model.predict({model.signature.inputs[0].name: ROWS}, probabilities=True)
    return {k: np.asarray(v) for k, v in answer.items()}


@pytest.mark.parametrize("kind", ["sklearn", "lightgbm"])
def test_bool_labels_convert_to_a_graph_answering_booleans(tmp_path: Path, kind: str) -> None:
    if kind == "lightgbm":
        pytest.importorskip("lightgbm")
        pytest.importorskip("onnxmltools")
    project = _bool_project(tmp_path / kind, kind)
    done = convert_project(load_config(project))  # its check compares labels exactly: True is not 1
    native, slim = _answer(project / "lambdaserve.toml"), _answer(done.config_path)
    assert native["label"].dtype == slim["label"].dtype == np.bool_
    assert slim["label"].tolist() == native["label"].tolist() == [True, False, True, False]
    np.testing.assert_allclose(slim["probabilities"], native["probabilities"], atol=1e-5, rtol=1e-4)
    model = load_model(RuntimeSettings.from_env(runtime_env(load_config(done.config_path))))
    assert [(o.name, o.dtype) for o in model.signature.outputs][0] == ("label", "bool")


@pytest.mark.slow  # pip resolves onnxruntime for python3.12 (once per session: tests/conftest.py)
def test_builds_proof_records_the_converted_functions_true_and_false(tmp_path: Path, py312: object) -> None:
    project = _bool_project(tmp_path / "flag", "sklearn")
    (project / "golden.json").write_text(json.dumps([ROWS]))
    done = convert_project(load_config(project))
    built = CliRunner().invoke(cli, ["build", "--config", str(done.config_path)])
    assert built.exit_code == 0, built.output
    record = json.loads(next((project / ".lambdaserve" / "build").rglob("build.json")).read_text())
    answers = {r["query"]: r["answer"] for r in record["golden"]["requests"] if r["body"] == {"data": ROWS}}
    assert answers[""] == {"predictions": [True, False, True, False]}  # JSON true/false, as natively
    assert [p["label"] for p in answers["probabilities=true"]["predictions"]] == [True, False, True, False]
