"""XGBoost Boosters saved as JSON or UBJ (``booster.save_model("model.json")``), and the
XGBClassifier / XGBRegressor pickles with category columns the scikit-learn loader hands over.

The signature comes from the booster: its feature count and names, and its objective.
binary:logistic and multi:softprob are classifiers ("label", and "probabilities" when
asked); binary:hinge, binary:logitraw and multi:softmax give labels only; everything
else is a regressor ("prediction"). A model trained on a DataFrame with category columns
(``enable_categorical=True``) takes named columns, and gets them back as a DataFrame whose
category columns have the training categories in training order (xgboost_columns.py).
"""

from __future__ import annotations

import json
from typing import Any

from lambdaserve.errors import RequestError
from lambdaserve.runtime.loaders import frame
from lambdaserve.runtime.loaders.base import (
    as_array,
    estimator_answer,
    load_failed,
    merge_signature,
    missing_framework,
    model_file,
    numpy_version,
    single_input,
)
from lambdaserve.runtime.loaders.xgboost_columns import (
    keep_model_categories,
    model_columns,
    require_categories,
)
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import Signature, TensorSpec
from lambdaserve.runtime.threads import available_cpus

SUFFIXES = (".json", ".ubj")
_WITH_PROBA = ("binary:logistic", "multi:softprob")
_LABELS_ONLY = ("binary:hinge", "binary:logitraw", "multi:softmax")


def _signature(booster: Any, objective: str, num_class: int) -> Signature:
    names = booster.feature_names
    rest: dict[str, Any] = {"feature_names": tuple(names) if names else None}
    if objective not in _WITH_PROBA + _LABELS_ONLY:
        rest["outputs"] = (TensorSpec("prediction", "float32", (None,)),)
    else:
        classes = tuple(range(max(num_class, 2)))
        outputs = [TensorSpec("label", "int64", (None,))]
        if objective in _WITH_PROBA:
            outputs.append(TensorSpec("probabilities", "float32", (None, len(classes))))
        rest.update(outputs=tuple(outputs), classes=classes, has_proba=objective in _WITH_PROBA)
    columns = model_columns(booster)
    if columns is not None:
        return Signature.table(columns, **rest)
    width = int(booster.num_features())  # XGBoost scores NaN as missing: a request's null is served as it
    return Signature(inputs=(TensorSpec("input", "float32", (None, width), nullable=True),), **rest)


def _objective(booster: Any) -> tuple[str, int]:
    learner = json.loads(booster.save_config())["learner"]
    return str(learner["objective"]["name"]), int(learner["learner_model_param"].get("num_class", "0"))


class XGBoostModel:
    framework = "xgboost"

    def __init__(self, booster: Any, signature: Signature, objective: str, estimator: Any = None) -> None:
        self.booster = booster
        self.estimator = estimator  # an XGBClassifier / XGBRegressor, when pickled through its sklearn API
        self.signature = signature
        self.objective = objective
        self._columns = signature.columns
        # numbers only (columns declared by `init --sample` to take nulls) need no pandas: one matrix
        self._frame = bool(self._columns) and not frame.all_numeric(self._columns)
        if self._columns:
            require_categories(self._columns, list(booster.feature_types or ()))
        if self._frame:
            frame.require_pandas("XGBoost")
        self._input = "" if self._columns else single_input(signature, "xgboost")
        self._names = list(booster.feature_names or ())

    def _features(self, inputs: dict[str, list[Any]]) -> Any:
        if not self._columns:
            return as_array(inputs[self._input], self.signature.inputs[0].dtype)
        if not self._frame:  # a null is NaN, which XGBoost scores as missing
            return frame.matrix(inputs, self._columns)
        # the model's own column names, category columns with the training categories in training order
        return frame.dataframe(inputs, self._columns, names=self._names, categorical=True)

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
        features = self._features(inputs)
        if self.estimator is not None:
            return estimator_answer(self.estimator, features, classifier=self.signature.classes is not None,
                                    probabilities=probabilities)
        # inplace_predict skips building a DMatrix; the answer is the same.
        raw = self.booster.inplace_predict(features, validate_features=False)
        if self.signature.classes is None:
            return {"prediction": raw}
        labels, proba = self._labels_and_proba(raw)
        return {"label": labels, "probabilities": proba} if probabilities else {"label": labels}

    def versions(self) -> dict[str, str]:
        import xgboost

        found = {"xgboost": xgboost.__version__, **numpy_version()}
        if self._frame:  # the function rebuilds the training DataFrame
            import pandas

            found["pandas"] = pandas.__version__
        if self.estimator is not None:  # unpickling the XGB* wrapper imports scikit-learn
            import sklearn

            found["scikit-learn"] = sklearn.__version__
        return found


def has_categories(est: Any) -> bool:
    """An XGBClassifier / XGBRegressor trained on category columns, which this loader serves as a table."""
    try:
        return "c" in (est.get_booster().feature_types or ())
    except Exception:  # not fitted, or not a booster-backed estimator: the scikit-learn loader says so
        return False


def from_estimator(est: Any, settings: RuntimeSettings) -> XGBoostModel:
    """An XGBClassifier / XGBRegressor with category columns, unpickled by the scikit-learn loader."""
    booster = est.get_booster()
    objective, num_class = _objective(booster)
    own = _signature(booster, objective, num_class)
    merged = keep_model_categories(merge_signature(own, settings.signature), own)
    return XGBoostModel(booster, merged, objective, est)


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
    objective, num_class = _objective(booster)
    own = _signature(booster, objective, num_class)
    merged = keep_model_categories(merge_signature(own, settings.signature), own)
    return XGBoostModel(booster, merged, objective)
