"""ONNX models through onnxruntime.

The signature is the graph's: every input and output with its dtype and shape (symbolic
dimensions become None). Classifiers converted by skl2onnx name their outputs
output_label and output_probability; those become "label" and "probabilities", and the
probabilities are computed only when asked. ZipMap's list of {class: probability} dicts
is turned into an array, one column per class. A folder with tokenizer.json beside the graph
is a text model (onnx_text.py): it takes strings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdaserve.errors import ModelLoadError, RequestError
from lambdaserve.runtime.loaders.base import (
    as_array,
    load_failed,
    merge_signature,
    missing_framework,
    model_file,
    numpy_version,
)
from lambdaserve.runtime.record import replace
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import Signature, TensorSpec
from lambdaserve.runtime.threads import available_cpus

if TYPE_CHECKING:  # imported by load for a text model only: every other ONNX cold start skips it
    from lambdaserve.runtime.loaders.onnx_text import TextOnnxModel

SUFFIXES = (".onnx",)
TOKENIZER_FILE = "tokenizer.json"  # beside the graph: a text model (onnx_text.py)
_DTYPES = {
    "tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
    "tensor(int8)": "int8", "tensor(int16)": "int16", "tensor(int32)": "int32",
    "tensor(int64)": "int64", "tensor(uint8)": "uint8", "tensor(bool)": "bool",
    "tensor(string)": "string",
}
# skl2onnx's names for a classifier's outputs, and ours.
_RENAME = {"output_label": "label", "output_probability": "probabilities"}
# A graph made by `convert` from a pipeline that handles null strings says, in its metadata, which
# string stands for null there (convert/sklearn_nulls.py); clients may not send that string.
NULL_STRING_KEY = "lambdaserve.null_string"
NULL_STRING = "\x00null"
# A graph made by `convert` from a model that scores NaN itself names the inputs where it was checked
# to answer NaN as the original (convert/missing.py): a request's null is served there, as NaN.
NULLABLE_INPUTS_KEY = "lambdaserve.nullable_inputs"


def _shape(node: Any) -> tuple[int | None, ...]:
    dims = node.shape if isinstance(node.shape, list) else []
    return tuple(d if isinstance(d, int) and d >= 0 else None for d in dims) or (None,)


def _spec(node: Any, name: str) -> TensorSpec:
    dtype = _DTYPES.get(node.type)
    if dtype is None and node.type.startswith("seq(map("):  # ZipMap: one dict per row
        return TensorSpec(name, "float32", (None, None))
    if dtype is None:
        raise ModelLoadError(f"the ONNX graph's {name!r} has type {node.type}, which lambdaserve "
                             "cannot pass as JSON", hint="Export the model with plain tensor inputs "
                                                         "and outputs, or use a custom predictor.")
    return TensorSpec(name, dtype, _shape(node))


def _signature(session: Any) -> Signature:
    meta = session.get_modelmeta().custom_metadata_map.get(NULLABLE_INPUTS_KEY, "")
    nullable = set(meta.split(",")) if meta else set()
    inputs = tuple(_nullable(_spec(node, node.name), nullable) for node in session.get_inputs())
    outputs = tuple(_spec(node, _RENAME.get(node.name, node.name)) for node in session.get_outputs())
    names = {spec.name for spec in outputs}
    return Signature(inputs=inputs, outputs=outputs, has_proba={"label", "probabilities"} <= names)


def _nullable(spec: TensorSpec, names: set[str]) -> TensorSpec:
    return replace(spec, nullable=True) if spec.name in names and spec.dtype.startswith("float") else spec


def _table(own: Signature, declared: Signature, null_string: str | None) -> Signature:
    """Declared columns for a graph with one [rows, 1] input per column (skl2onnx's named inputs)."""
    graph = {spec.name: spec for spec in own.inputs}
    names = {c.name for c in declared.columns}
    if names != set(graph) or any(spec.row_shape not in ((1,), (None,), ()) for spec in graph.values()):
        raise ModelLoadError(
            f"lambdaserve.toml declares columns {sorted(names)}, but the ONNX graph takes "
            + ", ".join(f"{s.name} {list(s.shape)}" for s in own.inputs),
            hint="A table's ONNX graph takes one [rows, 1] input per column, named as the column.")
    # An ONNX string tensor has no null: "" would be scored as a category the model never saw, so a
    # string column of the graph cannot be missing (a request's null is a 400 naming the column),
    # unless the graph names the string its steps read as null.
    columns = tuple(replace(c, nullable=False) if c.dtype == "string" and null_string is None else c
                    for c in declared.columns)
    return replace(own, inputs=tuple(c.tensor for c in columns), columns=columns, source="config")


def _column_feed(values: list[Any], spec: TensorSpec, null_string: str | None) -> Any:
    import numpy as np

    if spec.dtype == "string":
        if null_string is not None:
            if null_string in values:
                raise RequestError(f"column {spec.name!r}: {null_string!r} is the converted model's own "
                                   "marker for null", hint="Send null for a missing value.")
            values = [null_string if v is None else v for v in values]
        elif any(v is None for v in values):  # _table made the column required; a direct call is refused
            raise RequestError(f"column {spec.name!r}: null, but the ONNX graph's string input has no "
                               "missing value", hint="Send a string in every row.")
        array = np.asarray(values, dtype=object)
    else:
        array = np.asarray([np.nan if v is None else v for v in values], dtype=spec.dtype)
    return array.reshape((-1, *(1 for _ in spec.row_shape)))


def _rows_of_dicts(value: Any) -> Any:
    """ZipMap's [{class: p, ...}, ...] as a (rows, classes) array, classes in the map's order."""
    import numpy as np

    if not isinstance(value, list) or not value or not isinstance(value[0], dict):
        return value
    keys = list(value[0])
    return np.asarray([[row[k] for k in keys] for row in value], dtype=np.float32)


class OnnxModel:
    framework = "onnx"

    def __init__(self, session: Any, signature: Signature, null_string: str | None = None) -> None:
        self.session = session
        self.signature = signature
        self._null_string = null_string
        self._graph_inputs = {node.name: _spec(node, node.name) for node in session.get_inputs()}
        self._graph_names = {_RENAME.get(o.name, o.name): o.name for o in session.get_outputs()}
        # Probabilities are on request only beside a label; a graph whose answer is a
        # probabilities tensor alone (an exported torch softmax) always gives it.
        optional = {"probabilities"} if signature.has_proba else set()
        self._plain = [name for name in self._graph_names if name not in optional]

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        if probabilities and not self.signature.has_proba:
            raise RequestError("this model does not give probabilities",
                               hint="Ask without probabilities; the ONNX graph has no probability output.")
        if self.signature.columns:  # the graph's own dtype and [rows, 1] shape per column
            feeds = {name: _column_feed(inputs[name], spec, self._null_string)
                     for name, spec in self._graph_inputs.items()}
        else:
            feeds = {spec.name: as_array(inputs[spec.name], spec.dtype) for spec in self.signature.inputs}
        wanted = list(self._graph_names) if probabilities else self._plain
        results = self.session.run([self._graph_names[name] for name in wanted], feeds)
        return {name: _rows_of_dicts(value) for name, value in zip(wanted, results, strict=True)}

    def versions(self) -> dict[str, str]:
        import onnxruntime

        return {"onnxruntime": onnxruntime.__version__, **numpy_version()}

# imported at the handler's top level (see loaders.import_framework)
IMPORTS = ("numpy", "onnxruntime")


def _session(ort: Any, path: Path) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = available_cpus()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Spinning threads burn the function's CPU share between requests.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise load_failed("onnxruntime", path, exc, "The file is damaged, not ONNX, or uses an opset "
                                                    "or operator this onnxruntime lacks; re-export it "
                                                    "or pin a newer onnxruntime.") from exc


