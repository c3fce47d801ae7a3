"""XGBoost Boosters saved as JSON or UBJ (``booster.save_model("model.json")``).

The signature comes from the booster: its feature count and names, and its objective.
binary:logistic and multi:softprob are classifiers ("label", and "probabilities" when
asked); binary:hinge, binary:logitraw and multi:softmax give labels only; everything
else is a regressor ("prediction").
"""

from __future__ import annotations

import json
from typing import Any

from lambdaserve.errors import RequestError
from lambdaserve.runtime.loaders.base import (
    as_array,
    load_failed,
    merge_signature,
    missing_framework,
    model_file,
    numpy_version,
    single_input,
)
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import Signature, TensorSpec
from lambdaserve.runtime.threads import available_cpus

SUFFIXES = (".json", ".ubj")
_WITH_PROBA = ("binary:logistic", "multi:softprob")
_LABELS_ONLY = ("binary:hinge", "binary:logitraw", "multi:softmax")


def _signature(booster: Any, objective: str, num_class: int) -> Signature:
    names = booster.feature_names
    spec = TensorSpec("input", "float32", (None, int(booster.num_features())))
    if objective not in _WITH_PROBA + _LABELS_ONLY:
        return Signature(inputs=(spec,), outputs=(TensorSpec("prediction", "float32", (None,)),),
                         feature_names=tuple(names) if names else None)
    classes = tuple(range(max(num_class, 2)))
    outputs = [TensorSpec("label", "int64", (None,))]
    if objective in _WITH_PROBA:
        outputs.append(TensorSpec("probabilities", "float32", (None, len(classes))))
    return Signature(inputs=(spec,), outputs=tuple(outputs), classes=classes,
                     feature_names=tuple(names) if names else None, has_proba=objective in _WITH_PROBA)


class XGBoostModel:
    framework = "xgboost"

    def __init__(self, booster: Any, signature: Signature, objective: str) -> None:
        self.booster = booster
        self.signature = signature
        self.objective = objective
        self._input = single_input(signature, "xgboost")

    def _labels_and_proba(self, raw: Any) -> tuple[Any, Any]:
        import numpy as np

        if self.objective == "binary:logistic":
            return (raw > 0.5).astype(np.int64), np.column_stack([1.0 - raw, raw])
        if self.objective == "multi:softprob":
            return raw.argmax(axis=1).astype(np.int64), raw
        if self.objective == "binary:logitraw":
            return (raw > 0.0).astype(np.int64), None
        return raw.astype(np.int64), None  # binary:hinge and multi:softmax predict labels

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        if probabilities and not self.signature.has_proba:
            raise RequestError("this model does not give probabilities",
                               hint=f"Ask without probabilities; objective {self.objective} gives labels.")
        features = as_array(inputs[self._input], self.signature.inputs[0].dtype)
        # inplace_predict skips building a DMatrix; the answer is the same.
        raw = self.booster.inplace_predict(features, validate_features=False)
        if self.signature.classes is None:
            return {"prediction": raw}
        labels, proba = self._labels_and_proba(raw)
        return {"label": labels, "probabilities": proba} if probabilities else {"label": labels}

    def versions(self) -> dict[str, str]:
        import xgboost

        return {"xgboost": xgboost.__version__, **numpy_version()}


def load(settings: RuntimeSettings) -> XGBoostModel:
    path = model_file(settings.model_path, SUFFIXES, "xgboost")
    try:
        import xgboost
    except ImportError as exc:
        raise missing_framework("xgboost", "xgboost-cpu", exc) from exc
    booster = xgboost.Booster()
    try:
        booster.load_model(str(path))
    except Exception as exc:
        raise load_failed("xgboost", path, exc, "Save the model with booster.save_model('model.json') "
                                                "or .ubj; a pickled XGBClassifier needs the sklearn "
                                                "framework instead.") from exc
    booster.set_param({"nthread": available_cpus()})
    learner = json.loads(booster.save_config())["learner"]
    objective = str(learner["objective"]["name"])
    num_class = int(learner["learner_model_param"].get("num_class", "0"))
    own = _signature(booster, objective, num_class)
    return XGBoostModel(booster, merge_signature(own, settings.signature), objective)
