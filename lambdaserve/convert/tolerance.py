"""Do two models answer alike? Labels (integers, strings, booleans) exactly; scores within
``|a - b| <= atol + rtol * |b|`` (numpy.isclose), b being the original's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdaserve.runtime.golden import Tolerance  # one tolerance for convert, build and deploy

__all__ = ["Tolerance", "compare"]


def _flat_rows(value: Any) -> Any:
    """(n,) and (n, 1) are the same answer for one target."""
    import numpy as np

    array = np.asarray(value)
    return array.reshape(array.shape[0], -1) if array.ndim > 0 else array.reshape(1, 1)


def compare(original: Mapping[str, Any], converted: Mapping[str, Any], tolerance: Tolerance) -> list[str]:
    """What differs, one line per output (empty: they agree)."""
    import numpy as np

    problems = []
    for name in original:
        if name not in converted:
            problems.append(f"{name}: missing from the ONNX model's answer "
                            f"(it gives {', '.join(converted) or 'nothing'})")
            continue
        want, got = _flat_rows(original[name]), _flat_rows(converted[name])
        if want.shape != got.shape:
            problems.append(f"{name}: shape {got.shape} instead of {want.shape}")
            continue
        if want.dtype.kind in "fc":
            close = np.isclose(got.astype(np.float64), want.astype(np.float64),
                               atol=tolerance.atol, rtol=tolerance.rtol)
            if not close.all():
                worst = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64))))
                rows = int((~close).any(axis=1).sum())
                problems.append(f"{name}: {rows} of {want.shape[0]} rows differ beyond {tolerance} "
                                f"(largest difference {worst:.3g})")
        else:
            same = want.astype(str) == got.astype(str)  # 1 and 1.0, or b"a" and "a", are one label
            if not same.all():
                rows = int((~same).any(axis=1).sum())
                problems.append(f"{name}: {rows} of {want.shape[0]} labels differ "
                                "(labels must match exactly)")
    return problems
