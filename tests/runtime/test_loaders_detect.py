"""detect_framework tells each framework's file apart without importing a framework."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambdaserve.errors import ModelLoadError
from lambdaserve.runtime.loaders import detect_framework, model_files
from tests import models


@pytest.mark.parametrize(("make", "framework"), [
    (lambda d: models.sklearn_classifier(d, "joblib").path, "sklearn"),
    (lambda d: models.sklearn_classifier(d, "pickle").path, "sklearn"),
    (lambda d: models.sklearn_regressor(d, "skops").path, "sklearn"),
    (lambda d: models.onnx_two_inputs(d).path, "onnx"),
    (lambda d: models.xgboost_model(d, fmt="json").path, "xgboost"),
    (lambda d: models.xgboost_model(d, fmt="ubj").path, "xgboost"),
])
def test_each_framework_by_file_and_by_folder(tmp_path: Path, make, framework: str) -> None:
    path = make(tmp_path)
    assert detect_framework(path) == framework
    assert detect_framework(tmp_path) == framework  # a folder holding one model file
    assert model_files(tmp_path) == [path]


def test_torchscript_archive_but_not_a_state_dict(tmp_path: Path) -> None:
    import torch

    made = models.torchscript_mlp(tmp_path)
    assert detect_framework(made.path) == "torchscript"
    weights = tmp_path / "weights.pt"
    torch.save(torch.nn.Linear(4, 3).state_dict(), weights)
    with pytest.raises(ModelLoadError, match="not a TorchScript archive") as info:
        detect_framework(weights)
    assert "torch.jit.script" in info.value.hint


def test_json_that_is_not_xgboost(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"hidden": 16}))
    with pytest.raises(ModelLoadError, match="not an XGBoost model"):
        detect_framework(path)


def test_folders_with_none_or_several_models(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no model files"):
        detect_framework(tmp_path)
    (tmp_path / "a.onnx").write_bytes(b"x")
    (tmp_path / "b.joblib").write_bytes(b"x")
    with pytest.raises(ModelLoadError, match="a.onnx, b.joblib") as info:
        detect_framework(tmp_path)
    assert "model.framework" in info.value.hint


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    path.write_bytes(b"\x89HDF")
    with pytest.raises(ModelLoadError, match="from its suffix") as info:
        detect_framework(path)
    assert "custom" in info.value.hint or "model.framework" in info.value.hint
