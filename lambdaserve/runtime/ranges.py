"""What values each dtype can hold, so an out-of-range number is a 400 and never a 500 later.

numpy turns 3.5e38 into inf for float32, and refuses a 4,300-digit integer outright; both
used to reach the model. Bounds are exact Python ints, compared without rounding.
"""

from __future__ import annotations

import math
from typing import Any

# Lowest and highest value of each integer dtype (our lower-case names).
INT_RANGES: dict[str, tuple[int, int]] = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint8": (0, 2**8 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
}
ANY_INT = (-(2**63), 2**64 - 1)  # an integer dtype we do not know: whatever numpy can hold

# A magnitude at or past this rounds to infinity in the dtype (the midpoint past its largest
# finite value, since ties round to the even, infinite, neighbour). Below it, a value rounds
# to a finite one, so float32's printed maximum 3.4028235e38 is accepted.
FLOAT_LIMITS: dict[str, int] = {
    "float16": 2**16 - 2**4,  # 65520; largest finite 65504
    "float32": 2**128 - 2**103,  # largest finite 3.4028234663852886e38
    "float64": 2**1024 - 2**970,  # largest finite 1.7976931348623157e308
}
FLOAT_MAX = {"float16": 65504.0, "float32": 3.4028234663852886e38, "float64": 1.7976931348623157e308}

# Open Inference Protocol v2 datatypes and our dtype for each.
OIP_TO_DTYPE = {
    "BOOL": "bool", "UINT8": "uint8", "UINT16": "uint16", "UINT32": "uint32", "UINT64": "uint64",
    "INT8": "int8", "INT16": "int16", "INT32": "int32", "INT64": "int64",
    "FP16": "float16", "FP32": "float32", "FP64": "float64", "BYTES": "string",
}


def float_limit(dtype: str) -> int:
    """The magnitude a number of ``dtype`` (float64 if not a float type) must stay under."""
    return FLOAT_LIMITS.get(dtype, FLOAT_LIMITS["float64"])


def number_text(value: Any) -> str:
    """A number as the client wrote it, short: a 4,300-digit integer is not printed whole."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() <= 64:
            return str(value)
        # counted without str(): past 4,300 digits Python refuses to convert an int to text
        digits = int(value.bit_length() * math.log10(2)) + 1  # exact, or one too many
        if abs(value) < 10 ** (digits - 1):
            digits -= 1
        return str(value) if digits <= 24 else f"a {digits}-digit integer"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    return str(value)


def int_bounds(dtype: str) -> tuple[int, int]:
    return INT_RANGES.get(dtype, ANY_INT)


def out_of_range(value: int | float, dtype: str, label: str = "") -> str | None:
    """Why a finite number does not fit ``dtype`` (a float or integer dtype), or None if it fits.
    ``label`` names the type in the message (an OIP datatype such as INT8); default ``dtype``."""
    label = label or dtype
    if dtype.startswith(("int", "uint")):
        low, high = int_bounds(dtype)
        if not low <= value <= high:
            return f"{number_text(value)} is out of range for {label} ({low} to {high})"
        return None
    if not abs(value) < float_limit(dtype):
        largest = FLOAT_MAX.get(dtype, FLOAT_MAX["float64"])
        return f"{number_text(value)} is out of range for {label} (largest magnitude {largest:.8g})"
    return None


def all_in_range(values: list[Any], dtype: str) -> bool:
    """True when ``values`` are all finite numbers of ``dtype``'s range (ints only, for an
    integer dtype), checked at C speed; False means "look closer", not "wrong"."""
    if not values:
        return False
    types = set(map(type, values))
    integers = dtype.startswith(("int", "uint"))
    if integers:
        if types != {int}:
            return False
        low, high = int_bounds(dtype)
        return bool(low <= min(values) and max(values) <= high)
    if not types <= {int, float}:
        return False
    try:
        total = sum(values)  # NaN and infinities survive a sum; an overflow only means "look closer"
    except OverflowError:
        return False
    if isinstance(total, float) and not math.isfinite(total):
        return False
    limit = float_limit(dtype)
    return bool(-limit < min(values) and max(values) < limit)
