"""LightGBM: a Booster in LightGBM's own text format (``booster.save_model("model.txt")``), and the
LGBMClassifier / LGBMRegressor pickles the scikit-learn loader hands over.

The signature comes from the model: its feature names, which features are categorical (the
model's ``feature_infos``: a categorical feature lists its codes, a numeric one ``[min:max]``)
and the categories a DataFrame's category columns had in training (``pandas_categorical``).
Missing values are allowed everywhere: LightGBM routes them itself. Binary and multiclass
objectives are classifiers ("label", and "probabilities" when asked); anything else gives
"prediction". lib_lightgbm.so needs the OpenMP runtime libgomp.so.1 at run time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lambdaserve.errors import ModelLoadError, RequestError
from lambdaserve.runtime.loaders import frame
from lambdaserve.runtime.loaders.base import (
    estimator_answer,
    load_failed,
    merge_signature,
    missing_framework,
    model_file,
    numpy_version,
    single_input,
)
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import ColumnSpec, Signature, TensorSpec

SUFFIXES = (".txt", ".lgb", ".model")
SHARED_LIBRARIES = ("libgomp.so.1",)  # what lib_lightgbm.so links beyond glibc and libstdc++
_CLASSIFIERS = ("binary", "multiclass", "multiclassova")


def header(text: str) -> dict[str, str]:
    """The key=value lines before the first tree: objective, feature_names, feature_infos..."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("Tree="):
            break
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _value_dtype(values: list[Any]) -> str:
    if all(isinstance(v, str) for v in values):
        return "string"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int64"
    return "float64"


def _columns(names: list[str], infos: list[str], pandas_categorical: Any) -> tuple[ColumnSpec, ...] | None:
    categorical = [i for i, info in enumerate(infos) if info != "none" and not info.startswith("[")]
    if not categorical:
        return None  # numbers only: the matrix signature serves it
    cats = list(pandas_categorical or [])
    by_index = dict(zip(categorical, cats, strict=False)) if len(cats) == len(categorical) else {}
    columns = []
    for i, name in enumerate(names):
        if i in by_index:
            values = [v.item() if hasattr(v, "item") else v for v in by_index[i]]
            # LightGBM scores a category it did not see in training as missing: so is it served
            columns.append(ColumnSpec(name, _value_dtype(values), nullable=True, categories=tuple(values),
                                      unknown="missing",
                                      example=values[0] if values else None))
        elif i in categorical:  # trained on integer codes, not a category column
            columns.append(ColumnSpec(name, "int64", nullable=True))
        else:
            columns.append(ColumnSpec(name, "float64", nullable=True))
    return tuple(columns)


def _label_dtype(classes: tuple[Any, ...]) -> str:
    if all(isinstance(c, bool) for c in classes):  # True/False labels: answered as JSON booleans
        return "bool"
    return "int64" if all(isinstance(c, int) for c in classes) else "string"


def _signature(booster: Any, head: dict[str, str], classes: tuple[Any, ...] | None) -> Signature:
    names = [str(n) for n in booster.feature_name()]
    objective = head.get("objective", "").split(" ")[0]
    if classes is None and objective in _CLASSIFIERS:
        classes = tuple(range(max(int(head.get("num_class", "1")), 2)))
    outputs: tuple[TensorSpec, ...]
    if classes is not None:
        outputs = (TensorSpec("label", _label_dtype(classes), (None,)),
                   TensorSpec("probabilities", "float64", (None, len(classes))))
    else:
        outputs = (TensorSpec("prediction", "float64", (None,)),)
    rest: dict[str, Any] = {"outputs": outputs, "feature_names": tuple(names), "classes": classes,
                            "has_proba": classes is not None}
    columns = _columns(names, head.get("feature_infos", "").split(), booster.pandas_categorical)
    if columns is not None:
        return Signature.table(columns, **rest)
    # LightGBM scores NaN as missing: a request's null is served as it
    return Signature(inputs=(TensorSpec("input", "float64", (None, len(names)), nullable=True),), **rest)


