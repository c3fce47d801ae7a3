"""numpy, torch, scalars and bytes to plain JSON; Open Inference Protocol shapes and datatypes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lambdaserve.runtime.encode import Plain, flatten, oip_datatype, shape_of, to_plain
from lambdaserve.runtime.formats import oip_answer, rows_answer
from tests.helpers import require_module


def test_numpy_arrays_and_scalars():
    value = {
        "a": np.array([[1.5, 2.0]], dtype=np.float32),
        "b": np.int64(3),
        "c": np.bool_(True),
        "d": np.array(["x", "y"]),
    }
    plain, bad = to_plain(value)
    assert plain == {"a": [[1.5, 2.0]], "b": 3, "c": True, "d": ["x", "y"]}
    assert bad == 0
    json.dumps(plain, allow_nan=False)


def test_nan_and_infinity_become_null_and_are_counted():
    plain, bad = to_plain([np.nan, 1.0, np.array([np.inf, -np.inf])])
    assert plain == [None, 1.0, [None, None]]
    assert bad == 3


def test_bytes():
    assert to_plain([b"caf\xc3\xa9", b"\xff\x00"])[0] == ["café", "/wA="]


def test_torch_tensors_leave_the_graph():
    torch = require_module("torch")
    tensor = torch.tensor([[0.5, 1.0]], requires_grad=True) * 2
    assert to_plain({"y": tensor, "n": torch.tensor(4)})[0] == {"y": [[1.0, 2.0]], "n": 4}
    assert oip_datatype(tensor, None) == "FP32"
    assert oip_datatype(torch.tensor([1]), None) == "INT64"


def test_shapes_and_datatypes():
    array = np.zeros((2, 3), dtype=np.float64)
    assert shape_of(array, None) == [2, 3]
    assert shape_of(None, [[1, 2], [3, 4], [5, 6]]) == [3, 2]
    assert oip_datatype(array, None) == "FP64"
    assert oip_datatype(np.array(["a"]), None) == "BYTES"
    assert oip_datatype(None, [[True]]) == "BOOL"
    assert oip_datatype(None, [1, 2]) == "INT64"
    assert oip_datatype(None, ["a"]) == "BYTES"
    assert oip_datatype(None, [0.5]) == "FP64"


def test_flatten_is_row_major():
    assert flatten([[1, 2, 3], [4, 5, 6]]) == [1, 2, 3, 4, 5, 6]
    assert flatten([[[1], [2]], [[3], [4]]]) == [1, 2, 3, 4]
    assert flatten(7) == [7]


def test_rows_answer_from_numpy():
    outputs = {"label": np.array([2, 0]), "probabilities": np.array([[0.1, 0.9], [0.8, 0.2]])}
    assert rows_answer(outputs, 2, Plain()) == {
        "predictions": [{"label": 2, "probabilities": [0.1, 0.9]}, {"label": 0, "probabilities": [0.8, 0.2]}]
    }


def test_an_answer_that_is_not_one_value_per_row_is_named_in_the_error():
    from lambdaserve.runtime.formats import OutputError

    one = r"^output 'prediction' is one float64, not a value per row, for 2 inputs$"
    with pytest.raises(OutputError, match=one):
        rows_answer({"prediction": np.float64(3.5)}, 2, Plain())
    with pytest.raises(OutputError, match=r"^output 'prediction' has 3 rows for 2 inputs$"):
        rows_answer({"prediction": np.zeros(3)}, 2, Plain())


def test_oip_answer_from_numpy():
    outputs = {"probabilities": np.array([[0.25, 0.75]], dtype=np.float32)}
    assert oip_answer(outputs, 1, Plain(), "iris", None) == {
        "model_name": "iris",
        "outputs": [{"name": "probabilities", "shape": [1, 2], "datatype": "FP32", "data": [0.25, 0.75]}],
    }
