"""scikit-learn to ONNX with skl2onnx.

Classifiers give ``output_label`` and an ``output_probability`` tensor (no ZipMap), which the
runtime's ONNX loader serves as "label" and "probabilities", as the scikit-learn loader does.
Booleans are not an ONNX label type: the converters answer a bool classifier's labels as int64
0/1, so a Cast to bool is appended and the function answers true/false like the native model.
A regressor's (n, 1) output is reshaped to (n,) and named "prediction", so clients see the
same answer either way.
"""

from __future__ import annotations

from typing import Any

from lambdaserve.errors import ConvertError, pip_install_extra
from lambdaserve.runtime.signature import Signature

TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
PITFALLS = ("Known skl2onnx pitfalls: trees compare float32 values, so a float64 step before them "
            "(a scaler) rounds differently: put skl2onnx.sklapi.CastTransformer() before the trees, "
            "or convert with --float64. HistGradientBoosting and SVC(probability=True) scores may "
            "differ slightly: loosen --atol/--rtol only if that is acceptable.")


def _refuse(estimator: Any, exc: Exception) -> ConvertError:
    kind = type(estimator).__name__
    why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    why = why if len(why) <= 200 else why[:200] + "..."  # some quote whole attribute arrays
    return ConvertError(
        f"skl2onnx cannot convert this {kind}: {why}",
        hint="Keep the native model (it still builds), replace the unsupported step with one "
             "skl2onnx supports (https://onnx.ai/sklearn-onnx/supported.html), or register a "
             "custom converter and export the .onnx yourself (framework = \"onnx\").")


def to_onnx(estimator: Any, signature: Signature, *, float64: bool = False) -> bytes:
    """The estimator as a serialized ONNX model whose input is the signature's one input."""
    try:
        from skl2onnx import convert_sklearn
        from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
    except ImportError as exc:
        raise ConvertError("converting scikit-learn models needs skl2onnx and onnx",
                           hint=f"{pip_install_extra('examples')} (skl2onnx, onnx).") from exc
    tensor = DoubleTensorType if float64 else FloatTensorType
    if signature.columns:
        initial = _column_types(signature, tensor)
    else:
        width = signature.n_features
        if width is None:
            raise ConvertError("the model's signature does not say how many features a row has",
                               hint="Declare the input's shape in [signature] of lambdaserve.toml.")
        initial = [(signature.inputs[0].name, tensor([None, width]))]
    nulls = null_string_columns(signature)
    if nulls:  # the copy names NULL_STRING where the pipeline names NaN; the check runs rows with nulls
        from lambdaserve.convert.sklearn_nulls import with_null_string

        estimator, _ = with_null_string(estimator)
    options: dict[Any, Any] = {}
    if signature.classes is not None:
        options = {"zipmap": False}  # a plain probability tensor, not a list of dicts
    try:
        onx = convert_sklearn(estimator, initial_types=initial,
                              options={id(estimator): options} if options else None,
                              target_opset=TARGET_OPSET)
    except Exception as exc:  # skl2onnx raises RuntimeError, NotImplementedError, MissingShapeCalculator...
        raise _refuse(estimator, exc) from exc
    if signature.classes is None:
        onx = flat_prediction(onx)
    elif bool_classes(signature.classes):
        bool_labels(onx)
    if nulls:
        from lambdaserve.convert.sklearn_nulls import mark_graph

        mark_graph(onx)
    return bytes(onx.SerializeToString())


def null_string_columns(signature: Signature) -> list[str]:
    """The string columns a request may leave null."""
    return [c.name for c in signature.columns if c.dtype == "string" and c.nullable]


def bool_classes(classes: Any) -> bool:
    """A classifier trained on True/False (numpy's bool_ included) labels."""
    import numpy as np

    return classes is not None and len(classes) > 0 and all(isinstance(c, bool | np.bool_) for c in classes)


def bool_labels(model: Any) -> None:
    """The int64 label output (0/1: the converters write False/True classes as their integer values)
    cast to a bool tensor of the same name."""
    from onnx import TensorProto, helper

    graph = model.graph
    label = next((o for o in graph.output if o.name in ("label", "output_label")), None)
    if label is None or label.type.tensor_type.elem_type == TensorProto.BOOL:
        return
    if label.type.tensor_type.elem_type != TensorProto.INT64:
        raise ConvertError(f"the converted graph's labels are ONNX type {label.type.tensor_type.elem_type}, "
                           "not int64, for a classifier trained on True/False",
                           hint="Train on 0/1 labels to convert it, or keep the native model.")
    raw = f"{label.name}_lambdaserve_int"
    for node in graph.node:
        node.output[:] = [raw if out == label.name else out for out in node.output]
    graph.node.append(helper.make_node("Cast", [raw], [label.name], to=TensorProto.BOOL))
    label.type.tensor_type.elem_type = TensorProto.BOOL


def _column_types(signature: Signature, number: Any) -> list[tuple[str, Any]]:
    """One named [rows, 1] input per column, as a ColumnTransformer on named columns picks them."""
    from skl2onnx.common.data_types import BooleanTensorType, StringTensorType

    kinds = {"string": StringTensorType, "bool": BooleanTensorType}
    # integers go in as the float type: the scalers and trees after them compute in floats anyway
    return [(c.name, kinds.get(c.dtype, number)([None, 1])) for c in signature.columns]


def flat_prediction(model: Any) -> Any:
    """Append Reshape(-1) so a single-target regressor answers (n,), named "prediction"."""
    import numpy as np
    from onnx import helper, numpy_helper

    graph = model.graph
    if len(graph.output) != 1:
        return model
    output = graph.output[0]
    dims = output.type.tensor_type.shape.dim
    if len(dims) != 2 or dims[1].dim_value != 1:
        return model  # several targets: (n, k) is what scikit-learn answers too
    raw = output.name
    graph.initializer.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), "lambdaserve_flat"))
    graph.node.append(helper.make_node("Reshape", [raw, "lambdaserve_flat"], ["prediction"]))
    elem = output.type.tensor_type.elem_type
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("prediction", elem, [None]))
    return model
