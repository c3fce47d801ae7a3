"""Requests for models that take a table: named columns of mixed types (Signature.columns).

A request gives the table as records (``[{"city": "Paris", "age": 30}]``), as rows in the
columns' order (``[["Paris", 30]]``), as one list per column (``{"city": [...], "age": [...]}``)
or as Open Inference Protocol tensors, one per column (BYTES for strings). Every form becomes
``{column name: [one value per row]}`` in the signature's column order, each value checked
against its column with a message that names the column and, for categories the model refuses
others of, the allowed values.
"""

from __future__ import annotations

import math
from typing import Any

from lambdaserve.errors import RequestError
from lambdaserve.runtime.ranges import out_of_range
from lambdaserve.runtime.signature import OIP_DATATYPES, ColumnSpec
from lambdaserve.runtime.validation import kind_of, shown

MAX_LISTED = 20  # categories named in a message; the rest are in GET /metadata
_OIP_KINDS = {"BYTES": ("string",), "BOOL": ("boolean",)}
_ZERO = {"number": 0.0, "integer": 0, "boolean": False, "string": ""}


def _bad(message: str, hint: str = "") -> RequestError:
    return RequestError(message, hint=hint or "Check the columns against GET /metadata.")


def _names(columns: tuple[ColumnSpec, ...]) -> str:
    return "Columns: " + ", ".join(f"{c.name} ({describe(c)})" for c in columns[:MAX_LISTED])


def describe(column: ColumnSpec) -> str:
    """The column's type in words: "string, one of 'Lyon', 'Paris'", "integer or null"."""
    text = kind_of(column.dtype)
    if column.categories is not None:
        listed = ", ".join(shown(c) for c in column.categories[:MAX_LISTED])
        extra = len(column.categories) - MAX_LISTED
        more = f" and {extra} more" if extra > 0 else ""
        if column.allowed is not None:
            text += f", one of {listed}{more}"
        else:
            text += f", seen in training: {listed}{more} (any other is scored as missing, as the model does)"
    return text + (" or null" if column.nullable else "")


def check_value(column: ColumnSpec, value: Any, where: str) -> Any:
    """One cell checked against its column; the value the model gets (missing: NaN or None)."""
    at = f"{where}, column {column.name!r}"
    if value is None:
        if column.nullable:
            return None
        raise _bad(f"{at}: null, but this column cannot be missing",
                   hint=f"Send a value: {describe(column)}.")
    kind = kind_of(column.dtype)
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(f"{at}: {shown(value)} is not a number", hint=f"The column is {describe(column)}.")
        if isinstance(value, float) and not math.isfinite(value):
            raise _bad(f"{at}: {shown(value)} is not a finite number",
                       hint="Send null for a missing value where the column allows it.")
        if kind == "integer":
            if isinstance(value, float) and not value.is_integer():
                raise _bad(f"{at}: {shown(value)} is not an integer")
            value = int(value)
        problem = out_of_range(value, column.dtype)
        if problem:
            raise _bad(f"{at}: {problem}", hint="The column's type cannot hold this number.")
    elif kind == "boolean" and not isinstance(value, bool):
        raise _bad(f"{at}: {shown(value)} is not true or false")
    elif kind == "string" and not isinstance(value, str):
        raise _bad(f"{at}: {shown(value)} is not a string", hint=f"The column is {describe(column)}.")
    # Parity with the model: only a model that refuses an unknown category gets it refused here;
    # LightGBM and XGBoost score it as missing (frame.dataframe codes it NaN, as they do).
    allowed = column.allowed
    if allowed is not None and value not in allowed:
        raise _bad(f"{at}: {shown(value)} is not a category the model knows",
                   hint=f"Allowed ({len(allowed)}, seen in training): {describe(column)}.")
    return value


def _record(i: int, row: dict[str, Any], columns: tuple[ColumnSpec, ...]) -> list[Any]:
    known = {c.name for c in columns}
    unknown = [k for k in row if k not in known]
    if unknown:
        raise _bad(f"row {i} has unknown column {shown(unknown[0])}", hint=_names(columns))
    missing = [c.name for c in columns if c.name not in row and not c.nullable]
    if missing:
        raise _bad(f"row {i} is missing column {missing[0]!r}", hint=_names(columns))
    return [row.get(c.name) for c in columns]


def _row(i: int, row: Any, columns: tuple[ColumnSpec, ...]) -> list[Any]:
    if isinstance(row, dict):
        return _record(i, row, columns)
    if not isinstance(row, list):
        raise _bad(f"row {i} is {shown(row)}; the model expects an object keyed by column name, "
                   f"or a list of {len(columns)} values in the columns' order", hint=_names(columns))
    if len(row) != len(columns):
        raise _bad(f"row {i} has {len(row)} values; the model expects {len(columns)} "
                   f"({', '.join(c.name for c in columns[:MAX_LISTED])})", hint=_names(columns))
    return row


def _gather(rows: list[list[Any]], columns: tuple[ColumnSpec, ...]) -> dict[str, list[Any]]:
    return {
        c.name: [check_value(c, row[j], f"row {i}") for i, row in enumerate(rows)]
        for j, c in enumerate(columns)
    }


