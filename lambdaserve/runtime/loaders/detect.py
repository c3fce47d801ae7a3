"""Guess a model's framework from its file, without importing any framework."""

from __future__ import annotations

from pathlib import Path

from lambdaserve.errors import ModelLoadError

_BY_SUFFIX = {
    ".joblib": "sklearn", ".pkl": "sklearn", ".pickle": "sklearn", ".skops": "sklearn",
    ".onnx": "onnx", ".ubj": "xgboost", ".pt": "torchscript", ".pth": "torchscript",
    ".torchscript": "torchscript", ".cbm": "catboost",
}
MODEL_SUFFIXES = tuple(_BY_SUFFIX) + (".json",)


def _is_xgboost_json(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(4096)
    return b'"learner"' in head or b'"version"' in head and b'"gradient_booster"' in head


def _is_lightgbm_dump(path: Path) -> bool:
    # booster.dump_model() is a dict whose first keys are these (json.dump keeps their order)
    import re  # here: the runtime imports this module on every cold start

    with path.open("rb") as fh:
        head = fh.read(256)
    return re.match(rb'\s*\{\s*"name"\s*:\s*"tree"\s*,\s*"version"\s*:\s*"v', head) is not None


def refuse_lightgbm_dump(path: Path) -> None:
    """LightGBM cannot load its own JSON dump back (Booster(model_file=...) says "Unknown model
    format"), so nothing can serve it: say what it is and how to save a loadable model."""
    if path.is_file() and path.suffix.lower() == ".json" and _is_lightgbm_dump(path):
        raise ModelLoadError(
            f"{path.name} is LightGBM's JSON dump (booster.dump_model()), which LightGBM cannot load "
            "back: it describes the trees for reading, it is not a model file",
            hint='Save the model with booster.save_model("model.txt") (LGBMClassifier: '
                 'model.booster_.save_model("model.txt"), or joblib.dump(model, "model.joblib")), '
                 "then `lambdaserve init --model model.txt`.")


def _is_lightgbm(path: Path) -> bool:
    # booster.save_model() writes its text format starting with these two lines
    with path.open("rb") as fh:
        return fh.read(16).startswith(b"tree\nversion=v")


def _is_torchscript(path: Path) -> bool:
    # TorchScript archives are zips holding a constants.pkl and code/ folder.
    import zipfile  # here, not at the top: the runtime imports this module on every cold start

    try:
        with zipfile.ZipFile(path) as zf:
            return any(n.endswith("/constants.pkl") or n == "constants.pkl" for n in zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def suffix_framework(path: Path) -> str | None:
    """The framework a file's suffix stands for, if any (.json counts as XGBoost's)."""
    suffix = path.suffix.lower()
    return "xgboost" if suffix == ".json" else _BY_SUFFIX.get(suffix)


def model_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and (
        p.suffix.lower() in MODEL_SUFFIXES or p.suffix.lower() == ".txt" and _is_lightgbm(p)))


def detect_framework(path: Path) -> str:
    """sklearn | onnx | torchscript | xgboost | lightgbm, or ModelLoadError saying why not."""
    if path.is_dir():
        files = model_files(path)
        if len(files) != 1:
            found = ", ".join(p.name for p in files) or "no model files"
            raise ModelLoadError(f"cannot tell the framework of folder {path} ({found})",
                                 hint="Point model.path at the model file, or set model.framework.")
        path = files[0]
    suffix = path.suffix.lower()
    if suffix == ".json":
        refuse_lightgbm_dump(path)
        if _is_xgboost_json(path):
            return "xgboost"
        raise ModelLoadError(f"{path.name} is JSON but not an XGBoost model",
                             hint="Set model.framework explicitly.")
    if suffix in (".pt", ".pth") and not _is_torchscript(path):
        raise ModelLoadError(f"{path.name} is not a TorchScript archive (a state_dict or pickled module?)",
                             hint="Export it with torch.jit.script(model).save(path), or use a custom "
                                  "predictor.")
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    if path.is_file() and _is_lightgbm(path):
        return "lightgbm"
    raise ModelLoadError(f"cannot tell the framework of {path.name} from its suffix",
                         hint="Use .joblib/.pkl/.skops, .onnx, .pt, .json/.ubj, a LightGBM model.txt, "
                              "or pass --framework to init (model.framework in lambdaserve.toml).")
