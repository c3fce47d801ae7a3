"""`init` on an XGBoost booster trained on a category column, then `invoke` with records through a real
local Lambda: the columns and categories come from the model, pandas is pinned, the answers are XGBoost's."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from lambdaserve.package.deps.interpreters import Interpreter
from tests import models

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMBDASERVE, *args], cwd=cwd, capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_init_an_xgboost_ubj_with_a_category_column_then_invoke_with_records(tmp_path: Path) -> None:
    pytest.importorskip("xgboost")
    pytest.importorskip("pandas")
    made = models.xgboost_table(tmp_path, "ubj")
    done = _run(["init", "--model", str(made.path)], tmp_path)
    assert done.returncode == 0, done.stderr
    raw = tomllib.loads((tmp_path / "lambdaserve.toml").read_text())
    assert raw["model"]["framework"] == "xgboost"
    assert raw["signature"]["columns"][2] == {"name": "city", "dtype": "string", "nullable": True,
                                              "categories": list(models.XGB_CITIES), "example": "Paris"}
    assert {r.split("==")[0] for r in raw["function"]["requirements"]} >= {"xgboost-cpu", "pandas"}
    done = _run(["invoke", "--data", json.dumps(made.rows)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"predictions": made.expected["label"].tolist()}
    done = _run(["invoke", "--data", json.dumps([{**made.rows[0], "city": "Rome"}])], tmp_path)
    assert done.returncode == 4
    assert "column 'city': 'Rome' is not a category the model knows" in done.stderr


@pytest.mark.slow
def test_build_proves_the_zip_answers_records_as_xgboost_did_in_training(tmp_path: Path,
                                                                         py312: Interpreter) -> None:
    pytest.importorskip("xgboost")
    pytest.importorskip("pandas")
    made = models.xgboost_table(tmp_path, "ubj")
    (tmp_path / "golden.json").write_text(json.dumps([{"data": made.rows}]))
    assert _run(["init", "--model", str(made.path)], tmp_path).returncode == 0
    done = _run(["build"], tmp_path)
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / ".lambdaserve" / "build" / "build.json").read_text())
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
