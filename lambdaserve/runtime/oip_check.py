"""Open Inference Protocol v2: the tensor's own datatype, checked value by value.

A request that says INT8 and sends 1000 is wrong whatever the model takes (the model may well
take float32), so the flat data is checked against the declared datatype before it is shaped
into rows. Messages name the input and the position, both in the flat data and as row/column.
"""

from __future__ import annotations

import math
from typing import Any

from lambdaserve.errors import RequestError
from lambdaserve.runtime.ranges import OIP_TO_DTYPE, all_in_range, out_of_range
from lambdaserve.runtime.validation import shown

OIP_DATATYPE_NAMES = tuple(OIP_TO_DTYPE)


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


def check_datatype(name: str, datatype: str, flat: list[Any], shape: list[int]) -> None:
    """Raise a 400 naming the first value of ``flat`` that ``datatype`` cannot hold."""
    dtype = OIP_TO_DTYPE[datatype]
    if datatype == "BOOL":
        fits = set(map(type, flat)) <= {bool}
    elif datatype == "BYTES":
        fits = set(map(type, flat)) <= {str}
    else:
        fits = not flat or all_in_range(flat, dtype)
    if fits:
        return
    for index, value in enumerate(flat):
        problem = _problem(value, datatype, dtype)
        if problem:
            if datatype not in problem:
                problem += f" ({datatype})"
            raise RequestError(
                f"input {name!r}: {_position(index, shape)}: {problem}",
                hint=f"Send values a {datatype} tensor holds, or declare the datatype that fits them.",
            )
