"""Model outputs (numpy, torch, scalars, bytes) to plain JSON values, without importing a framework.

Arrays are recognised by their ``tolist`` method, so numpy and torch never get imported here.
NaN and infinities become null (JSON has no NaN) and are counted, so the caller can log a warning.
"""

from __future__ import annotations

import math
from typing import Any

from lambdaserve.runtime.signature import OIP_DATATYPES


class UnserialisableOutput(TypeError):
    """The model answered a value JSON cannot carry: a server-side fault, never sent as its repr."""


class Plain:
    """Converts values to JSON ones and counts the non-finite numbers it replaced with null."""

    def __init__(self) -> None:
        self.non_finite = 0

    def convert(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, float):
            if math.isfinite(value):
                return value
            self.non_finite += 1
            return None
        if isinstance(value, bytes | bytearray | memoryview):
            raw = bytes(value)
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                import base64  # bytes outputs are rare

                return base64.b64encode(raw).decode("ascii")
        if isinstance(value, dict):
            return {str(self.convert(k)): self.convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            if _plain_scalars(value):  # the usual tolist() answer: nothing to convert
                return value if isinstance(value, list) else list(value)
            return [self.convert(v) for v in value]
        detach = getattr(value, "detach", None)
        if callable(detach):  # a torch tensor: leave the autograd graph and the device first
            value = detach().cpu()
        tolist = getattr(value, "tolist", None)
        if callable(tolist):  # numpy arrays and scalars, torch tensors
            return self.convert(tolist())
        item = getattr(value, "item", None)
        if callable(item):
            return self.convert(item())
        if isinstance(value, set | frozenset):
            return [self.convert(v) for v in sorted(value, key=repr)]
        # a repr sent with 200 would pass for an answer; the type goes to the log with the 500
        raise UnserialisableOutput(
            f"the model's answer holds a {type(value).__module__}.{type(value).__qualname__}, "
            "which JSON cannot carry; return numbers, strings, lists, dicts or arrays"
        )


_PLAIN = {int, str, bool, type(None)}


def _plain_scalars(values: list[Any] | tuple[Any, ...]) -> bool:
    types = set(map(type, values))
    if types <= _PLAIN:
        return True
    if not types <= _PLAIN | {float}:
        return False
    try:
        total = sum(v for v in values if type(v) is float)
    except OverflowError:
        return False
    return math.isfinite(total)


def to_plain(value: Any) -> tuple[Any, int]:
    """(JSON value, how many NaN/Infinity became null)."""
    plain = Plain()
    return plain.convert(value), plain.non_finite


def shape_of(value: Any, plain: Any) -> list[int]:
    """The array's own shape if it has one, else the shape of the nested lists."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        try:
            return [int(d) for d in shape]
        except (TypeError, ValueError):
            pass
    dims: list[int] = []
    while isinstance(plain, list):
        dims.append(len(plain))
        plain = plain[0] if plain else None
    return dims


def _dtype_name(value: Any) -> str | None:
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return None
    name = str(getattr(dtype, "name", dtype)).removeprefix("torch.")
    if name.startswith(("<U", "str", "object", "bytes", "|S")):
        return "string"
    return {
        "double": "float64",
        "float": "float32",
        "half": "float16",
        "long": "int64",
        "int": "int32",
        "short": "int16",
    }.get(name, name)


def _first_scalar(plain: Any) -> Any:
    while isinstance(plain, list):
        if not plain:
            return None
        plain = plain[0]
    return plain


def oip_datatype(value: Any, plain: Any) -> str:
    """The Open Inference Protocol datatype of an output (FP32, INT64, BOOL, BYTES...)."""
    name = _dtype_name(value)
    if name in OIP_DATATYPES:
        return OIP_DATATYPES[name]
    first = _first_scalar(plain)
    if isinstance(first, bool):
        return "BOOL"
    if isinstance(first, int):
        return "INT64"
    if isinstance(first, str):
        return "BYTES"
    return "FP64"


def flatten(plain: Any) -> list[Any]:
    """Row-major flat data, as the Open Inference Protocol sends tensors."""
    if not isinstance(plain, list):
        return [plain]
    out: list[Any] = []
    stack = [iter(plain)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out
