"""Custom predictors: ``model.predictor = "module:attr"`` for anything else.

``attr`` is a module-level object (or a module) with ``load(model_dir)`` and
``predict(inputs)``, or a class with those methods, which is instantiated without
arguments before ``load`` is called. ``predict`` gets the inputs dict (input name ->
rows) and may take a ``probabilities`` keyword; a dict answer is returned as is, any
other answer is named by the first declared output (default "prediction").

Where the module is found: sys.path first (on Lambda that holds LAMBDA_TASK_ROOT), then
the model folder, then its parent, the project folder that holds lambdaserve.toml. Those
two are appended, never prepended, so a predictor cannot shadow an installed package.

Signature: [signature] in lambdaserve.toml, else the predictor's ``signature`` attribute
(a Signature or its dict), else source "unknown": requests are checked as JSON only and
``predict`` gets the request's rows as ``inputs["input"]``, in every format: an Open
Inference Protocol tensor must then be named "input" (any other name is a 400 saying so).
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path
from typing import Any

from lambdaserve.errors import ModelLoadError
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import Signature

UNKNOWN = Signature(inputs=(), outputs=(), source="unknown")
# Modules a predictor may import, and the pip distributions that install them.
_KNOWN = (("numpy", "numpy"), ("sklearn", "scikit-learn"), ("onnxruntime", "onnxruntime"),
          ("torch", "torch"), ("xgboost", "xgboost"), ("transformers", "transformers"))


def _import(spec: str, model_dir: Path) -> Any:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ModelLoadError(f"model.predictor = {spec!r} is not 'module:attr'",
                             hint="Set model.predictor = 'my_predictor:Predictor'.")
    for folder in (model_dir, model_dir.parent):
        if str(folder) not in sys.path:
            sys.path.append(str(folder))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name.split(".")[0] and exc.name != module_name:
            raise ModelLoadError(f"predictor module {module_name} needs {exc.name}, which is not installed",
                                 hint=f"Add {exc.name}'s package to function.requirements.") from exc
        raise ModelLoadError(f"cannot find the predictor module {module_name}",
                             hint=f"Put {module_name.replace('.', '/')}.py next to lambdaserve.toml or in "
                                  f"the model folder ({model_dir}).") from exc
    except Exception as exc:
        raise ModelLoadError(f"importing predictor module {module_name} failed: {type(exc).__name__}: {exc}",
                             hint="Fix the error in your predictor module; run it with python to see the "
                                  "traceback.") from exc
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise ModelLoadError(f"predictor module {module_name} has no attribute {attr!r}",
                             hint=f"Define {attr} in {module_name}, or fix model.predictor.") from exc


def _signature(predictor: Any, declared: Signature | None) -> Signature:
    if declared is not None:
        return declared
    own = getattr(predictor, "signature", None)
    if isinstance(own, Signature):
        return own
    if isinstance(own, dict):
        try:
            return Signature.from_dict({"source": "model", **own})
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"the predictor's signature attribute is not a valid signature: {exc}",
                                 hint="Give inputs as [{'name': ..., 'dtype': ..., 'shape': [...]}]."
                                 ) from exc
    return UNKNOWN


class CustomModel:
    framework = "custom"

    def __init__(self, predictor: Any, signature: Signature, spec: str) -> None:
        self.predictor = predictor
        self.signature = signature
        self.spec = spec
        params = inspect.signature(predictor.predict).parameters
        self._takes_probabilities = "probabilities" in params or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        self._output = signature.outputs[0].name if signature.outputs else "prediction"

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        if self._takes_probabilities:
            answer = self.predictor.predict(inputs, probabilities=probabilities)
        else:
            answer = self.predictor.predict(inputs)
        return dict(answer) if isinstance(answer, dict) else {self._output: answer}

    def versions(self) -> dict[str, str]:
        """The versions of the known frameworks the predictor imported (pip names: init pins them)."""
        found: dict[str, str] = {}
        for module, dist in _KNOWN:
            loaded = sys.modules.get(module)
            version = getattr(loaded, "__version__", None)
            if version is not None:
                found[dist] = str(version)
        return found


def load(settings: RuntimeSettings) -> CustomModel:
    spec = settings.predictor or ""
    model_dir = settings.model_dir
    if not model_dir.exists():
        raise ModelLoadError(f"model folder {model_dir} does not exist",
                             hint="Check model.path in lambdaserve.toml (or LAMBDASERVE_MODEL_DIR).")
    target = _import(spec, model_dir)
    try:
        predictor: Any = target() if inspect.isclass(target) else target
    except Exception as exc:
        raise ModelLoadError(f"{spec}() failed: {type(exc).__name__}: {exc}",
                             hint="The predictor class must be constructible without arguments; "
                                  "do the work in load(model_dir).") from exc
    missing = [name for name in ("load", "predict") if not callable(getattr(predictor, name, None))]
    if missing:
        raise ModelLoadError(f"predictor {spec} has no {' or '.join(missing)} method",
                             hint="A predictor needs load(model_dir) and predict(inputs).")
    try:
        predictor.load(model_dir)
    except Exception as exc:
        raise ModelLoadError(f"{spec}.load({str(model_dir)!r}) failed: {type(exc).__name__}: {exc}",
                             hint="Fix load(model_dir) in your predictor; the original error is "
                                  "chained to this one.") from exc
    return CustomModel(predictor, _signature(predictor, settings.signature), spec)
