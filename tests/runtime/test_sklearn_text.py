"""A scikit-learn text pipeline (TfidfVectorizer, then a classifier) takes one raw string per row:
served, it answers exactly as its own predict and predict_proba, and every malformed request is a
400 that shows a text model's request, never a matrix's."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lambdaserve.runtime.app import Runtime
from lambdaserve.runtime.loaders import load_model
from tests import models
from tests.helpers import require_installed
from tests.runtime.support import Context, answer, http_event, settings

require_installed("sklearn")

TEXTS = ["great movie loved it", "terrible film hated it", "wonderful acting", "awful boring plot"] * 4
ASKED = ["great movie", "hated the boring plot", "", "words never seen", "LOVED IT ünïcødé 😀"]


def _served(tmp_path: Path) -> tuple[Any, Runtime]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    local = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(TEXTS, ["pos", "neg"] * 8)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(local))
    model = load_model(models.runtime_settings(tmp_path / "model.pkl"))
    return local, Runtime(model, settings())


def test_a_text_pipeline_answers_raw_strings_as_its_own_predict(tmp_path: Path) -> None:
    local, rt = _served(tmp_path)
    (spec,) = rt.model.signature.inputs
    assert (spec.dtype, spec.shape) == ("string", (None,))
    status, body = answer(rt.handle(http_event({"data": ASKED, "parameters": {"probabilities": True}}),
                                    Context()))
    assert status == 200, body
    assert [p["label"] for p in body["predictions"]] == local.predict(ASKED).tolist()
    assert np.array_equal([p["probabilities"] for p in body["predictions"]], local.predict_proba(ASKED))


@pytest.mark.parametrize(("body", "message", "hint"), [
    ({"data": "great movie"}, "the rows must be a list, not 'great movie'", 'Send {"data": ["...", "..."]}'),
    ({"data": []}, "the list of rows is empty; send at least one row", 'Send {"data": ["...", "..."]}'),
    ({"data": [{"text": "great"}]}, "row 0 is an object, but the model has no feature names",
     'Send {"data": ["...", "..."]}: one string per row.'),
    ({"data": ["fine", ["great", "movie"]]}, "row 1: a list is not a string", ""),
    ({"data": [3]}, "row 0: 3 is not a string", ""),
    ({"data": [None]}, "row 0: null is not a string", ""),
])
def test_a_malformed_text_request_is_a_400_showing_a_text_models_request(
        tmp_path: Path, body: dict[str, Any], message: str, hint: str) -> None:
    _, rt = _served(tmp_path)
    status, answered = answer(rt.handle(http_event(body), Context()))
    assert status == 400, answered
    assert answered["error"]["message"] == message
    assert answered["error"]["hint"].startswith(hint)
    assert "[[" not in answered["error"]["hint"]