def is_text_model(folder: Path) -> bool:
    return folder.is_dir() and (folder / TOKENIZER_FILE).is_file()


def load(settings: RuntimeSettings) -> OnnxModel | TextOnnxModel:
    path = model_file(settings.model_path, SUFFIXES, "onnx")
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise missing_framework("onnx", "onnxruntime", exc) from exc
    session = _session(ort, path)
    declared = settings.signature
    if is_text_model(path.parent):
        from lambdaserve.runtime.loaders import onnx_text

        if declared is not None and [spec.name for spec in declared.inputs] != [onnx_text.INPUT]:
            raise ModelLoadError(f"{path.parent} holds a text model (tokenizer.json), which takes one "
                                 f"input, {onnx_text.INPUT!r}; lambdaserve.toml declares another [signature]",
                                 hint="Delete [signature]: the tokenizer and the graph define it.")
        return onnx_text.load(session, path.parent)
    own = _signature(session)
    if declared is not None and declared.columns:
        null_string = session.get_modelmeta().custom_metadata_map.get(NULL_STRING_KEY)
        return OnnxModel(session, _table(own, declared, null_string), null_string)
    if declared is not None:
        graph = {spec.name for spec in own.inputs}
        if {spec.name for spec in declared.inputs} != graph:
            raise ModelLoadError(
                f"lambdaserve.toml declares inputs {sorted(s.name for s in declared.inputs)}, but the "
                f"ONNX graph takes {sorted(graph)}",
                hint="Use the graph's input names in [signature], or delete [signature].")
        by_name = {spec.name: spec for spec in declared.inputs}
        declared = Signature(inputs=tuple(by_name[spec.name] for spec in own.inputs),
                             outputs=declared.outputs, source=declared.source)
    return OnnxModel(session, merge_signature(own, declared))