class LightGBMModel:
    framework = "lightgbm"

    def __init__(self, booster: Any, signature: Signature, estimator: Any = None) -> None:
        self.booster = booster
        self.estimator = estimator  # an LGBMClassifier / LGBMRegressor, when pickled through its sklearn API
        self.signature = signature
        self._columns = signature.columns
        if self._columns and not frame.all_numeric(self._columns):
            frame.require_pandas("LightGBM")
        self._input = "" if self._columns else single_input(signature, "LightGBM")
        self._names = list(signature.feature_names or ())

    def _features(self, inputs: dict[str, list[Any]]) -> Any:
        import numpy as np

        if not self._columns:
            return np.asarray(inputs[self._input], dtype="float64")
        if frame.all_numeric(self._columns):
            return frame.matrix(inputs, self._columns)
        # the model's own (sanitised) names, and category columns with the training categories
        return frame.dataframe(inputs, self._columns, names=self._names, categorical=True)

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        import numpy as np

        if probabilities and not self.signature.has_proba:
            raise RequestError("this model does not give probabilities",
                               hint="Ask without probabilities; it is not a classifier.")
        features = self._features(inputs)
        classes = self.signature.classes
        if self.estimator is not None:
            return estimator_answer(self.estimator, features, classifier=classes is not None,
                                    probabilities=probabilities)
        raw = np.asarray(self.booster.predict(features))
        if classes is None:
            return {"prediction": raw}
        proba = np.column_stack([1 - raw, raw]) if raw.ndim == 1 else raw
        answer = {"label": np.asarray(classes)[proba.argmax(axis=1)]}
        if probabilities:
            answer["probabilities"] = proba
        return answer

    def versions(self) -> dict[str, str]:
        import lightgbm

        found = {"lightgbm": lightgbm.__version__, **numpy_version()}
        if self._columns and not frame.all_numeric(self._columns):
            import pandas

            found["pandas"] = pandas.__version__
        if self.estimator is not None:  # unpickling the LGBM* wrapper imports scikit-learn
            import sklearn

            found["scikit-learn"] = sklearn.__version__
        return found


def from_estimator(est: Any, settings: RuntimeSettings) -> LightGBMModel:
    """An LGBMClassifier / LGBMRegressor the scikit-learn loader unpickled."""
    booster = est.booster_
    classes = getattr(est, "classes_", None)
    known = tuple(v.item() if hasattr(v, "item") else v for v in classes) if classes is not None else None
    own = _signature(booster, header(booster.model_to_string(num_iteration=0)), known)
    return LightGBMModel(booster, merge_signature(own, settings.signature), est)


def load(settings: RuntimeSettings) -> LightGBMModel:
    path: Path = model_file(settings.model_path, SUFFIXES, "lightgbm")
    try:
        import lightgbm
    except ImportError as exc:
        raise missing_framework("lightgbm", "lightgbm", exc) from exc
    except OSError as exc:  # lib_lightgbm.so without libgomp.so.1
        raise ModelLoadError(f"lightgbm cannot load its library: {exc}",
                             hint="LightGBM needs the OpenMP runtime libgomp.so.1 (apt install libgomp1; on "
                                  "Lambda, `lambdaserve build` ships it in lib/: rebuild).") from exc
    try:
        booster = lightgbm.Booster(model_file=str(path))
    except Exception as exc:
        raise load_failed("lightgbm", path, exc, "Save the model with booster.save_model(\"model.txt\") "
                                                 "(LightGBM's text format).") from exc
    with path.open(encoding="utf-8", errors="replace") as fh:
        head = header("".join(line for _, line in zip(range(64), fh, strict=False)))
    return LightGBMModel(booster, merge_signature(_signature(booster, head, None), settings.signature))
