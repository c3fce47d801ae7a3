"""Check rows against the model's signature in pure Python, with messages a client can act on.

A message names the row and the column (or the index inside the row) and what the model
expects, e.g. "row 2 has 3 features; the model expects 4". Python type names never appear.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain
from typing import Any

from lambdaserve.errors import RequestError
from lambdaserve.runtime.ranges import ANY_INT, all_in_range, number_text, out_of_range
from lambdaserve.runtime.signature import Signature, TensorSpec

MAX_DEPTH = 32  # nesting cap when the signature does not give a rank


def shown(value: Any) -> str:
    """A value as the client wrote it, short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return str(value)


def kind_of(dtype: str) -> str:
    if dtype.startswith("float"):
        return "number"
    if dtype.startswith(("int", "uint")):
        return "integer"
    if dtype == "bool":
        return "boolean"
    if dtype == "string":
        return "string"
    return "any"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _bad(message: str, hint: str = "") -> RequestError:
    return RequestError(message, hint=hint or "Check the rows against GET /metadata (the model's signature).")


class RowChecker:
    """Checks and converts the rows of one input. ``label`` names the input when there are several."""

    def __init__(
        self, spec: TensorSpec | None, feature_names: Sequence[str] | None = None, label: str = ""
    ) -> None:
        self.spec = spec
        self.dims: tuple[int | None, ...] | None = spec.row_shape if spec is not None else None
        self.kind = kind_of(spec.dtype) if spec is not None else "any"
        self.dtype = spec.dtype if spec is not None else ""
        # null is a missing value only where the model scores NaN itself, and only floats hold NaN
        self.nullable = spec is not None and spec.nullable and self.kind == "number"
        self.features = (
            tuple(feature_names) if feature_names and self.dims in ((len(feature_names),), (None,)) else None
        )
        self.prefix = f"input {label!r}, " if label else ""
        self._first_shape: list[int] | None = None
        # what one request's rows look like, for the hints: a text model takes one string per row
        one = '"..."' if self.dtype == "string" else "..."
        self.rows_shown = f"[{one}, {one}]" if self.dims == () else "[[...], [...]]"

    def where(self, row: int, path: Sequence[int]) -> str:
        if not path:
            return f"{self.prefix}row {row}"
        if len(path) == 1 and self.dims is not None and len(self.dims) == 1:
            return f"{self.prefix}row {row}, column {path[0]}"
        return f"{self.prefix}row {row} at " + "".join(f"[{i}]" for i in path)

    def check_rows(self, rows: Any) -> list[Any]:
        if not isinstance(rows, list):
            raise _bad(
                f"{self.prefix}the rows must be a list, not {shown(rows)}",
                hint=f'Send {{"data": {self.rows_shown}}}: a list of rows.',
            )
        if not rows:
            raise _bad(
                f"{self.prefix}the list of rows is empty; send at least one row",
                hint=f'Send {{"data": {self.rows_shown}}} with one row per prediction.',
            )
        if self._fast_ok(rows):
            return rows
        return [self.check_row(i, row) for i, row in enumerate(rows)]

    def _fast_ok(self, rows: list[Any]) -> bool:
        """True when every row already fits (the common case), checked without building messages.

        Numbers only; anything else, or any doubt, goes through the slow path that says what is wrong.
        """
        if self.dims is None or self.kind not in ("number", "integer"):
            return False
        level: list[Any] = rows
        for want in self.dims:  # C-speed passes over each nesting level
            if not level or set(map(type, level)) != {list}:
                return False
            widths = set(map(len, level))
            if len(widths) != 1 or (want is not None and widths != {want}):
                return False
            level = list(chain.from_iterable(level))
        return all_in_range(level, self.dtype)

    def check_row(self, i: int, row: Any) -> Any:
        if isinstance(row, dict):
            row = self._from_names(i, row)
        if self.dims is None:
            return self._any(i, row, [], 0)
        if self.dims and not isinstance(row, list):
            n = self.dims[0]
            width = f"a row of {n} features" if len(self.dims) == 1 and n is not None else "a list"
            raise _bad(
                f"{self.where(i, [])} is {shown(row)}; the model expects {width}",
                hint='Wrap each row in a list: {"data": [[...], [...]]}.',
            )
        shape: list[int] = []
        value = self._walk(i, row, [], 0, shape)
        if self._first_shape is None:
            self._first_shape = shape
        elif shape != self._first_shape:
            raise _bad(
                f"{self.where(i, [])} has shape {shape}; row 0 has {self._first_shape} "
                "(every row must have the same shape)"
            )
        return value

    def _from_names(self, i: int, row: dict[str, Any]) -> list[Any]:
        if self.features is None:
            text = self.dims == () and self.dtype == "string"
            raise _bad(
                f"{self.where(i, [])} is an object, but the model has no feature names",
                hint=f'Send {{"data": {self.rows_shown}}}: one string per row.' if text
                else "Send each row as a list of values in the training column order.",
            )
        missing = [f for f in self.features if f not in row]
        if missing:
            raise _bad(
                f"{self.where(i, [])} is missing feature {missing[0]!r}",
                hint="Features: " + ", ".join(self.features[:20]),
            )
        extra = [k for k in row if k not in self.features]
        if extra:
            raise _bad(
                f"{self.where(i, [])} has unknown feature {shown(extra[0])}",
                hint="Features: " + ", ".join(self.features[:20]),
            )
        return [row[f] for f in self.features]

    def _walk(self, i: int, value: Any, path: list[int], level: int, shape: list[int]) -> Any:
        assert self.dims is not None
        if level == len(self.dims):
            return self.scalar(value, lambda: self.where(i, path))
        if not isinstance(value, list):
            raise _bad(
                f"{self.where(i, path)}: {shown(value)} where a list belongs "
                f"(the model expects {len(self.dims)} nested levels per row)"
            )
        want = self.dims[level]
        if want is not None and len(value) != want:
            if level == 0 and len(self.dims) == 1:
                count = _count(len(value), "feature")
                raise _bad(f"{self.where(i, [])} has {count}; the model expects {want}")
            raise _bad(f"{self.where(i, path)} has {len(value)} values; the model expects {want}")
        if len(shape) == level:
            shape.append(len(value))
        elif shape[level] != len(value):
            raise _bad(
                f"{self.where(i, path)} has {len(value)} values; its neighbours have {shape[level]} "
                "(ragged rows)"
            )
        return [self._walk(i, v, [*path, j], level + 1, shape) for j, v in enumerate(value)]

    def _any(self, i: int, value: Any, path: list[int], level: int) -> Any:
        # No signature: any nesting of finite numbers, booleans and strings, up to MAX_DEPTH.
        if level > MAX_DEPTH:
            raise _bad(f"{self.where(i, [])} is nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, list):
            return [self._any(i, v, [*path, j], level + 1) for j, v in enumerate(value)]
        if isinstance(value, dict):
            raise _bad(f"{self.where(i, path)}: an object where a value belongs")
        if isinstance(value, float) and not math.isfinite(value):
            raise _bad(
                f"{self.where(i, path)}: {shown(value)} is not a finite number",
                hint="JSON numbers must be finite; drop or impute missing values before sending.",
            )
        if value is None:
            raise _bad(f"{self.where(i, path)}: null is not a value")
        if isinstance(value, int) and not isinstance(value, bool) and not ANY_INT[0] <= value <= ANY_INT[1]:
            # numpy holds no wider integer; past 64 bits it would fail inside the model
            raise _bad(
                f"{self.where(i, path)}: {shown(value)} does not fit in 64 bits",
                hint="Send very large numbers as JSON floats (e.g. 1e30).",
            )
        return value

    def scalar(self, value: Any, where: Any) -> Any:
        """Check one value against the input's dtype; ``where`` builds the location lazily."""
        kind = self.kind
        if kind in ("number", "integer"):
            if value is None and self.nullable:
                return math.nan
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _bad(f"{where()}: {shown(value)} is not a number")
            if isinstance(value, float):
                if not math.isfinite(value):
                    raise _bad(
                        f"{where()}: {shown(value)} is not a finite number",
                        hint="JSON numbers must be finite; drop or impute missing values first.",
                    )
                if kind == "integer":
                    if not value.is_integer():
                        raise _bad(f"{where()}: {shown(value)} is not an integer")
                    value = int(value)
            problem = out_of_range(value, self.dtype)
            if problem:
                raise _bad(
                    f"{where()}: {problem}",
                    hint="The model's input type cannot hold this number; check the units or the scaling.",
                )
            return value
        if kind == "boolean" and not isinstance(value, bool):
            raise _bad(f"{where()}: {shown(value)} is not true or false")
        if kind == "string" and not isinstance(value, str):
            raise _bad(f"{where()}: {shown(value)} is not a string")
        return value


def checkers(signature: Signature) -> dict[str, RowChecker]:
    """One checker per input; a model without declared inputs gets one free-form input."""
    if not signature.inputs:
        return {DEFAULT_INPUT: RowChecker(None)}
    several = len(signature.inputs) > 1
    return {
        spec.name: RowChecker(
            spec, None if several else signature.feature_names, spec.name if several else ""
        )
        for spec in signature.inputs
    }


DEFAULT_INPUT = "input"  # the input's name when the signature declares none
