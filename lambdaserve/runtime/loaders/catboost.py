"""CatBoost: a model in CatBoost's own format (``model.save_model("model.cbm")``), and the
CatBoostClassifier / CatBoostRegressor pickles the scikit-learn loader hands over.

The signature comes from the model: its feature names and which of them are categorical
(``get_cat_feature_indices``). CatBoost keeps hashes of the categories it saw, not the values,
so any string is accepted (an unseen one is scored as CatBoost scores it); a categorical value
cannot be missing, a number can (CatBoost treats NaN itself). CatBoost takes rows of mixed
types directly: no DataFrame, no pandas. Models with classes give "label" (and "probabilities"
when asked); others give "prediction".
"""

from __future__ import annotations

from typing import Any

from lambdaserve.errors import RequestError
from lambdaserve.runtime.loaders.base import (
    load_failed,
    merge_signature,
    missing_framework,
    model_file,
    numpy_version,
)
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import ColumnSpec, Signature, TensorSpec

SUFFIXES = (".cbm",)


def _signature(model: Any) -> Signature:
    names = [str(n) for n in (model.feature_names_ or [])]
    categorical = set(model.get_cat_feature_indices())
    found = getattr(model, "classes_", None)
    raw = [] if found is None else list(found)  # a regressor's is empty
    classes = tuple(v.item() if hasattr(v, "item") else v for v in raw) if raw else None
    outputs: tuple[TensorSpec, ...]
    if classes is not None:
        label = "int64" if all(isinstance(c, int) for c in classes) else "string"
        outputs = (TensorSpec("label", label, (None,)),
                   TensorSpec("probabilities", "float64", (None, len(classes))))
    else:
        outputs = (TensorSpec("prediction", "float64", (None,)),)
    # float32: CatBoost computes its numeric features in float32 and turns 1e39 into inf without a
    # word; so declared, the request check refuses such a number, naming its column
    columns = tuple(ColumnSpec(n, "string") if i in categorical else ColumnSpec(n, "float32", nullable=True)
                    for i, n in enumerate(names))
    return Signature.table(columns, outputs=outputs, feature_names=tuple(names), classes=classes,
                           has_proba=classes is not None)


class CatBoostModel:
    framework = "catboost"

    def __init__(self, model: Any, signature: Signature, pickled: bool = False) -> None:
        self.model = model
        self.signature = signature
        self.pickled = pickled  # a CatBoost* sklearn-API object unpickled by joblib

    def _rows(self, inputs: dict[str, list[Any]]) -> list[list[Any]]:
        columns = [[float("nan") if v is None else v for v in inputs[c.name]] for c in self.signature.columns]
        return [list(row) for row in zip(*columns, strict=True)]

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        import numpy as np

        if probabilities and not self.signature.has_proba:
            raise RequestError("this model does not give probabilities",
                               hint="Ask without probabilities; it is not a classifier.")
        rows = self._rows(inputs)
        if self.signature.classes is None:
            return {"prediction": np.asarray(self.model.predict(rows)).reshape(len(rows), -1).squeeze(1)}
        labels = np.asarray(self.model.predict(rows, prediction_type="Class")).reshape(len(rows))
        answer: dict[str, Any] = {"label": labels}
        if probabilities:
            answer["probabilities"] = self.model.predict(rows, prediction_type="Probability")
        return answer

    def versions(self) -> dict[str, str]:
        import catboost

        found = {"catboost": catboost.__version__, **numpy_version()}
        if self.pickled:
            import sklearn

            found["scikit-learn"] = sklearn.__version__
        return found


def from_estimator(est: Any, settings: RuntimeSettings) -> CatBoostModel:
    """A CatBoostClassifier / CatBoostRegressor the scikit-learn loader unpickled."""
    return CatBoostModel(est, merge_signature(_signature(est), settings.signature), pickled=True)


def load(settings: RuntimeSettings) -> CatBoostModel:
    path = model_file(settings.model_path, SUFFIXES, "catboost")
    try:
        import catboost
    except ImportError as exc:
        raise missing_framework("catboost", "catboost", exc) from exc
    model = catboost.CatBoost()
    try:
        model.load_model(str(path))
    except Exception as exc:
        raise load_failed("catboost", path, exc, "Save the model with model.save_model(\"model.cbm\") "
                                                 "(CatBoost's own format).") from exc
    return CatBoostModel(model, merge_signature(_signature(model), settings.signature))
