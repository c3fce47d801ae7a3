"""A table's number that a float32 step inside the model cannot hold is the client's mistake: a 400
naming the row and column, never inf fed to the trees (sklearn refuses it, CatBoost would not)."""

from __future__ import annotations

from pathlib import Path

import joblib
import pytest

from lambdaserve.errors import RequestError
from lambdaserve.runtime.formats import read_request
from lambdaserve.runtime.loaders import load_model
from tests import models

pd = pytest.importorskip("pandas")


def test_a_tree_behind_a_column_transformer_names_the_column_past_float32(tmp_path: Path) -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.tree import DecisionTreeClassifier

    frame = pd.DataFrame(models.TABLE)
    prep = ColumnTransformer([("cat", OneHotEncoder(), ["city"]), ("num", "passthrough", ["age", "income"])])
    pipe = Pipeline([("prep", prep), ("tree", DecisionTreeClassifier(random_state=0))])
    joblib.dump(pipe.fit(frame, models.TABLE_LABELS), tmp_path / "model.joblib")
    model = load_model(models.runtime_settings(tmp_path / "model.joblib"))
    request = read_request({"data": [{"age": 30, "income": 40000.0, "city": "Paris"},
                                     {"age": 30, "income": 1e39, "city": "Lyon"}]}, model.signature)
    with pytest.raises(RequestError, match=r"row 1, column 'income': 1e\+39 is out of range for float32 .*"
                                           r"inside the model") as refused:
        model.predict(request.inputs)
    assert "check the units" in refused.value.hint
    fine = read_request({"data": [{"age": 30, "income": 3.4e38, "city": "Lyon"}]}, model.signature)
    assert len(model.predict(fine.inputs)["label"]) == 1  # float32's largest still goes through
