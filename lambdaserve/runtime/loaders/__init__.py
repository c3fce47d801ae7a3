"""One loader per framework, behind ``load_model(settings) -> Model``.

Each loader module imports its framework inside ``load``, so importing this package
costs nothing and the function pays only for the framework it serves.
"""

from __future__ import annotations

import importlib

from lambdaserve.errors import LambdaServeError, ModelLoadError
from lambdaserve.runtime.loaders.base import Model
from lambdaserve.runtime.loaders.detect import detect_framework, model_files
from lambdaserve.runtime.settings import RuntimeSettings

FRAMEWORKS = ("sklearn", "onnx", "torchscript", "xgboost", "lightgbm", "catboost", "custom")

__all__ = ["FRAMEWORKS", "Model", "detect_framework", "import_framework", "load_model", "model_files",
           "resolve_framework"]


def resolve_framework(settings: RuntimeSettings) -> str:
    """settings.framework, with "auto" decided by the predictor setting or the model file."""
    framework = settings.framework
    if framework == "auto":
        if settings.predictor:
            return "custom"
        if not settings.model_path.exists():
            raise ModelLoadError(f"model path {settings.model_path} does not exist",
                                 hint="Check model.path in lambdaserve.toml (or LAMBDASERVE_MODEL_DIR).")
        return detect_framework(settings.model_path)
    if framework not in FRAMEWORKS:
        raise ModelLoadError(f"unknown framework {framework!r}",
                             hint=f"Use one of auto | {' | '.join(FRAMEWORKS)}.")
    if framework == "custom" and not settings.predictor:
        raise ModelLoadError("framework 'custom' needs a predictor",
                             hint="Set model.predictor = 'my_module:Predictor' in lambdaserve.toml.")
    return framework


def load_model(settings: RuntimeSettings) -> Model:
    """Load the model the settings point at, with its signature (config overrides the model's)."""
    framework = resolve_framework(settings)
    loader = importlib.import_module(f"lambdaserve.runtime.loaders.{framework}")
    model: Model = loader.load(settings)
    return model


def import_framework(settings: RuntimeSettings) -> None:
    """Import the framework's modules (the loader's ``IMPORTS``) now, from a shallow call stack.

    Called at the handler's top level, before ``Runtime.from_settings``. Python 3.11 keeps its
    frames in 16 KiB chunks that it maps and unmaps as the stack crosses a chunk's edge; numpy's
    import nests deep, and from inside ``from_settings`` -> ``load_model`` -> the loader it
    crossed an edge ~1,000 times (one mmap + munmap each, kernel time callgrind does not see):
    ~30 ms of a 170 ms cold start. Anything that fails here is left for ``load_model`` to report
    with its hint.
    """
    try:
        framework = resolve_framework(settings)
        loader = importlib.import_module(f"lambdaserve.runtime.loaders.{framework}")
    except (LambdaServeError, ImportError):
        return
    names: tuple[str, ...] = getattr(loader, "IMPORTS", ())
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            return
