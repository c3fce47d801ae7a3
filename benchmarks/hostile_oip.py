"""What a hostile Open Inference Protocol shape costs the runtime, against parsing its body.

Before issue 18 the shape was multiplied out before it was checked: ``[10**4299] * 420`` (a
1.8 MB body) burned the function's whole timeout, and ``[1, 10**12, 0]`` built 10**12 lists.
Baseline, in the same run: ``json.loads`` of the same body, which every request pays anyway.
Measured: ``read_request`` (format, shape and datatype checks up to the 400), for a signature
model (float32, [-1, 4]) and one without a signature, plus a good one-row request for scale.

    .venv/bin/python benchmarks/hostile_oip.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import contextlib
import json
from typing import Any

from timing import median_ms  # benchmarks/timing.py, beside this script

from lambdaserve.errors import RequestError
from lambdaserve.runtime.formats import read_request
from lambdaserve.runtime.signature import Signature, TensorSpec

SIGNED = Signature(inputs=(TensorSpec("input", "float32", (None, 4)),))
FREE = Signature(inputs=(), source="unknown")
ROW = [5.1, 3.5, 1.4, 0.2]


def _body(shape: list[int], data: list[Any]) -> str:
    return json.dumps({"inputs": [{"name": "input", "shape": shape, "datatype": "FP32", "data": data}]})


CASES = {
    "good [1, 4]": _body([1, 4], ROW),
    "[10**2200] * 2": _body([10**2200] * 2, ROW),
    "[10**4299] * 420 (1.8 MB)": _body([10**4299] * 420, ROW),
    "[1, 10**12, 0]": _body([1, 10**12, 0], []),
    "[1] * 40 + [4]": _body([1] * 40 + [4], ROW),
}


def _read(body: str, signature: Signature) -> None:
    with contextlib.suppress(RequestError):  # every hostile case ends in its 400
        read_request(json.loads(body), signature)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    print(f"{'case':28} {'model':10} {'parse ms':>9} {'read/parse':>11}")
    for name, body in CASES.items():
        parse = median_ms(lambda body=body: json.loads(body), args.repeat)
        for label, signature in (("signed", SIGNED), ("free", FREE)):
            read = median_ms(lambda body=body, s=signature: _read(body, s), args.repeat)
            print(f"{name:28} {label:10} {parse:9.3f} {read / parse:10.2f}x")


if __name__ == "__main__":
    main()