def read_rows(data: Any, columns: tuple[ColumnSpec, ...]) -> tuple[dict[str, list[Any]], int]:
    """{"data"} or {"instances"}: records, column-ordered rows, or one list per column."""
    if isinstance(data, dict):
        return _read_columnar(data, columns)
    if not isinstance(data, list):
        raise _bad(f"the rows must be a list, not {shown(data)}",
                   hint='Send {"data": [{"column": value, ...}, ...]}: one object per row.')
    if not data:
        raise _bad("the list of rows is empty; send at least one row")
    rows = [_row(i, row, columns) for i, row in enumerate(data)]
    return _gather(rows, columns), len(rows)


def _read_columnar(data: dict[str, Any], columns: tuple[ColumnSpec, ...]) -> tuple[dict[str, list[Any]], int]:
    # {"city": [...], "age": [...]}: pandas' "list" orientation.
    known = {c.name for c in columns}
    unknown = [k for k in data if k not in known]
    if unknown:
        raise _bad(f"the data names unknown column {shown(unknown[0])}", hint=_names(columns))
    missing = [c.name for c in columns if c.name not in data]
    if missing:
        raise _bad(f"the data is missing column {missing[0]!r}", hint=_names(columns))
    sizes = set()
    for c in columns:
        if not isinstance(data[c.name], list):
            raise _bad(f"column {c.name!r} must be a list of values, one per row, not {shown(data[c.name])}")
        sizes.add(len(data[c.name]))
    if len(sizes) != 1:
        raise _bad("the columns have different numbers of rows: "
                   + ", ".join(f"{c.name}={len(data[c.name])}" for c in columns[:MAX_LISTED]))
    n = sizes.pop()
    if n == 0:
        raise _bad("the columns are empty; send at least one row")
    out = {c.name: [check_value(c, v, f"row {i}") for i, v in enumerate(data[c.name])] for c in columns}
    return out, n


def _oip_column(raw: Any, i: int, by_name: dict[str, ColumnSpec]) -> tuple[ColumnSpec, list[Any]]:
    if not isinstance(raw, dict):
        raise _bad(f"inputs[{i}] must be an object with name, shape, datatype and data")
    name = raw.get("name")
    column = by_name.get(name) if isinstance(name, str) else None
    if column is None:
        raise _bad(f"inputs[{i}] names unknown column {shown(name)}; send one tensor per column",
                   hint=_names(tuple(by_name.values())))
    shape, datatype, data = raw.get("shape"), raw.get("datatype"), raw.get("data")
    # One value per row: shape [n] or [n, 1]; checked before any arithmetic on it.
    if (not isinstance(shape, list) or len(shape) not in (1, 2)
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
            or (len(shape) == 2 and shape[1] != 1)):
        raise _bad(f"input {name!r}: shape must be [rows] or [rows, 1] for a column, not {shown(shape)}")
    kind = kind_of(column.dtype)
    want = OIP_DATATYPES.get(column.dtype, "FP64")
    numeric = str(datatype) in OIP_DATATYPES.values()
    fits = _OIP_KINDS.get(str(datatype), ("number", "integer") if numeric else ())
    if kind not in fits:
        raise _bad(f"input {name!r}: datatype {shown(datatype)} does not fit the column ({describe(column)})",
                   hint=f"Send it as {want}.")
    if not isinstance(data, list) or any(isinstance(v, list | dict) for v in data):
        raise _bad(f"input {name!r}: data must be a flat list of values, one per row")
    if len(data) != shape[0]:
        raise _bad(f"input {name!r}: shape {shape} holds {shape[0]} values but data has {len(data)}")
    return column, [check_value(column, v, f"row {j}") for j, v in enumerate(data)]


def read_oip(tensors: list[Any], columns: tuple[ColumnSpec, ...]) -> tuple[dict[str, list[Any]], int]:
    """Open Inference Protocol v2: one tensor per column, as MLServer's pandas codec sends a frame."""
    by_name = {c.name: c for c in columns}
    got: dict[str, list[Any]] = {}
    for i, raw in enumerate(tensors):
        column, values = _oip_column(raw, i, by_name)
        if column.name in got:
            raise _bad(f"input {column.name!r} is given twice")
        got[column.name] = values
    missing = [c.name for c in columns if c.name not in got]
    if missing:
        raise _bad(f'"inputs" is missing column {missing[0]!r}', hint=_names(columns))
    sizes = {len(v) for v in got.values()}
    if len(sizes) != 1:
        raise _bad("the columns have different batch sizes: "
                   + ", ".join(f"{n}={len(v)}" for n, v in got.items()))
    n = sizes.pop()
    if n == 0:
        raise _bad("the batch is empty; send at least one row")
    return {c.name: got[c.name] for c in columns}, n


def example_row(columns: tuple[ColumnSpec, ...]) -> dict[str, Any]:
    """One plausible row: the sample's values, else a category, else a zero of the column's kind."""
    row: dict[str, Any] = {}
    for c in columns:
        if c.example is not None and (c.categories is None or c.example in c.categories):
            row[c.name] = c.example
        elif c.categories:
            row[c.name] = c.categories[0]
        else:
            row[c.name] = _ZERO.get(kind_of(c.dtype), 0.0)
    return row


def example_inputs(columns: tuple[ColumnSpec, ...]) -> dict[str, list[Any]]:
    """The example row as inputs for ``Model.predict`` (the warm-up)."""
    return {name: [value] for name, value in example_row(columns).items()}
