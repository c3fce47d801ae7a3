"""Every way a model can fail to load ends in ModelLoadError with a hint that says the fix."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lambdaserve.errors import ModelLoadError, pip_install_extra
from lambdaserve.runtime.loaders import load_model
from tests import models
from tests.models import runtime_settings


def _load_error(path: Path, framework: str = "auto", **settings: object) -> ModelLoadError:
    with pytest.raises(ModelLoadError) as info:
        load_model(runtime_settings(path, framework, **settings))  # type: ignore[arg-type]
    assert info.value.hint, "every load error carries a hint"
    return info.value


@pytest.mark.parametrize("framework", ["auto", "sklearn", "onnx", "torchscript", "xgboost"])
def test_missing_file(tmp_path: Path, framework: str) -> None:
    err = _load_error(tmp_path / "model.onnx", framework, signature=models.TORCH_SIGNATURE)
    assert "does not exist" in err.message and "model.path" in err.hint


@pytest.mark.parametrize(
    ("name", "framework", "hint"),
    [
        ("model.joblib", "sklearn", "joblib.dump"),
        ("model.pkl", "sklearn", "joblib.dump"),
        ("model.skops", "sklearn", "skops.io.dump"),
        ("model.onnx", "onnx", "re-export"),
        ("model.pt", "torchscript", "torch.jit.script"),
        ("model.json", "xgboost", "save_model"),
        ("model.ubj", "xgboost", "save_model"),
    ],
)
def test_corrupt_file(tmp_path: Path, name: str, framework: str, hint: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x00 this is not a model \xff" * 8)
    err = _load_error(path, framework, signature=models.TORCH_SIGNATURE)
    assert name in err.message and hint in err.hint


def test_file_of_another_framework(tmp_path: Path) -> None:
    made = models.onnx_two_inputs(tmp_path)
    err = _load_error(made.path, "sklearn")
    assert "its suffix says onnx, but it is loaded as scikit-learn" in err.message
    assert 'model.framework = "onnx"' in err.hint


def test_sklearn_pickle_with_an_unusual_suffix_still_loads(tmp_path: Path) -> None:
    made = models.sklearn_classifier(tmp_path, "pickle")
    path = made.path.rename(tmp_path / "model.sav")
    model = load_model(runtime_settings(path, "sklearn"))
    assert model.predict({"input": made.rows})["label"].tolist() == made.expected["label"].tolist()


def test_pickle_needing_a_missing_module_names_it(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(b"cno_such_module_xyz\nThing\n.")  # a pickle of a class from an absent module
    err = _load_error(path)
    assert "no_such_module_xyz" in err.hint and "function.requirements" in err.hint


def test_pickle_of_something_without_predict(tmp_path: Path) -> None:
    import joblib

    path = tmp_path / "model.joblib"
    joblib.dump({"model": "inside a dict"}, path)
    err = _load_error(path)
    assert "dict" in err.message and "no predict method" in err.message


def test_skops_refuses_types_it_cannot_trust(tmp_path: Path) -> None:
    path = models.sklearn_untrusted_skops(tmp_path)
    err = _load_error(path)
    assert "tests.models.untrusted_function" in err.message and "could run code" in err.message
    assert "trusted=" in err.hint


def test_torchscript_without_signature_asks_for_one(tmp_path: Path) -> None:
    made = models.torchscript_mlp(tmp_path)
    err = _load_error(made.path)
    assert "[signature]" in err.hint and "lambdaserve.toml" in err.hint


def test_framework_not_installed_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = models.xgboost_model(tmp_path)
    monkeypatch.setitem(sys.modules, "xgboost", None)  # what `import xgboost` meets when it is absent
    err = _load_error(made.path)
    assert "xgboost-cpu is not installed" in err.message
    assert err.hint.startswith(pip_install_extra("xgboost")) and "[xgboost]'" in err.hint


def test_declared_width_contradicting_the_model(tmp_path: Path) -> None:
    made = models.sklearn_classifier(tmp_path)
    declared = {"inputs": [{"name": "input", "dtype": "float64", "shape": [-1, 5]}]}
    err = _load_error(made.path, signature=declared)
    assert "[5]" in err.message and "[4]" in err.message


def test_onnx_declared_names_must_be_the_graphs(tmp_path: Path) -> None:
    made = models.onnx_two_inputs(tmp_path)
    declared = {"inputs": [{"name": "a", "dtype": "float32", "shape": [-1, 3]},
                           {"name": "c", "dtype": "float64", "shape": [-1, 3]}]}
    err = _load_error(made.path, signature=declared)
    assert "['a', 'c']" in err.message and "['a', 'b']" in err.message


def test_folder_with_two_model_files(tmp_path: Path) -> None:
    models.sklearn_classifier(tmp_path, "joblib")
    models.sklearn_classifier(tmp_path, "skops")
    err = _load_error(tmp_path, "sklearn")
    assert "model.joblib, model.skops" in err.message


def test_unknown_framework_and_custom_without_predictor(tmp_path: Path) -> None:
    assert "tensorflow" in _load_error(tmp_path, "tensorflow").message
    assert "model.predictor" in _load_error(tmp_path, "custom").hint


def test_custom_predictor_module_not_found(tmp_path: Path) -> None:
    made = models.custom_predictor(tmp_path, module=f"present_{id(tmp_path)}")
    err = _load_error(made.path, predictor="absent_predictor_xyz:Predictor")
    assert "absent_predictor_xyz" in err.message and "next to lambdaserve.toml" in err.hint


def test_custom_predictor_attribute_missing(tmp_path: Path) -> None:
    made = models.custom_predictor(tmp_path, module=f"attr_missing_{id(tmp_path)}", attr="Nope")
    err = _load_error(made.path, predictor=made.predictor)
    assert "no attribute 'Nope'" in err.message


def test_custom_predictor_without_load(tmp_path: Path) -> None:
    made = models.custom_predictor(tmp_path, module=f"without_load_{id(tmp_path)}", attr="np")
    err = _load_error(made.path, predictor=made.predictor)  # numpy has no load(model_dir)... nor predict
    assert "no predict method" in err.message


def test_custom_predictor_load_failing(tmp_path: Path) -> None:
    made = models.custom_predictor(tmp_path, module=f"load_fails_{id(tmp_path)}")
    (made.path / "weights.json").unlink()
    err = _load_error(made.path, predictor=made.predictor)
    assert "FileNotFoundError" in err.message and "weights.json" in err.message
