"""init's `next:` line suggests rows the model takes: one text per row for a text pipeline, not
the rows of numbers (`[[...]]`) that such a model refuses ("row 0: a list is not a string")."""

from __future__ import annotations

import contextlib
from pathlib import Path

import joblib
import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli


@pytest.mark.slow  # init writes the lock: ~7 s under load
def test_a_text_pipeline_is_shown_one_string_per_row(tmp_path: Path) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts, labels = ["good film", "bad film", "great", "awful"], ["pos", "neg", "pos", "neg"]
    joblib.dump(make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(texts, labels),
                tmp_path / "model.joblib")
    with contextlib.chdir(tmp_path):
        result = CliRunner().invoke(cli, ["init", "--model", "model.joblib"], prog_name="lambdaserve")
    assert result.exit_code == 0, result.stderr
    assert 'inputs = [\n  { name = "input", dtype = "string", shape = [-1] },' in (
        tmp_path / "lambdaserve.toml").read_text()
    assert "next: lambdaserve invoke --data '[\"...\"]'" in result.stderr
    # the loader's pickle warning in init's words, not the function's JSON log line
    assert "warning: loading model.joblib with pickle: a pickle runs any code" in result.stderr
    assert '{"level"' not in result.stderr
