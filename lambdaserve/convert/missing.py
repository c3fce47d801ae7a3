"""A request's null (a missing number) carried through conversion only where the graph scores it as the
original does.

The native loaders mark an input nullable when the model scores NaN itself (XGBoost, LightGBM, a
scikit-learn estimator whose tags allow NaN). An ONNX graph's input has no such fact, so a converted
model refused null. Here the original and the graph both answer rows with NaN in them; when they agree
within the tolerance, the graph records the inputs in its metadata (``NULLABLE_INPUTS_KEY``, read by
runtime/loaders/onnx.py) and null is served; when they do not, null stays refused and the reason is
returned for convert to say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambdaserve.convert.tolerance import Tolerance, compare
from lambdaserve.runtime.loaders.onnx import NULLABLE_INPUTS_KEY
from lambdaserve.runtime.signature import Signature

NULL_EVERY = 3  # one value in three of the checked rows is null, each feature in turn


@dataclass(frozen=True)
class NullCheck:
    """The nullable inputs the check was about, and whether the graph answered them alike."""

    inputs: tuple[str, ...] = ()
    rows: int = 0
    problems: tuple[str, ...] = ()

    @property
    def carried(self) -> bool:
        return bool(self.inputs) and not self.problems

    def describe(self) -> str:
        """One line for the user; empty when no input takes null."""
        if not self.inputs:
            return ""
        names = ", ".join(self.inputs)
        if self.carried:
            return (f"null (missing) in {names}: allowed, the ONNX graph answered {self.rows} rows "
                    "holding NaN as the original")
        return (f"null (missing) in {names}: refused by the ONNX model, which answers NaN differently "
                f"from the original ({'; '.join(self.problems)}); send numbers, or deploy the original")


def nullable_inputs(signature: Signature) -> tuple[str, ...]:
    """The tensor inputs (not a table's columns, which the config declares) that take null, row by row."""
    if signature.columns:
        return ()
    return tuple(s.name for s in signature.inputs if s.nullable and len(s.row_shape) == 1)


def with_nulls(rows: dict[str, list[Any]], names: tuple[str, ...]) -> dict[str, list[Any]]:
    """``rows`` with null in every NULL_EVERY-th value of each named input (shifted by one per row, so
    every feature is missing somewhere), and one row of nulls only."""
    out = dict(rows)
    for name in names:
        nulled = [[None if (i + j) % NULL_EVERY == 0 else v for j, v in enumerate(row)]
                  for i, row in enumerate(rows[name])]
        out[name] = [*nulled, [None] * len(rows[name][0])]
    for name in set(rows) - set(names):  # other inputs repeat their first row for the extra one
        out[name] = [*rows[name], rows[name][0]]
    return out


def check_nulls(native: Any, converted: Any, rows: dict[str, list[Any]], *, probabilities: bool,
                tolerance: Tolerance) -> NullCheck:
    """Whether the converted model answers rows holding null (NaN) as the original does."""
    names = nullable_inputs(native.signature)
    if not names or not rows or not all(rows[n] and isinstance(rows[n][0], list) for n in names):
        return NullCheck()
    nulled = with_nulls(rows, names)
    count = len(next(iter(nulled.values())))
    want = native.predict(nulled, probabilities=probabilities)
    try:
        got = converted.predict(nulled, probabilities=probabilities)
    except Exception as exc:  # onnxruntime refusing NaN is an answer too: null stays refused
        return NullCheck(names, count, (f"onnxruntime: {type(exc).__name__}: {str(exc)[:200]}",))
    return NullCheck(names, count, tuple(compare(want, got, tolerance)))


def mark_nullable(onnx_bytes: bytes, names: tuple[str, ...]) -> bytes:
    """The graph with the inputs whose NaN it scores as the original recorded in its metadata."""
    import onnx

    model = onnx.load_from_string(onnx_bytes)
    entry = model.metadata_props.add()
    entry.key, entry.value = NULLABLE_INPUTS_KEY, ",".join(names)
    return bytes(model.SerializeToString())
