"""`init` on an XGBoost booster trained on a category column, then `invoke` with records through a real
local Lambda: the columns and categories come from the model, pandas is pinned, the answers are XGBoost's."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from lambdaserve.package.deps.interpreters import Interpreter
from tests import models

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMBDASERVE, *args], cwd=cwd, capture_output=True, text=True, timeout=180)


@dataclass(frozen=True)
class Initialised:
    folder: Path
    made: models.Made


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Initialised:
    """The booster and the project `init` made of it, once for the module; each test works on a
    copy. init runs in this process, which has imported xgboost and pandas already (a fresh
    interpreter re-imported them for each test); invoke and build stay real processes."""
    pytest.importorskip("xgboost")
    pytest.importorskip("pandas")
    from click.testing import CliRunner

    from lambdaserve.cli.main import cli

    folder = tmp_path_factory.mktemp("xgboost-table")
    made = models.xgboost_table(folder, "ubj")
    with contextlib.chdir(folder):
        done = CliRunner().invoke(cli, ["init", "--model", made.path.name], prog_name="lambdaserve")
    assert done.exit_code == 0 and done.exception is None, done.output
    return Initialised(folder, made)


def _copy(initialised: Initialised, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(initialised.folder, project)
    return project


@pytest.mark.slow
def test_init_an_xgboost_ubj_with_a_category_column_then_invoke_with_records(initialised: Initialised,
                                                                              tmp_path: Path) -> None:
    project, made = _copy(initialised, tmp_path), initialised.made
    raw = tomllib.loads((project / "lambdaserve.toml").read_text())
    assert raw["model"]["framework"] == "xgboost"
    assert raw["signature"]["columns"][2] == {"name": "city", "dtype": "string", "nullable": True,
                                              "categories": list(models.XGB_CITIES), "example": "Paris"}
    assert {r.split("==")[0] for r in raw["function"]["requirements"]} >= {"xgboost-cpu", "pandas"}
    done = _run(["invoke", "--data", json.dumps(made.rows)], project)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"predictions": made.expected["label"].tolist()}
    done = _run(["invoke", "--data", json.dumps([{**made.rows[0], "city": "Rome"}])], project)
    assert done.returncode == 4
    assert "column 'city': 'Rome' is not a category the model knows" in done.stderr


@pytest.mark.slow
def test_build_proves_the_zip_answers_records_as_xgboost_did_in_training(
        initialised: Initialised, tmp_path: Path, py312: Interpreter) -> None:
    project, made = _copy(initialised, tmp_path), initialised.made
    (project / "golden.json").write_text(json.dumps([{"data": made.rows}]))
    done = _run(["build"], project)
    assert done.returncode == 0, done.stderr
    record = json.loads((project / ".lambdaserve" / "build" / "build.json").read_text())
    assert record["proof"]["ran"] is True
    answers = {r["name"]: r["answer"]["predictions"] for r in record["golden"]["requests"]}
    assert answers["golden.json #1"] == made.expected["label"].tolist()
    proba = [p["probabilities"] for p in answers["golden.json #1, probabilities"]]
    assert np.allclose(proba, made.expected["probabilities"], atol=1e-6)


def _old_model_and_sample(tmp_path: Path, suffix: str) -> tuple[models.Made, Path]:
    """The model as XGBoost before 3.1 saved it (codes only, no category values), and its training
    frame as a sample: Parquet keeps the category dtype and its order, CSV keeps only strings."""
    import pandas as pd

    made = models.xgboost_table(tmp_path, "json")
    raw = json.loads(made.path.read_text())
    del raw["learner"]["gradient_booster"]["model"]["cats"]
    made.path.write_text(json.dumps(raw))
    cities = pd.Categorical(["Nice", "Lyon", "Paris"], categories=list(models.XGB_CITIES))
    frame = pd.DataFrame({"age": [30, 58, 45], "income": [4e4, 9e4, 5e4], "city": cities, "label": [0, 1, 1]})
    sample = tmp_path / f"train.{suffix}"
    frame.to_parquet(sample) if suffix == "parquet" else frame.to_csv(sample, index=False)
    return made, sample


def test_a_parquet_samples_category_columns_give_an_old_xgboost_model_its_categories(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("xgboost")
    pytest.importorskip("pyarrow")
    from click.testing import CliRunner

    from lambdaserve.cli.main import cli
    from lambdaserve.config import load_config, runtime_env
    from lambdaserve.runtime.formats import read_request
    from lambdaserve.runtime.loaders import load_model
    from lambdaserve.runtime.settings import RuntimeSettings

    made, sample = _old_model_and_sample(tmp_path, "parquet")
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(cli, ["init", "--model", made.path.name, "--sample", sample.name])
    assert done.exit_code == 0, done.output
    raw = tomllib.loads((tmp_path / "lambdaserve.toml").read_text())
    city = raw["signature"]["columns"][2]
    assert city["name"] == "city" and city["categories"] == list(models.XGB_CITIES)  # training order
    assert [c["name"] for c in raw["signature"]["columns"]] == ["age", "income", "city"]  # not the label
    model = load_model(RuntimeSettings.from_env(runtime_env(load_config(tmp_path))))
    request = read_request({"data": made.rows}, model.signature, default_probabilities=True)
    assert np.allclose(model.predict(request.inputs, probabilities=True)["probabilities"],
                       made.expected["probabilities"])


def test_a_csv_sample_does_not_guess_the_order_and_init_says_how_to_declare_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("xgboost")
    from click.testing import CliRunner

    from lambdaserve.cli.main import cli

    made, sample = _old_model_and_sample(tmp_path, "csv")
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(cli, ["init", "--model", made.path.name, "--sample", sample.name])
    assert done.exit_code != 0
    assert "category column 'city' has no known categories" in done.output
    assert "--sample train.parquet" in done.output and not (tmp_path / "lambdaserve.toml").exists()
