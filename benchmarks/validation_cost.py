"""What the dtype-range checks cost per request, against parsing the same body.

Baseline, measured in the same run: ``json.loads`` of the body, which every request pays anyway,
and the fast path as it was before ranges (the same walk over the nesting levels, then one
C-speed ``sum`` for finiteness, without the min/max range passes). Measured:
``RowChecker.check_rows`` (rows format, float32 and int64 models) and the Open Inference Protocol
datatype check, on batches of finite, in-range numbers (the common case).

    .venv/bin/python benchmarks/validation_cost.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import json
import math
import random
from itertools import chain
from typing import Any

from timing import median_ms  # benchmarks/timing.py, beside this script

from lambdaserve.runtime.oip_check import check_datatype
from lambdaserve.runtime.signature import TensorSpec
from lambdaserve.runtime.validation import RowChecker


def _finite_only(rows: list[list[Any]], width: int, integers: bool) -> bool:
    """The fast path before ranges: shape walk, then types and one sum (ints: min/max int64)."""
    level: list[Any] = rows
    if set(map(type, level)) != {list} or set(map(len, level)) != {width}:
        return False
    values = list(chain.from_iterable(level))
    types = set(map(type, values))
    if integers:
        return types == {int} and min(values) >= -(2**63) and max(values) <= 2**64 - 1
    if not types <= {int, float}:
        return False
    total = sum(values)
    return not isinstance(total, float) or math.isfinite(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(0)
    print(f"{'case':<34} {'json.loads':>10} {'before':>9} {'checked':>9} {'vs loads':>9} {'vs before':>9}")
    for rows_n, width in ((1, 4), (100, 30), (1000, 30), (10000, 10)):
        floats = [[rng.uniform(-1e3, 1e3) for _ in range(width)] for _ in range(rows_n)]
        ints = [[rng.randrange(-(10**6), 10**6) for _ in range(width)] for _ in range(rows_n)]
        for label, rows, dtype in (("float32", floats, "float32"), ("int64", ints, "int64")):
            body = json.dumps({"data": rows})
            checker = RowChecker(TensorSpec("input", dtype, (None, width)))
            loads = median_ms(lambda body=body: json.loads(body), args.repeat)
            before = median_ms(lambda rows=rows, w=width, i=dtype == "int64": _finite_only(rows, w, i),
                                args.repeat)
            checked = median_ms(lambda rows=rows, c=checker: c.check_rows(rows), args.repeat)
            name = f"rows {rows_n}x{width} {label}"
            print(f"{name:<34} {loads:>9.3f}ms {before:>8.3f}ms {checked:>8.3f}ms {checked / loads:>8.2f}x "
                  f"{checked / before:>8.2f}x")
        flat = list(chain.from_iterable(floats))
        body = json.dumps({"inputs": [{"name": "input", "shape": [rows_n, width], "datatype": "FP32",
                                       "data": flat}]})
        loads = median_ms(lambda body=body: json.loads(body), args.repeat)
        shape = [rows_n, width]
        checked = median_ms(lambda flat=flat, shape=shape: check_datatype("input", "FP32", flat, shape),
                             args.repeat)
        name = f"oip FP32 datatype {rows_n}x{width}"
        print(f"{name:<34} {loads:>9.3f}ms {'':>9} {checked:>8.3f}ms {checked / loads:>8.2f}x")


if __name__ == "__main__":
    main()
