"""What a model takes and returns, derived from the model where it can be.

A ``None`` dimension is dynamic (the batch, usually). Dtypes use the Open
Inference Protocol's names in lower case: fp32 is "float32" and so on.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from lambdaserve.runtime.record import field, frozen_record

DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64",
          "uint8", "uint16", "uint32", "uint64", "bool", "string")

# Open Inference Protocol v2 datatype names, for requests and answers.
OIP_DATATYPES = {
    "float16": "FP16", "float32": "FP32", "float64": "FP64", "int8": "INT8",
    "int16": "INT16", "int32": "INT32", "int64": "INT64", "uint8": "UINT8",
    "uint16": "UINT16", "uint32": "UINT32", "uint64": "UINT64", "bool": "BOOL", "string": "BYTES",
}

# What the model does with a value outside a column's training categories: refuses it (a scikit-learn
# encoder with handle_unknown="error", XGBoost), or scores it as a missing value (LightGBM,
# HistGradientBoosting).
UnknownCategory = Literal["refuse", "missing"]
UNKNOWN_CATEGORY: tuple[UnknownCategory, ...] = ("refuse", "missing")


# Every dataclass here has a docstring: without one, dataclass builds it from inspect.signature,
# at import, inside the function's cold start.
@frozen_record
class TensorSpec:
    """One input or output tensor: its name, dtype and shape (None: a dynamic dimension).

    ``nullable``: as a column's, null is allowed and reaches the model as a missing value (NaN):
    set where the model scores NaN itself (XGBoost, LightGBM, a scikit-learn estimator whose tags
    allow NaN), for float dtypes only, since JSON has no NaN and null is how a client says missing.
    """

    name: str
    dtype: str = "float32"
    shape: tuple[int | None, ...] = (None,)
    nullable: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}
        if self.nullable:
            out["nullable"] = True
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TensorSpec:
        shape = tuple(None if d is None or d == -1 else int(d) for d in raw.get("shape", [None]))
        return cls(name=str(raw["name"]), dtype=str(raw.get("dtype", "float32")), shape=shape,
                   nullable=bool(raw.get("nullable", False)))

    @property
    def row_shape(self) -> tuple[int | None, ...]:
        """The shape of one row: the tensor's shape without its batch dimension."""
        return self.shape[1:]


@frozen_record
class ColumnSpec:
    """One named column of a table (a model trained on a DataFrame).

    ``categories``: the values seen in training, in training order; ``None`` accepts any value
    of the dtype. ``unknown``: what the model does with any other value, and so what a request
    gets: "refuse" (a 400 naming the allowed values) or "missing" (scored as a missing value,
    as the model itself scores it). ``nullable``: null is allowed (it reaches the model as a
    missing value), and a record may leave the column out. ``example``: a value from the
    training sample.
    """

    name: str
    dtype: str = "float64"
    nullable: bool = False
    categories: tuple[Any, ...] | None = None
    example: Any = None
    unknown: UnknownCategory = "refuse"

    @property
    def allowed(self) -> tuple[Any, ...] | None:
        """The only values a request may hold (the model refuses others); None: any of the dtype."""
        return self.categories if self.unknown == "refuse" else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "dtype": self.dtype}
        if self.nullable:
            out["nullable"] = True
        if self.categories is not None:
            out["categories"] = list(self.categories)
        if self.unknown != "refuse":  # left out, as signatures written before it say: refuse
            out["unknown"] = self.unknown
        if self.example is not None:
            out["example"] = self.example
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ColumnSpec:
        categories = raw.get("categories")
        return cls(
            name=str(raw["name"]), dtype=str(raw.get("dtype", "float64")),
            nullable=bool(raw.get("nullable", False)),
            categories=tuple(categories) if categories is not None else None,
            example=raw.get("example"),
            # a signature written before "unknown" existed refused every unknown category
            unknown="missing" if raw.get("unknown") == "missing" else "refuse",
        )

    @property
    def tensor(self) -> TensorSpec:
        """The column as an Open Inference Protocol input: one value per row."""
        return TensorSpec(self.name, self.dtype, (None,))


@frozen_record
class Signature:
    """What the model takes (inputs, or a table's columns) and gives (outputs), and where that came from."""

    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...] = ()
    feature_names: tuple[str, ...] | None = None
    classes: tuple[Any, ...] | None = None
    has_proba: bool = False
    # "model" when read off the model itself, "config" when the user declared it.
    source: str = "model"
    # extra["no_proba"]: why a model with predict_proba still cannot answer probabilities (the 400 says it)
    extra: dict[str, Any] = field(default_factory=dict)
    # Named columns of mixed types: a request is a table, ``inputs`` holds one tensor per column.
    columns: tuple[ColumnSpec, ...] = ()
    # A multi-output classifier's labels, one tuple per output (its "probabilities_<k>" columns' order)
    output_classes: tuple[tuple[Any, ...], ...] | None = None

    @classmethod
    def table(cls, columns: tuple[ColumnSpec, ...], **rest: Any) -> Signature:
        """A signature whose inputs are the columns, one per-row value each."""
        return cls(inputs=tuple(c.tensor for c in columns), columns=columns, **rest)

    @property
    def n_features(self) -> int | None:
        """Width of a row for single-input tabular models, if known."""
        if len(self.inputs) != 1:
            return None
        row = self.inputs[0].row_shape
        return row[0] if len(row) == 1 else None

    def to_dict(self) -> dict[str, Any]:
        table = {"columns": [c.to_dict() for c in self.columns]} if self.columns else {}
        return {
            **table,
            "inputs": [t.to_dict() for t in self.inputs],
            "outputs": [t.to_dict() for t in self.outputs],
            "feature_names": list(self.feature_names) if self.feature_names else None,
            "classes": list(self.classes) if self.classes is not None else None,
            "has_proba": self.has_proba,
            "source": self.source,
            **({"output_classes": [list(c) for c in self.output_classes]} if self.output_classes else {}),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Signature:
        names = raw.get("feature_names")
        classes = raw.get("classes")
        per_output = raw.get("output_classes")
        columns = tuple(ColumnSpec.from_dict(c) for c in raw.get("columns") or [])
        return cls(
            columns=columns,
            inputs=tuple(c.tensor for c in columns)
            or tuple(TensorSpec.from_dict(t) for t in raw.get("inputs", [])),
            outputs=tuple(TensorSpec.from_dict(t) for t in raw.get("outputs", [])),
            feature_names=tuple(names) if names else None,
            classes=tuple(classes) if classes is not None else None,
            has_proba=bool(raw.get("has_proba", False)),
            output_classes=tuple(tuple(c) for c in per_output) if per_output else None,
            source=str(raw.get("source", "config")),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Signature:
        return cls.from_dict(json.loads(text))


def answer_spec(name: str, value: Any) -> TensorSpec:
    """The output spec of one named answer of a model to a few rows (dtype and per-row shape)."""
    import numpy as np

    array = np.asarray(value)
    dtype = {"f": "float64", "i": "int64", "u": "int64", "b": "bool"}.get(array.dtype.kind, "string")
    return TensorSpec(name, dtype, (None, *array.shape[1:]))
