"""A nullable string column stays nullable once converted: the graph reads null as the pipeline
does (its imputer fills it, its encoder's category for missing values takes it), checked by
convert on rows with nulls and answered like the native model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lambdaserve.config import load_config, runtime_env
from lambdaserve.convert import convert_project
from lambdaserve.errors import RequestError
from lambdaserve.runtime.formats import read_request
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.loaders.onnx import NULL_STRING
from lambdaserve.runtime.settings import RuntimeSettings
from tests.helpers import require_installed

require_installed("pandas", "skl2onnx")

TRAIN = {"age": [22, 35, 58, 41, 29, 63, 47, 33], "income": [2e4, 4e4, 9e4, 5e4, 3e4, 8e4, 6e4, 3.5e4],
         "city": ["Paris", None, "Lyon", "Paris", "Nice", None, "Lyon", "Paris"]}
LABELS = [0, 1, 1, 0, 0, 1, 1, 0]
RECORDS = [{"age": 30, "income": 4e4, "city": None}, {"age": 30, "income": 4e4, "city": "Paris"},
           {"age": 60, "income": 9e4, "city": None}, {"age": 30, "income": 4e4, "city": "Berlin"}]
COLUMNS = ('columns = [{ name = "age", dtype = "int64", example = 22 }, '
           '{ name = "income", dtype = "float64", example = 20000.0 }, '
           '{ name = "city", dtype = "string", nullable = true, example = "Paris" }]\n')


def _project(folder: Path, city_step: str) -> Path:
    """Pipeline(ColumnTransformer(<city_step> on city, StandardScaler on age, income), LogisticRegression)
    fitted on a frame whose city has nulls; the toml as `init --sample` writes its columns."""
    import joblib
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    city = (make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore"))
            if city_step == "imputer" else OneHotEncoder(handle_unknown="ignore"))  # NaN: its own category
    prep = ColumnTransformer([("cat", city, ["city"]), ("num", StandardScaler(), ["age", "income"])])
    model = Pipeline([("prep", prep), ("clf", LogisticRegression())]).fit(pd.DataFrame(TRAIN), LABELS)
    folder.mkdir(parents=True)
    joblib.dump(model, folder / "model.joblib")
    (folder / "lambdaserve.toml").write_text(
        'name = "table"\n[model]\npath = "model.joblib"\nframework = "sklearn"\n'
        f'[function]\npython = "3.12"\n[signature]\n{COLUMNS}')
    return folder


def _model(config_file: Path):  # -> a runtime model
    return load_model(RuntimeSettings.from_env(runtime_env(load_config(config_file))))


def _answer(model, records: list[dict[str, object]]) -> dict[str, np.ndarray]:
    request = read_request({"data": records}, model.signature, default_probabilities=True)
    return {k: np.asarray(v) for k, v in model.predict(request.inputs, probabilities=True).items()}


@pytest.mark.parametrize("city_step", ["imputer", "encoder"])
def test_a_nullable_string_column_converts_and_answers_null_as_the_pipeline_does(tmp_path: Path,
                                                                                 city_step: str) -> None:
    project = _project(tmp_path / city_step, city_step)
    done = convert_project(load_config(project))
    assert "16 with null in city" in done.rows_from  # every 4th of the 64 generated rows
    native, slim = _model(project / "lambdaserve.toml"), _model(done.config_path)
    assert [c.nullable for c in slim.signature.columns] == [False, False, True]  # as the sibling toml says
    assert load_config(done.config_path).signature is not None
    want, got = _answer(native, RECORDS), _answer(slim, RECORDS)
    assert got["label"].tolist() == want["label"].tolist()
    np.testing.assert_allclose(got["probabilities"], want["probabilities"], atol=1e-5, rtol=1e-4)
    # the null rows are answered as the pipeline answers them, not as an unseen city
    assert not np.allclose(want["probabilities"][0], want["probabilities"][3])
    with pytest.raises(RequestError, match="marker for null"):
        slim.predict({"age": [30], "income": [4e4], "city": [NULL_STRING]})


def test_a_graph_without_the_marker_still_refuses_null_in_a_string_column(tmp_path: Path) -> None:
    import onnx

    project = _project(tmp_path / "own", "imputer")
    done = convert_project(load_config(project))
    graph = onnx.load(str(done.onnx_path))
    del graph.metadata_props[:]  # as a graph exported by hand: no word on which string means null
    onnx.save(graph, str(done.onnx_path))
    slim = _model(done.config_path)
    assert [c.nullable for c in slim.signature.columns] == [False, False, False]
    with pytest.raises(RequestError, match="city"):
        _answer(slim, RECORDS[:1])
