"""`init --sample` on a Pipeline(ColumnTransformer) fitted on a DataFrame of mixed types, then
`invoke` with records through a real local Lambda: the pipeline's own answers."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from tests import models
from tests.runtime.support import Context, answer, http_event, load_event

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))
pd = pytest.importorskip("pandas")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`lambdaserve <args>` from ``cwd``. `init` of a model file (no user code) runs in this process:
    a fresh interpreter re-imported scikit-learn and pandas, seconds of CPU per call. invoke and a
    custom predictor's init (the user's modules) run in a process of their own."""
    if args[0] != "init" or "--predictor" in args:
        return subprocess.run([LAMBDASERVE, *args], cwd=cwd, capture_output=True, text=True, timeout=180)
    with contextlib.chdir(cwd):
        done = CliRunner().invoke(cli, args, prog_name="lambdaserve")
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    return subprocess.CompletedProcess(args, done.exit_code, done.stdout, done.stderr)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_init_with_a_sample_writes_named_typed_columns_and_pins_pandas(tmp_path: Path, suffix: str) -> None:
    pytest.importorskip("pyarrow")
    made = models.sklearn_table(tmp_path)
    sample = made.extra["sample"]
    if suffix == ".parquet":
        sample = tmp_path / "train.parquet"
        pd.read_csv(made.extra["sample"]).to_parquet(sample)
    done = _run(["init", "--model", str(made.path), "--sample", str(sample)], tmp_path)
    assert done.returncode == 0, done.stderr
    raw = tomllib.loads((tmp_path / "lambdaserve.toml").read_text())
    assert raw["signature"]["columns"] == [  # the label column of the sample is not the model's
        {"name": "age", "dtype": "int64", "example": 25},  # integer: from the sample
        {"name": "income", "dtype": "float64", "example": 30000.0},
        {"name": "city", "dtype": "string", "categories": ["Lyon", "Nice", "Paris"], "example": "Paris"},
    ]
    assert raw["signature"]["inputs"] == []
    assert any(r.startswith("pandas==") for r in raw["function"]["requirements"])
    assert '--data \'[{"age": 25, "income": 30000.0, "city": "Paris"}]\'' in done.stderr


@pytest.mark.slow
def test_init_without_a_sample_still_knows_the_categorical_column(tmp_path: Path) -> None:
    made = models.sklearn_table(tmp_path)
    done = _run(["init", "--model", str(made.path)], tmp_path)
    assert done.returncode == 0, done.stderr
    columns = tomllib.loads((tmp_path / "lambdaserve.toml").read_text())["signature"]["columns"]
    assert [(c["name"], c["dtype"]) for c in columns] == [
        ("age", "float64"), ("income", "float64"), ("city", "string")]


@pytest.mark.slow
def test_a_sample_without_the_models_column_is_refused(tmp_path: Path) -> None:
    made = models.sklearn_table(tmp_path)
    sample = tmp_path / "partial.csv"
    sample.write_text("age,income\n30,1.0\n")
    done = _run(["init", "--model", str(made.path), "--sample", str(sample)], tmp_path)
    assert done.returncode == 3
    assert "the sample lacks the model's column 'city'" in done.stderr


@pytest.mark.slow
def test_init_then_invoke_with_records_in_an_http_api_event(tmp_path: Path) -> None:
    made = models.sklearn_table(tmp_path)
    assert _run(["init", "--model", str(made.path), "--sample", str(made.extra["sample"])],
                tmp_path).returncode == 0
    # for parity: sam's HTTP API (v2) event, body as plain JSON text with isBase64Encoded false.
    event = load_event("apigw-http-v2.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/predict"
    event["isBase64Encoded"] = False
    event["body"] = json.dumps({"data": made.rows, "parameters": {"probabilities": True}})
    (tmp_path / "event.json").write_text(json.dumps(event))
    done = _run(["invoke", "--event", "event.json"], tmp_path)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["statusCode"] == 200, answer
    predictions = json.loads(answer["body"])["predictions"]
    assert [p["label"] for p in predictions] == made.expected["label"].tolist()
    assert np.allclose([p["probabilities"] for p in predictions], made.expected["probabilities"])
    event["body"] = json.dumps({"data": [{**made.rows[0], "city": "Pari"}]})
    (tmp_path / "event.json").write_text(json.dumps(event))
    done = _run(["invoke", "--event", "event.json"], tmp_path)
    assert done.returncode == 4
    refused = json.loads(json.loads(done.stdout)["body"])["error"]
    assert refused["message"] == "row 0, column 'city': 'Pari' is not a category the model knows"


PRICE_PREDICTOR = '''
import json
from pathlib import Path


class Predictor:
    def load(self, model_dir):
        self.rates = json.loads((Path(model_dir) / "rates.json").read_text())

    def predict(self, inputs):
        prices = [self.rates[city] * area for city, area in zip(inputs["city"], inputs["area"])]
        return {"price": prices, "known": [c in self.rates for c in inputs["city"]]}
'''


def test_init_a_predictor_with_a_sample_writes_columns_and_its_outputs(tmp_path: Path) -> None:
    from lambdaserve.config import load_config, runtime_env
    from lambdaserve.runtime.app import Runtime
    from lambdaserve.runtime.loaders import load_model
    from lambdaserve.runtime.settings import RuntimeSettings

    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "rates.json").write_text('{"Paris": 10.0, "Lyon": 5.0}')
    (tmp_path / "init_table_predictor.py").write_text(PRICE_PREDICTOR)
    (tmp_path / "inputs.csv").write_text("city,area\nParis,31.5\nLyon,70\n")
    done = _run(["init", "--model", "model", "--predictor", "init_table_predictor:Predictor",
                 "--sample", "inputs.csv"], tmp_path)
    assert done.returncode == 0, done.stderr
    raw = tomllib.loads((tmp_path / "lambdaserve.toml").read_text())
    assert raw["signature"]["columns"] == [{"name": "city", "dtype": "string", "example": "Paris"},
                                           {"name": "area", "dtype": "float64", "example": 31.5}]
    assert raw["signature"]["outputs"] == [{"name": "price", "dtype": "float64", "shape": [-1]},
                                           {"name": "known", "dtype": "bool", "shape": [-1]}]
    assert raw["function"]["requirements"] == []  # the predictor gets plain lists: no pandas

    settings = RuntimeSettings.from_env(runtime_env(load_config(tmp_path / "lambdaserve.toml")))
    runtime = Runtime(load_model(settings), settings)
    body = {"data": [{"city": "Lyon", "area": 2}, ["Paris", 1.5]]}
    assert answer(runtime.handle(http_event(body), Context())) == (
        200, {"predictions": [{"price": 10.0, "known": True}, {"price": 15.0, "known": True}]})
    status, refused = answer(runtime.handle(http_event({"data": [{"town": "Lyon", "area": 2}]}), Context()))
    assert status == 400 and refused["error"]["message"] == "row 0 has unknown column 'town'"


