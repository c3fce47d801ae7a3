"""Open Inference Protocol v2: the tensor's shape and its own datatype, checked before use.

The shape is checked before any arithmetic on it: its rank and each dimension against the
signature, then its size against the data, multiplying dimension by dimension and stopping
as soon as the product passes the number of values. A client controls those integers, and
``[10**4299] * 420`` multiplied out burns a whole timeout; ``[1, 10**12, 0]`` holds no values
but reshaping it builds 10**12 lists.

A request that says INT8 and sends 1000 is wrong whatever the model takes (the model may well
take float32), so the flat data is checked against the declared datatype before it is shaped
into rows. Messages name the input and the position, both in the flat data and as row/column.
"""

from __future__ import annotations

import math
from typing import Any

from lambdaserve.errors import RequestError
from lambdaserve.runtime.ranges import OIP_TO_DTYPE, all_in_range, number_text, out_of_range
from lambdaserve.runtime.validation import MAX_DEPTH, shown

OIP_DATATYPE_NAMES = tuple(OIP_TO_DTYPE)
MAX_RANK = MAX_DEPTH + 1  # without a signature: the batch plus the rows' nesting cap


def shape_text(shape: list[Any]) -> str:
    """A client's shape, short: huge dimensions by their digit count, long shapes cut."""
    dims = [number_text(d) for d in shape[:8]]
    return "[" + ", ".join(dims) + (", ...]" if len(shape) > 8 else "]")


def check_shape(name: str, shape: list[int], values: int, model_shape: tuple[int | None, ...] | None) -> None:
    """Raise a 400 unless ``shape`` fits the model's (None: no signature) and holds ``values``."""
    where = f"input {name!r}: shape {shape_text(shape)}"
    if model_shape is not None:
        wanted = "[" + ", ".join("-1" if d is None else str(d) for d in model_shape) + "]"
        if len(shape) != len(model_shape):
            raise RequestError(f"{where} has {len(shape)} dimensions; the model's {wanted} has "
                               f"{len(model_shape)}", hint="Check the shape against GET /metadata.")
        for got, want in zip(shape, model_shape, strict=True):
            if want is not None and got != want:
                raise RequestError(f"{where} does not fit the model's {wanted}",
                                   hint="Check the shape against GET /metadata.")
    elif len(shape) > MAX_RANK:
        raise RequestError(f"{where} has {len(shape)} dimensions; at most {MAX_RANK} are taken")
    if 0 in shape:
        raise RequestError(f"{where} holds no values; send at least one row" if shape[0] else
                           f"input {name!r}: the batch is empty; send at least one row")
    size = 1
    for i, dim in enumerate(shape):  # every dim >= 1 here, so the product only grows: stop past the data
        size *= dim
        if size > values and i < len(shape) - 1:
            raise RequestError(f"{where} holds more than the {values} values data has")
    if size != values:
        raise RequestError(f"{where} holds {number_text(size)} values but data has {values}")


def _position(index: int, shape: list[int]) -> str:
    """data[5] with its place in the tensor: "data[5], row 1, column 1" for a [n, 4] tensor."""
    place: list[int] = []
    rest = index
    for dim in reversed(shape[1:]):
        place.append(rest % dim if dim else 0)
        rest = rest // dim if dim else 0
    place.reverse()
    where = f"data[{index}], row {rest}"
    if len(place) == 1:
        return f"{where}, column {place[0]}"
    return where + ("" if not place else " at " + "".join(f"[{i}]" for i in place))


def _problem(value: Any, datatype: str, dtype: str) -> str | None:
    """Why one value does not fit the datatype, or None."""
    if datatype == "BOOL":
        return None if isinstance(value, bool) else f"{shown(value)} is not true or false"
    if datatype == "BYTES":
        return None if isinstance(value, str) else f"{shown(value)} is not a string"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{shown(value)} is not a number"
    if isinstance(value, float):
        if not math.isfinite(value):
            return f"{shown(value)} is not a finite number"
        if dtype.startswith(("int", "uint")):
            if not value.is_integer():
                return f"{shown(value)} is not an integer"
            value = int(value)
    return out_of_range(value, dtype, datatype)


def check_datatype(name: str, datatype: str, flat: list[Any], shape: list[int],
                   nullable: bool = False) -> None:
    """Raise a 400 naming the first value of ``flat`` that ``datatype`` cannot hold; ``nullable``:
    null is a missing value (NaN) of a float tensor, as in a row."""
    dtype = OIP_TO_DTYPE[datatype]
    nullable = nullable and datatype.startswith("FP")
    if datatype == "BOOL":
        fits = set(map(type, flat)) <= {bool}
    elif datatype == "BYTES":
        fits = set(map(type, flat)) <= {str}
    else:
        fits = not flat or all_in_range(flat, dtype)
    if fits:
        return
    for index, value in enumerate(flat):
        problem = None if value is None and nullable else _problem(value, datatype, dtype)
        if problem:
            if datatype not in problem:
                problem += f" ({datatype})"
            raise RequestError(
                f"input {name!r}: {_position(index, shape)}: {problem}",
                hint=f"Send values a {datatype} tensor holds, or declare the datatype that fits them.",
            )
