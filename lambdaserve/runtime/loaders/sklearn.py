"""scikit-learn models from joblib, pickle or skops' secure format.

The signature comes from the fitted estimator: ``n_features_in_``, ``feature_names_in_``,
``classes_`` and whether ``predict_proba`` exists. Outputs: classifiers give "label" (and
"probabilities" when asked), anything else gives "prediction"; a multi-output classifier gives
"prediction" (a label per output) and, when asked, "probabilities_<k>" per output k.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from lambdaserve.errors import ModelLoadError, RequestError
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
from lambdaserve.runtime.loaders.log import loader_log
from lambdaserve.runtime.loaders.sklearn_columns import model_columns
from lambdaserve.runtime.ranges import out_of_range
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import Signature, TensorSpec

SUFFIXES = (".joblib", ".pkl", ".pickle", ".skops")
# skops refuses types outside its default trust list unless told to trust them. Types from
# these packages are what scikit-learn models are made of; anything else could run code.
_TRUSTED_PACKAGES = ("sklearn", "numpy", "scipy")

log = loader_log()


class _TorchHidden:
    """A meta path finder that hides torch while skops.io is imported.

    skops' list of trusted types walks every scikit-learn subpackage, and scikit-learn's
    array-API shim for torch imports torch whenever it is installed: seconds of init that a
    scikit-learn model never uses (an image or venv holding both frameworks, the test suite).
    pkgutil's walk skips a subpackage whose import fails. A later ``import torch`` works.
    """

    def find_spec(self, name: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> None:
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden while skops loads)", name=name)
        return None


def import_skops_io() -> Any:  # skops ships no type hints
    """``skops.io``, imported with torch hidden unless something already imported torch."""
    hide = None if "torch" in sys.modules else _TorchHidden()
    if hide is not None:
        sys.meta_path.insert(0, hide)
    try:
        import skops.io as sio
    finally:
        if hide is not None:
            sys.meta_path.remove(hide)
    return sio


def _load_skops(path: Path) -> Any:
    try:
        sio = import_skops_io()
    except ImportError as exc:
        raise missing_framework("sklearn", "skops", exc) from exc
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise load_failed("skops", path, exc, "The file is not a skops archive; re-save it with "
                                              "skops.io.dump(model, path).") from exc
    unknown = [t for t in untrusted if t.split(".", 1)[0] not in _TRUSTED_PACKAGES]
    if unknown:
        raise ModelLoadError(
            f"{path.name} holds types that could run code when loaded: {', '.join(unknown)}",
            hint="Save the model without them, or load it yourself in a custom predictor "
                 "(model.predictor) with skops.io.load(path, trusted=[...]) if you trust the file.",
        )
    try:
        return sio.load(path, trusted=untrusted)
    except Exception as exc:
        raise load_failed("skops", path, exc, "Re-save the model with the skops and scikit-learn "
                                              "versions pinned in function.requirements.") from exc


def _load_pickle(path: Path, own_modules: Path | None = None) -> Any:
    """``own_modules``: a folder the pickle's own modules may import from, put on sys.path only
    when the pickle asks for a module that is there (every later import would list it)."""
    log.warning("loading %s with pickle: a pickle runs any code it holds, so load only files you "
                "made or trust; skops' format (.skops) is the safe alternative", path.name)
    try:
        return _unpickle(path)
    except ModelLoadError as exc:
        missing = exc.__cause__.name if isinstance(exc.__cause__, ModuleNotFoundError) else None
        top = (missing or "").split(".", 1)[0]
        if not (own_modules and top and
                ((own_modules / f"{top}.py").is_file() or (own_modules / top).is_dir())):
            raise
    if str(own_modules) not in sys.path:
        sys.path.append(str(own_modules))
    return _unpickle(path)


def _unpickle(path: Path) -> Any:
    import joblib

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = joblib.load(path)
        except ModuleNotFoundError as exc:
            raise load_failed("pickle", path, exc, f"The pickle needs the module '{exc.name}': add its "
                                                   "package to function.requirements.") from exc
        except Exception as exc:
            raise load_failed("pickle", path, exc, "The file is damaged or not a pickle; re-save it with "
                                                   "joblib.dump(model, path).") from exc
    for warning in caught:  # e.g. InconsistentVersionWarning: saved by another scikit-learn
        log.warning("while loading %s: %s", path.name, warning.message)
    return model


def _label_dtype(classes: Any) -> str:
    kind = getattr(getattr(classes, "dtype", None), "kind", "O")
    return {"i": "int64", "u": "int64", "f": "float64", "b": "bool"}.get(kind, "string")


def _first_steps(est: Any) -> list[Any]:
    """The estimators that see the request's values as sent: a pipeline's first step, the
    members of an ensemble or a column transformer (each sees raw values), recursively."""
    steps = getattr(est, "steps", None)
    if steps:
        first = next((step for _, step in steps if step not in (None, "passthrough")), None)
        return [] if first is None else _first_steps(first)
    found = [est]
    for attr in ("estimators_", "transformers_"):
        members = getattr(est, attr, None)
        if members is None:
            continue
        flat = members.ravel().tolist() if hasattr(members, "ravel") else list(members)
        for member in flat:
            member = member[1] if isinstance(member, tuple) else member  # (name, transformer, cols)
            if hasattr(member, "fit"):
                found += _first_steps(member)
    return found


def _input_dtype(est: Any) -> str:
    """float32 when a tree sees the raw values: scikit-learn's trees compare features as float32
    (sklearn.tree._tree.DTYPE) and refuse a value that overflows it, though they accept float64."""
    return "float32" if any(hasattr(step, "tree_") for step in _first_steps(est)) else "float64"


NanFate = Literal["refused", "filled", "passed"]


def _takes_nan(est: Any) -> bool:
    """True when the model answers for NaN: its tags say it scores NaN itself (HistGradientBoosting,
    XGBoost and LightGBM's estimators, trees), or a pipeline's steps fill NaN before any step that
    would raise on it. A request's null then reaches the model as NaN; elsewhere it is refused."""
    return _nan_fate(est) != "refused"


def _nan_fate(est: Any) -> NanFate:
    """What ``est`` does with a NaN it is given: raises, fills it (an imputer), or keeps it. A
    Pipeline's own tags say allow_nan=False whatever its steps (scikit-learn 1.6-1.9), so its steps
    are asked in order: Pipeline(SimpleImputer(), LogisticRegression()) answers for NaN,
    Pipeline(StandardScaler(), LogisticRegression()) passes NaN on and raises."""
    steps = getattr(est, "steps", None)
    if steps:
        for _, step in steps:
            if step is None or step == "passthrough":
                continue
            fate = _nan_fate(step)
            if fate != "passed":
                return fate
        return "passed"
    if not _tags_allow_nan(est):
        return "refused"
    # an imputer whose tags take NaN imputes NaN (its missing_values); a constant fill of NaN keeps it
    fill = getattr(est, "fill_value", None)
    keeps_nan = isinstance(fill, float) and fill != fill
    return "filled" if type(est).__module__.startswith("sklearn.impute") and not keeps_nan else "passed"


def _tags_allow_nan(est: Any) -> bool:
    try:
        tags = getattr(est, "__sklearn_tags__", None)  # scikit-learn >= 1.6
        if tags is not None:
            return bool(tags().input_tags.allow_nan)
        old = getattr(est, "_get_tags", None)  # before 1.6: a dict
        return bool(old().get("allow_nan", False)) if old is not None else False
    except Exception:  # a third-party estimator's tags may fail in any way: then NaN is not assumed
        return False


def _estimator_type(est: Any) -> str | None:
    """"classifier", "regressor", "clusterer", "outlier_detector", ... (a pipeline's: its last step's)."""
    try:
        tags = getattr(est, "__sklearn_tags__", None)  # scikit-learn >= 1.6
        found = tags().estimator_type if tags is not None else getattr(est, "_estimator_type", None)
    except Exception:  # a third-party estimator's tags may fail in any way
        return None
    return found if isinstance(found, str) else None


def _n_outputs(est: Any) -> int:
    """How many values a regressor answers per row (y's columns in training): trees and forests
    keep ``n_outputs_``; MultiOutputRegressor and RegressorChain one estimator per output; linear
    models a 2-D ``coef_``. The last step of a pipeline decides."""
    steps = getattr(est, "steps", None)
    if steps:
        return _n_outputs(steps[-1][1])
    if getattr(est, "n_outputs_", None):
        return int(est.n_outputs_)
    members = getattr(est, "estimators_", None)
    if type(est).__name__ in ("MultiOutputRegressor", "RegressorChain") and members is not None:
        return len(members)
    coef: Any = getattr(est, "coef_", None)
    return int(coef.shape[0]) if getattr(coef, "ndim", 0) == 2 else 1


def proba_output(k: int) -> str:
    """The name of output ``k``'s probabilities in a multi-output classifier's answer."""
    return f"probabilities_{k}"


def _last_step_name(est: Any) -> str:
    steps = getattr(est, "steps", None)
    return _last_step_name(steps[-1][1]) if steps else type(est).__name__


def _signature(est: Any) -> Signature:
    names = getattr(est, "feature_names_in_", None)
    width = getattr(est, "n_features_in_", None)
    first = est.steps[0][1] if hasattr(est, "steps") else est
    if width is None and hasattr(first, "build_analyzer"):
        spec = TensorSpec("input", "string", (None,))  # a text vectorizer takes one string per row
    else:
        spec = TensorSpec("input", _input_dtype(est), (None, None if width is None else int(width)),
                          nullable=_takes_nan(est))
    classes = getattr(est, "classes_", None)
    per_output = None
    if classes is not None and not hasattr(classes, "dtype"):
        # multi-output classifiers keep a list of arrays: answer their labels as is, one per output
        per_output, classes = list(classes), None
    has_proba = hasattr(est, "predict_proba") and (classes is not None or bool(per_output))
    no_proba = None
    if per_output and has_proba and _last_step_name(est) == "ClassifierChain":
        # its predict_proba answers P(label 1) per output, not each output's classes
        has_proba, no_proba = False, (f"it is a classifier chain ({len(per_output)} outputs), whose "
                                      "predict_proba gives one number per output, not one per class")
    if classes is not None:
        outputs = [TensorSpec("label", _label_dtype(classes), (None,))]
        if has_proba:
            outputs.append(TensorSpec("probabilities", "float64", (None, len(classes))))
    elif per_output:
        kinds = {_label_dtype(c) for c in per_output}
        outputs = [TensorSpec("prediction", kinds.pop() if len(kinds) == 1 else "string",
                              (None, len(per_output)))]
        if has_proba:  # predict_proba's list: one array per output, a column per class of that output
            outputs += [TensorSpec(proba_output(k), "float64", (None, len(c)))
                        for k, c in enumerate(per_output)]
    elif _estimator_type(est) in ("clusterer", "outlier_detector"):
        outputs = [TensorSpec("prediction", "int64", (None,))]  # a cluster, or -1/1 for an outlier
    else:
        n_out = _n_outputs(est)
        outputs = [TensorSpec("prediction", "float64", (None,) if n_out == 1 else (None, n_out))]
    rest: dict[str, Any] = {
        "outputs": tuple(outputs),
        "feature_names": tuple(str(n) for n in names) if names is not None else None,
        "classes": tuple(classes.tolist()) if classes is not None else None,
        "has_proba": has_proba,
        "output_classes": tuple(tuple(c.tolist()) for c in per_output) if per_output else None,
    }
    if no_proba:
        rest["extra"] = {"no_proba": no_proba}
    columns = model_columns(est)
    if columns is not None:  # fitted on a DataFrame with a categorical column: a table
        return Signature.table(columns, **rest)
    return Signature(inputs=(spec,), **rest)


def _dataframe_maker() -> Any:
    """pandas.DataFrame if pandas is installed, else None: rows then go in as an array.

    A model fitted on a DataFrame may pick its columns by name (ColumnTransformer).
    """
    try:
        import pandas as pd
    except ImportError:
        return None
    return pd.DataFrame


@contextmanager
def _overflow_is_a_client_error(inputs: dict[str, list[Any]]) -> Iterator[None]:
    """A finite value that overflows float32 deeper in a pipeline (a tree behind a scaler) is the
    client's number, too large for the model: a 400, as if the signature had said float32, naming
    the column and row when the client's own value is past float32 (a table's column)."""
    try:
        yield
    except ValueError as exc:
        if "too large for dtype('float32')" not in str(exc):
            raise
        at = next((f"row {i}, column {name!r}: {problem}" for name, values in inputs.items()
                   for i, v in enumerate(values) if isinstance(v, int | float) and not isinstance(v, bool)
                   and (problem := out_of_range(v, "float32"))), "")
        raise RequestError(
            (f"{at} inside the model" if at else "a value is out of range for float32 inside the model")
            + " (a step of the pipeline computes in float32, largest magnitude 3.4028235e+38)",
            hint="The model's input type cannot hold this number; check the units or the scaling.",
        ) from None


class SklearnModel:
    framework = "sklearn"

    def __init__(self, estimator: Any, signature: Signature, secure: bool = False) -> None:
        self.estimator = estimator
        self.secure = secure  # loaded from skops' format
        self.signature = signature
        self._is_classifier = signature.classes is not None
        self._columns = signature.columns
        if self._columns and not frame.all_numeric(self._columns):
            frame.require_pandas("scikit-learn")
        self._input = "" if self._columns else single_input(signature, "scikit-learn")
        self._frame = _dataframe_maker() if signature.feature_names or self._columns else None

    def _features(self, inputs: dict[str, list[Any]]) -> Any:
        if self._columns:
            if self._frame is None:
                return frame.matrix(inputs, self._columns)
            own = list(self.signature.feature_names or ()) or None  # the model's own names
            return frame.dataframe(inputs, self._columns, names=own)
        array = as_array(inputs[self._input], self.signature.inputs[0].dtype)
        names = self.signature.feature_names
        if self._frame is None or names is None or array.ndim != 2:
            return array
        return self._frame(array, columns=list(names))

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        if probabilities and not self.signature.has_proba:
            raise RequestError("this model does not give probabilities",
                               hint="Ask without probabilities; the model has no predict_proba.")
        features = self._features(inputs)
        with warnings.catch_warnings(), _overflow_is_a_client_error(inputs if self._columns else {}):
            # Fitted on a DataFrame but given an array: the columns are in the signature's order.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            # numpy's warning before the overflow that _overflow_is_a_client_error answers with a 400
            warnings.filterwarnings("ignore", message="overflow encountered in cast", category=RuntimeWarning)
            if probabilities and self.signature.output_classes:
                return _int64(self._per_output_answer(features))
            return _int64(estimator_answer(self.estimator, features, classifier=self._is_classifier,
                                           probabilities=probabilities))

    def _per_output_answer(self, features: Any) -> dict[str, Any]:
        """A multi-output classifier's labels, and predict_proba's arrays one output each."""
        answer = {"prediction": self.estimator.predict(features)}
        arrays = self.estimator.predict_proba(features)
        per_output = self.signature.output_classes or ()
        if not isinstance(arrays, list) or len(arrays) != len(per_output):
            raise TypeError(f"predict_proba answered a {type(arrays).__name__}, not a list of "
                            f"{len(per_output)} arrays (one per output)")
        for k, array in enumerate(arrays):
            answer[proba_output(k)] = array
        return answer

    def versions(self) -> dict[str, str]:
        import sklearn

        found = {"scikit-learn": sklearn.__version__, **numpy_version()}
        if self._columns and self._frame is not None and not frame.all_numeric(self._columns):
            import pandas  # the function rebuilds the training DataFrame, so it needs pandas

            found["pandas"] = pandas.__version__
        if self.secure:  # the function needs skops to read the model
            import skops

            found["skops"] = skops.__version__
        return found


def _int64(answer: dict[str, Any]) -> dict[str, Any]:
    """Integer answers as int64, the dtype the signature names for every integer (_label_dtype):
    KMeans answers int32 clusters, and the Open Inference Protocol's datatype follows the array's."""
    for name, value in answer.items():
        kind = getattr(getattr(value, "dtype", None), "kind", None)
        if kind == "u" or (kind == "i" and value.dtype.itemsize != 8):
            answer[name] = value.astype("int64")
    return answer


def load(settings: RuntimeSettings) -> SklearnModel:
    path = model_file(settings.model_path, SUFFIXES, "scikit-learn")
    try:
        import sklearn  # noqa: F401  (the estimators' own modules need it)
    except ImportError as exc:
        raise missing_framework("sklearn", "scikit-learn", exc) from exc
    secure = path.suffix.lower() == ".skops"
    # model.path a folder ships whole: the pickle's own modules (a FunctionTransformer's function)
    # import from it, as a custom predictor's helpers do
    own = settings.model_dir if settings.model_file is None else None
    est = _load_skops(path) if secure else _load_pickle(path, own)
    package = type(est).__module__.split(".")[0]
    if package == "lightgbm":  # LGBMClassifier / LGBMRegressor
        from lambdaserve.runtime.loaders import lightgbm

        return lightgbm.from_estimator(est, settings)  # type: ignore[return-value]
    if package == "catboost":  # CatBoostClassifier / CatBoostRegressor
        from lambdaserve.runtime.loaders import catboost

        return catboost.from_estimator(est, settings)  # type: ignore[return-value]
    if package == "xgboost":  # XGBClassifier / XGBRegressor trained on category columns
        from lambdaserve.runtime.loaders import xgboost

        if xgboost.has_categories(est):
            return xgboost.from_estimator(est, settings)  # type: ignore[return-value]
    if not callable(getattr(est, "predict", None)):
        raise ModelLoadError(f"{path.name} holds a {type(est).__name__}, which has no predict method",
                             hint="Save the fitted estimator or Pipeline itself, not a dict or tuple "
                                  "around it; or use a custom predictor.")
    return SklearnModel(est, merge_signature(_signature(est), settings.signature), secure)
