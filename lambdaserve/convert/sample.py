"""The rows a conversion is verified on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lambdaserve.errors import ConvertError, RequestError
from lambdaserve.runtime.signature import Signature

GENERATED_ROWS = 64
SCALES = (1.0, 5.0, 25.0, 0.1)
NULL_EVERY = 4  # every 4th generated row leaves a nullable string column null


def rows_from_file(path: Path, signature: Signature) -> dict[str, list[Any]]:
    """Rows from a JSON file: a list of rows for a single-input model, or {input: rows}."""
    hint = "Write the rows as JSON, e.g. [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3]]."
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConvertError(f"--data {path}: {exc.strerror}", hint=hint) from exc
    except json.JSONDecodeError as exc:
        raise ConvertError(f"--data {path} is not valid JSON: {exc}", hint=hint) from exc
    if isinstance(loaded, dict) and "data" in loaded:
        loaded = loaded["data"]
    if signature.columns:  # records, ordered rows or columns, checked as a request would be
        from lambdaserve.runtime.table import read_rows

        try:
            return read_rows(loaded, signature.columns)[0]
        except RequestError as exc:
            raise ConvertError(f"--data {path}: {exc.message}", hint=exc.hint) from exc
    if isinstance(loaded, list) and len(signature.inputs) == 1:
        return {signature.inputs[0].name: loaded}
    if isinstance(loaded, dict) and set(loaded) == {spec.name for spec in signature.inputs}:
        return loaded
    raise ConvertError(f"--data {path} does not hold rows for inputs "
                       f"{', '.join(s.name for s in signature.inputs)}", hint=hint)


def generated_rows(signature: Signature, count: int = GENERATED_ROWS, seed: int = 0,
                   scales: tuple[float, ...] = SCALES) -> dict[str, list[Any]]:
    """Seeded rows of the signature's shape: a zero row, then normal values whose spread
    cycles through ``scales`` row by row (features' ranges are unknown here: a tree's
    thresholds at 5 or at 0.05 both get crossed), whole numbers for integer inputs. They
    exercise the arithmetic, not the model's real range: --data with real rows means more."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if signature.columns:
        return _table_rows(signature, count, rng, scales)
    out: dict[str, list[Any]] = {}
    for spec in signature.inputs:
        if any(d is None for d in spec.row_shape):
            raise ConvertError(f"input {spec.name!r} has no fixed row shape to make sample rows from",
                               hint="Declare its shape in [signature], or pass rows with --data FILE.")
        shape = (count, *[int(d or 0) for d in spec.row_shape])
        spread = np.resize(np.asarray(scales, dtype=np.float64), count)
        spread = spread.reshape((count,) + (1,) * (len(shape) - 1))
        values: Any = rng.normal(0.0, 1.0, size=shape) * spread
        values[0] = 0
        if spec.dtype.startswith(("int", "uint")):
            values = np.rint(values).astype(np.int64)
        elif spec.dtype == "bool":
            values = values > 0
        elif spec.dtype == "string":
            raise ConvertError(f"input {spec.name!r} holds strings; no rows can be made up for it",
                               hint="Pass real rows with --data FILE.")
        out[spec.name] = values.tolist()
    return out


def _table_rows(signature: Signature, count: int, rng: Any,
                scales: tuple[float, ...]) -> dict[str, list[Any]]:
    """A table's rows: each category in turn (every one-hot column gets exercised), numbers as above,
    null in every NULL_EVERY-th row of a nullable string column."""
    import numpy as np

    out: dict[str, list[Any]] = {}
    spread = np.resize(np.asarray(scales, dtype=np.float64), count)
    for c in signature.columns:
        if c.categories:
            out[c.name] = [c.categories[i % len(c.categories)] for i in range(count)]
        elif c.dtype == "string":
            if c.example is None:
                raise ConvertError(f"column {c.name!r} holds strings with no known categories or example",
                                   hint="Pass real rows with --data FILE (records, as a request sends them).")
            out[c.name] = [c.example] * count
        elif c.dtype == "bool":
            out[c.name] = (rng.normal(size=count) > 0).tolist()
        else:
            base = float(c.example) if isinstance(c.example, int | float) else 0.0
            values = base + rng.normal(0.0, 1.0, size=count) * spread * max(abs(base), 1.0)
            out[c.name] = (np.rint(values).astype(np.int64) if c.dtype.startswith(("int", "uint"))
                           else values).tolist()
        if c.dtype == "string" and c.nullable:  # a request may leave it null: check that answer too
            out[c.name] = [None if i % NULL_EVERY == NULL_EVERY - 1 else v for i, v in enumerate(out[c.name])]
    return out
