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


def load_model(settings: RuntimeSettings, framework: str | None = None) -> Model:
    """Load the model the settings point at, with its signature (config overrides the model's).

    ``framework``: what ``resolve_framework(settings)`` already answered (``import_framework``
    returns it), so the model folder is not listed twice; None resolves it here.
    """
    framework = framework or resolve_framework(settings)
    loader = importlib.import_module(f"lambdaserve.runtime.loaders.{framework}")
    model: Model = loader.load(settings)
    return model


def import_framework(settings: RuntimeSettings) -> str | None:
    """Import the framework's modules (the loader's ``IMPORTS``) now; the resolved framework's name.

    Called by the handler before ``Runtime.from_settings``, which takes the name back (resolving
    "auto" lists the model folder; once is enough). None when it cannot be resolved yet (a model
    still in S3) or fails: ``load_model`` then resolves it and reports any error with its hint, as
    does an import that fails here.

    Why first: numpy's import nests deep, and from inside ``from_settings`` -> ``load_model`` ->
    the loader its calls crossed a 16 KiB frame-stack chunk's edge ~1,000 times (an mmap and a
    munmap each; ~30 ms of a 170 ms cold start). The handler now also runs its whole init in one
    roomy chunk (runtime/stack.py), where no depth crosses an edge.
    """
    try:
        framework = resolve_framework(settings)
        loader = importlib.import_module(f"lambdaserve.runtime.loaders.{framework}")
    except (LambdaServeError, ImportError):
        return None
    names: tuple[str, ...] = getattr(loader, "IMPORTS", ())
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            break
    return framework