def test_init_stops_when_the_predictor_fails_on_its_sample(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "rates.json").write_text('{"Paris": 10.0}')
    (tmp_path / "init_failing_predictor.py").write_text(PRICE_PREDICTOR)
    (tmp_path / "inputs.csv").write_text("city,area\nRome,31.5\n")
    done = _run(["init", "--model", "model", "--predictor", "init_failing_predictor:Predictor",
                 "--sample", "inputs.csv"], tmp_path)
    assert done.returncode == 3
    assert "the predictor failed on the sample's first 1 rows: KeyError: 'Rome'" in done.stderr


@pytest.mark.slow
def test_init_a_lightgbm_model_txt_with_a_sample_then_invoke_with_the_users_names(tmp_path: Path) -> None:
    pytest.importorskip("lightgbm")
    made = models.lightgbm_table(tmp_path)
    done = _run(["init", "--model", str(made.path), "--sample", str(made.extra["sample"])], tmp_path)
    assert done.returncode == 0, done.stderr
    raw = tomllib.loads((tmp_path / "lambdaserve.toml").read_text())
    assert raw["model"]["framework"] == "lightgbm"
    assert raw["signature"]["columns"][0] == {"name": "age years", "dtype": "int64", "nullable": True,
                                              "example": 25}
    assert {r.split("==")[0] for r in raw["function"]["requirements"]} >= {"lightgbm", "pandas"}
    for pin in raw["function"]["requirements"]:  # each with its reason, also those only loading reported
        assert re.search(rf"(?m)^  {re.escape(pin)}: \S", done.stderr), (pin, done.stderr)
    done = _run(["invoke", "--data", json.dumps(made.rows)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"predictions": made.expected["label"].tolist()}


@pytest.mark.slow
def test_a_pipeline_that_imputes_takes_null_in_every_column_not_only_where_the_sample_has_gaps(
        tmp_path: Path) -> None:
    """The local pipeline answers a NaN in any column (its imputer fills it), so the served table
    must too: a column with no gap in the sample is nullable all the same."""
    import joblib
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from lambdaserve.config import load_config, runtime_env
    from lambdaserve.runtime.app import Runtime
    from lambdaserve.runtime.loaders import load_model
    from lambdaserve.runtime.settings import RuntimeSettings

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.normal(40, 9, 80), "income": rng.normal(50, 12, 80)})
    labels = np.where(frame.age + frame.income > 90, "yes", "no")
    frame.loc[::7, "income"] = np.nan  # the sample's only gaps: in income
    model = make_pipeline(SimpleImputer(), LogisticRegression()).fit(frame, labels)
    joblib.dump(model, tmp_path / "model.joblib")
    frame.to_csv(tmp_path / "train.csv", index=False)
    done = _run(["init", "--model", "model.joblib", "--sample", "train.csv"], tmp_path)
    assert done.returncode == 0, done.stderr
    raw = tomllib.loads((tmp_path / "lambdaserve.toml").read_text())
    assert [c.get("nullable") for c in raw["signature"]["columns"]] == [True, True]

    settings = RuntimeSettings.from_env(runtime_env(load_config(tmp_path / "lambdaserve.toml")))
    runtime = Runtime(load_model(settings), settings)
    records = [{"age": None, "income": 61.0}, {"age": 52.0, "income": None}, {"age": 30.0, "income": 40.0}]
    expected = model.predict(pd.DataFrame(records).astype(float)).tolist()
    served = answer(runtime.handle(http_event({"data": records}), Context()))
    assert served == (200, {"predictions": expected})


@pytest.mark.slow
def test_a_model_that_refuses_nan_keeps_null_refused_where_the_sample_has_no_gap(tmp_path: Path) -> None:
    import joblib
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"age": rng.normal(40, 9, 60), "income": rng.normal(50, 12, 60)})
    joblib.dump(LogisticRegression().fit(frame, frame.age > 40), tmp_path / "model.joblib")
    frame.to_csv(tmp_path / "train.csv", index=False)
    done = _run(["init", "--model", "model.joblib", "--sample", "train.csv"], tmp_path)
    assert done.returncode == 0, done.stderr
    raw = tomllib.loads((tmp_path / "lambdaserve.toml").read_text())
    assert [c.get("nullable") for c in raw["signature"]["columns"]] == [None, None]
