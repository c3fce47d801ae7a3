"""The text path's own check, without torch: cosines, the texts it reads, what it recognises."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lambdaserve.convert.text_onnx import MIN_COSINE, cosine_problems, is_sentence_transformer, read_texts
from lambdaserve.errors import ConvertError


def test_embeddings_pointing_the_same_way_pass_whatever_their_length() -> None:
    want = np.array([[1.0, 0.0], [0.6, 0.8]])
    assert cosine_problems(want, want * 3.0) == []


def test_a_cosine_just_below_the_minimum_is_named_with_its_text() -> None:
    want = np.array([[1.0, 0.0], [1.0, 0.0]])
    angle = np.arccos(MIN_COSINE) * 1.05  # a little past the allowed angle
    got = np.array([[1.0, 0.0], [np.cos(angle), np.sin(angle)]])
    problems = cosine_problems(want, got)
    assert len(problems) == 1 and problems[0].startswith("text 1: cosine 0.998")


def test_a_zero_embedding_and_a_wrong_shape_fail() -> None:
    assert cosine_problems(np.ones((1, 2)), np.zeros((1, 2))) == [f"text 0: cosine 0.000000 < {MIN_COSINE}"]
    assert "shape [1, 3]" in cosine_problems(np.ones((1, 2)), np.ones((1, 3)))[0]


def test_texts_come_from_a_json_list_or_one_per_line(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps(["a", " b "]))
    (tmp_path / "t.txt").write_text("first text\n\nsecond text\n")
    assert read_texts(tmp_path / "t.json") == ["a", " b "]
    assert read_texts(tmp_path / "t.txt") == ["first text", "second text"]
    (tmp_path / "bad.json").write_text(json.dumps([["a"]]))
    with pytest.raises(ConvertError, match="not a JSON list of strings"):
        read_texts(tmp_path / "bad.json")


def test_a_sentence_transformers_folder_is_known_by_its_modules_json(tmp_path: Path) -> None:
    assert not is_sentence_transformer(tmp_path)
    (tmp_path / "modules.json").write_text(json.dumps(
        [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}]))
    assert is_sentence_transformer(tmp_path)
    (tmp_path / "modules.json").write_text("{not json")
    assert not is_sentence_transformer(tmp_path)
