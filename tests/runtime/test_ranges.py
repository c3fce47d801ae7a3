"""Numbers past a dtype's range are 400s naming the row and column, never 500s inside the model.

The model here converts with numpy, as the real loaders do (loaders/base.py), and raises on
anything that did not convert to a finite value: a number let through would be a 500.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from lambdaserve.runtime.ranges import FLOAT_MAX, INT_RANGES, all_in_range, out_of_range
from lambdaserve.runtime.signature import Signature, TensorSpec
from tests.runtime.support import Context, answer, http_event, runtime

_NUMPY = {"float16": np.float16, "float32": np.float32, "float64": np.float64, "int8": np.int8,
          "int16": np.int16, "int32": np.int32, "int64": np.int64, "uint8": np.uint8}


class Typed:
    """Sums each row after converting it to the input's dtype exactly as a loader would."""

    framework = "test"

    def __init__(self, dtype: str, width: int = 3) -> None:
        self.dtype = dtype
        self.signature = Signature(inputs=(TensorSpec("input", dtype, (None, width)),),
                                   outputs=(TensorSpec("y", "float64", (None,)),))

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy's overflow warning is a failure here
            arr = np.asarray(inputs["input"], dtype=_NUMPY[self.dtype])
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise ValueError("a value overflowed to infinity")
        return {"y": arr.astype(np.float64).sum(axis=1)}

    def versions(self) -> dict[str, str]:
        return {}


def _post(dtype: str, raw: str) -> tuple[int, Any]:
    rt, _ = runtime(Typed(dtype))
    return answer(rt.handle(http_event(None, raw=raw), Context()))


BIG_INT = "9" * 4300  # the longest integer Python's json reads


@pytest.mark.parametrize(("dtype", "value", "message"), [
    ("float32", "3.5e38",
     "row 1, column 2: 3.5e+38 is out of range for float32 (largest magnitude 3.4028235e+38)"),
    ("float32", "-1e308", "row 1, column 2: -1e+308 is out of range for float32"),
    ("float32", BIG_INT, "row 1, column 2: a 4300-digit integer is out of range for float32"),
    ("float64", BIG_INT, "row 1, column 2: a 4300-digit integer is out of range for float64"),
    ("float16", "65520", "row 1, column 2: 65520 is out of range for float16 (largest magnitude 65504)"),
    ("int8", "128", "row 1, column 2: 128 is out of range for int8 (-128 to 127)"),
    ("uint8", "-1", "row 1, column 2: -1 is out of range for uint8 (0 to 255)"),
    ("int64", BIG_INT, "row 1, column 2: a 4300-digit integer is out of range for int64"),
    ("int32", "1e300", "row 1, column 2: a 301-digit integer is out of range for int32"),
])
def test_out_of_range_is_a_400_naming_row_and_column(dtype, value, message):
    status, body = _post(dtype, f'{{"data": [[1, 2, 3], [4, 5, {value}]]}}')
    assert status == 400, body
    assert message in body["error"]["message"]
    assert body["error"]["hint"]


@pytest.mark.parametrize(("dtype", "value"), [
    ("float32", "3.4028235e38"),  # float32's maximum as numpy prints it
    ("float32", "-3.4028234663852886e38"),
    ("float32", "1e-50"),  # underflows to 0, as numpy does: not an error
    ("float16", "65504"),
    ("float64", "1.7976931348623157e308"),
    ("int8", "-128"),
    ("uint8", "255"),
    ("int64", str(2**63 - 1)),
])
def test_the_edges_of_each_range_are_served(dtype, value):
    status, body = _post(dtype, f'{{"data": [[0, 0, {value}]]}}')
    assert status == 200, body


def test_fast_path_and_slow_path_agree_at_the_edges():
    for dtype, (low, high) in INT_RANGES.items():
        assert all_in_range([low, high], dtype)
        assert not all_in_range([low - 1], dtype) and not all_in_range([high + 1], dtype)
        assert out_of_range(low, dtype) is None and out_of_range(high + 1, dtype)
    for dtype, largest in FLOAT_MAX.items():
        assert all_in_range([largest, -largest], dtype) and out_of_range(largest, dtype) is None
    # just past the rounding midpoint, float32 would be infinite
    assert not all_in_range([3.4028236e38], "float32") and out_of_range(3.4028236e38, "float32")
    with np.errstate(over="ignore"):
        assert np.isinf(np.float32(3.4028236e38))


def test_no_signature_refuses_integers_past_64_bits():
    from tests.runtime.support import FreeForm

    rt, _ = runtime(FreeForm())
    status, body = answer(rt.handle(http_event(None, raw=f'{{"data": [[1, {BIG_INT}]]}}'), Context()))
    assert status == 400
    assert "row 0 at [1]: a 4300-digit integer does not fit in 64 bits" in body["error"]["message"]
