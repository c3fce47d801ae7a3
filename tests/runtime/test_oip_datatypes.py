"""Open Inference Protocol datatypes are checked per type: range, integer-ness, BOOL, BYTES."""

from __future__ import annotations

from typing import Any

import pytest

from tests.runtime.support import Context, answer, http_event, runtime
from tests.runtime.test_ranges import Typed


def _oip(dtype: str, datatype: str, data: list[Any], shape: list[int] | None = None) -> tuple[int, Any]:
    rt, _ = runtime(Typed(dtype))
    body = {"inputs": [{"name": "input", "shape": shape or [len(data) // 3, 3], "datatype": datatype,
                        "data": data}]}
    return answer(rt.handle(http_event(body), Context()))


@pytest.mark.parametrize(("datatype", "bad", "message"), [
    ("INT8", 1000, "1000 is out of range for INT8 (-128 to 127)"),
    ("INT8", -129, "-129 is out of range for INT8"),
    ("INT16", 2**15, "32768 is out of range for INT16"),
    ("INT32", -(2**31) - 1, "-2147483649 is out of range for INT32"),
    ("INT64", 2**63, "9223372036854775808 is out of range for INT64"),
    ("UINT8", 256, "256 is out of range for UINT8 (0 to 255)"),
    ("UINT16", -1, "-1 is out of range for UINT16"),
    ("UINT32", 2**32, "4294967296 is out of range for UINT32"),
    ("UINT64", 2**64, "18446744073709551616 is out of range for UINT64"),
    ("INT32", 2.5, "2.5 is not an integer (INT32)"),
    ("INT8", True, "true is not a number (INT8)"),
    ("FP16", 65520.0, "65520.0 is out of range for FP16 (largest magnitude 65504)"),
    ("FP32", 3.5e38, "3.5e+38 is out of range for FP32"),
    ("FP32", "1.0", "'1.0' is not a number (FP32)"),
    ("FP64", None, "null is not a number (FP64)"),
])
def test_a_value_the_datatype_cannot_hold_is_a_400_naming_input_and_position(datatype, bad, message):
    status, body = _oip("float64", datatype, [1, 2, 3, 4, bad, 6])
    assert status == 400, body
    assert body["error"]["message"].startswith(f"input 'input': data[4], row 1, column 1: {message}")


def test_bool_and_bytes_hold_only_their_own_values():
    status, body = _oip("bool", "BOOL", [True, False, 1])
    assert status == 400
    want = "input 'input': data[2], row 0, column 2: 1 is not true or false (BOOL)"
    assert body["error"]["message"] == want
    status, body = _oip("string", "BYTES", ["a", "b", 3])
    assert status == 400
    assert body["error"]["message"] == "input 'input': data[2], row 0, column 2: 3 is not a string (BYTES)"


def test_uint_datatypes_beyond_the_old_list_are_accepted():
    # UINT16..UINT64 are protocol datatypes too; values in range reach the model
    for datatype in ("UINT16", "UINT32", "UINT64", "INT8", "FP16"):
        status, body = _oip("float64", datatype, [1, 2, 3])
        assert status == 200, (datatype, body)
        assert body["outputs"][0]["data"] == [6.0]


def test_in_range_for_the_datatype_but_not_for_the_model():
    # FP64 holds 1e300, the float32 model cannot: the model's own check names the row and column
    status, body = _oip("float32", "FP64", [1, 2, 1e300])
    assert status == 400
    assert "row 0, column 2: 1e+300 is out of range for float32" in body["error"]["message"]
