"""Gradient-boosted trees to ONNX with onnxmltools: LightGBM (a Booster from model.txt, or a pickled
LGBMClassifier/LGBMRegressor) and XGBoost (a Booster from .json/.ubj; matrix input).

Classifiers give "label" and a "probabilities" tensor (no ZipMap); a regressor's (n, 1) answer
is reshaped to (n,) "prediction", as for scikit-learn. A table of numeric columns gets one
[rows, 1] input per column, joined by a Concat in front of the trees, so requests name the same
columns as for the native model. Category columns are refused: LightGBM's ONNX trees take the
category codes, and mapping strings to LightGBM's codes is not in the graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from lambdaserve.convert.sklearn_onnx import bool_classes, bool_labels, flat_prediction
from lambdaserve.errors import ConvertError, pip_install_extra
from lambdaserve.runtime.signature import Signature

TARGET_OPSET = 15  # the highest onnxmltools' tree converters support
_FEATURES = "lambdaserve_features"

Framework = Literal["LightGBM", "XGBoost"]
# Why --float64 cannot hold: each computes its trees' thresholds in float32.
_FLOAT32 = {"LightGBM": "LightGBM's ONNX trees compare float32 values",
            "XGBoost": "XGBoost computes in float32"}


def _onnxmltools(framework: Framework, *, float64: bool) -> tuple[Callable[..., Any], Any]:
    """onnxmltools' converter for the framework and its FloatTensorType, or a ConvertError saying how
    to install them (or why --float64 is refused)."""
    try:
        from onnxmltools import convert_lightgbm, convert_xgboost
        from onnxmltools.convert.common.data_types import FloatTensorType
    except ImportError as exc:
        raise ConvertError(f"converting {framework} models needs onnxmltools and onnx",
                           hint=f"{pip_install_extra('examples')} (skl2onnx, onnxmltools, onnx).") from exc
    if float64:
        raise ConvertError(f"{_FLOAT32[framework]}; --float64 is for scikit-learn",
                           hint="Convert without --float64.")
    return (convert_lightgbm if framework == "LightGBM" else convert_xgboost), FloatTensorType


def _cannot(framework: Framework, exc: Exception) -> ConvertError:
    """onnxmltools' own failure (RuntimeError, NotImplementedError, ...) in one line, with the way out."""
    why = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    return ConvertError(f"onnxmltools cannot convert this {framework} model: {why}",
                        hint="Keep the native model (it still builds).")


def to_onnx(native: Any, signature: Signature, *, float64: bool = False) -> bytes:
    """The native model (a runtime LightGBMModel) as a serialized ONNX model."""
    convert_lightgbm, FloatTensorType = _onnxmltools("LightGBM", float64=float64)
    columns = signature.columns
    text = [c.name for c in columns if c.dtype in ("string", "bool")]
    if text:
        raise ConvertError(f"LightGBM models with category columns ({', '.join(text)}) are not converted: "
                           "its ONNX trees take LightGBM's category codes, not the strings",
                           hint="Keep the native model (it builds a zip with its libgomp), or encode the "
                                "categories before LightGBM and convert that pipeline.")
    width = len(columns) if columns else signature.n_features
    if width is None:
        raise ConvertError("the model's signature does not say how many features a row has",
                           hint="Declare the input's shape in [signature] of lambdaserve.toml.")
    model = native.estimator if native.estimator is not None else native.booster
    booleans = native.estimator is not None and bool_classes(signature.classes)
    if booleans:  # onnxmltools cannot write bool classes: give it their integer values, cast back below
        import copy

        import numpy as np

        model = copy.copy(model)
        model._classes = np.asarray(signature.classes, dtype=np.int64)
    try:
        onx = convert_lightgbm(model, initial_types=[(_FEATURES if columns else signature.inputs[0].name,
                                                      FloatTensorType([None, width]))],
                               zipmap=False, target_opset=TARGET_OPSET)
    except Exception as exc:  # onnxmltools raises RuntimeError, NotImplementedError, ...
        raise _cannot("LightGBM", exc) from exc
    if columns:
        _column_inputs(onx, [c.name for c in columns])
    _batch_label(onx)
    if signature.classes is None:
        onx = flat_prediction(onx)
    elif booleans:
        bool_labels(onx)
    return bytes(onx.SerializeToString())


XGBOOST_OBJECTIVES = ("binary:logistic", "multi:softprob", "reg:squarederror", "reg:logistic")


def xgboost_to_onnx(native: Any, signature: Signature, *, float64: bool = False) -> bytes:
    """An XGBoost Booster (a runtime XGBoostModel) as a serialized ONNX model; XGBoost computes in
    float32 itself, so the ONNX trees compare the same values."""
    convert_xgboost, FloatTensorType = _onnxmltools("XGBoost", float64=float64)
    if native.objective not in XGBOOST_OBJECTIVES:  # labels-only objectives answer differently in ONNX
        raise ConvertError(f"XGBoost objective {native.objective!r} is not converted (converted: "
                           f"{', '.join(XGBOOST_OBJECTIVES)})",
                           hint="Keep the native model (it still builds).")
    categorical = [c.name for c in signature.columns if c.categories is not None or c.dtype == "string"]
    if categorical:
        raise ConvertError(f"XGBoost models with category columns ({', '.join(categorical)}) are not "
                           "converted: its ONNX trees take numbers, not XGBoost's category splits",
                           hint="Keep the native model (it builds a zip with pandas), or encode the "
                                "categories before XGBoost and convert that pipeline.")
    width = signature.n_features
    if width is None:
        raise ConvertError("the model's signature does not say how many features a row has",
                           hint="Declare the input's shape in [signature] of lambdaserve.toml.")
    try:
        booster = native.booster.copy()
        booster.feature_names = None  # onnxmltools reads the trees' features as f<index> only
        onx = convert_xgboost(booster, initial_types=[(signature.inputs[0].name,
                                                              FloatTensorType([None, width]))],
                              target_opset=TARGET_OPSET)
    except Exception as exc:
        raise _cannot("XGBoost", exc) from exc
    _batch_label(onx)
    if signature.classes is None:
        onx = flat_prediction(onx)
    return bytes(onx.SerializeToString())


def _column_inputs(model: Any, names: list[str]) -> None:
    """One float [rows, 1] input per column, concatenated into the trees' [rows, n] input."""
    from onnx import TensorProto, helper

    graph = model.graph
    del graph.input[:]
    graph.input.extend(helper.make_tensor_value_info(n, TensorProto.FLOAT, [None, 1]) for n in names)
    graph.node.insert(0, helper.make_node("Concat", names, [_FEATURES], axis=1))


def _batch_label(model: Any) -> None:
    """onnxmltools declares a classifier's label as shape [1]; it is one per row."""
    for output in model.graph.output:
        dims = output.type.tensor_type.shape.dim
        if output.name == "label" and len(dims) == 1 and dims[0].dim_value == 1:
            dims[0].ClearField("dim_value")
            dims[0].dim_param = "N"
