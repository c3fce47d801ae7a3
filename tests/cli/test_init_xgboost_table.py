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
