"""The table a model was trained on, rebuilt from checked columns (Signature.columns).

pandas is imported only here and only when a model takes named columns, so a model that
takes a plain matrix never needs it in the package.
"""

from __future__ import annotations

from typing import Any

from lambdaserve.errors import ModelLoadError
from lambdaserve.runtime.signature import ColumnSpec
from lambdaserve.runtime.validation import kind_of


def require_pandas(framework: str) -> None:
    """Fail at load, not at the first request, when the model needs a DataFrame and pandas is missing."""
    try:
        import pandas  # noqa: F401
    except ImportError as exc:
        raise ModelLoadError(
            f"this {framework} model takes named columns of mixed types, so it needs pandas, "
            "which is not installed",
            hint="Add pandas (the version the model was trained with) to function.requirements; "
                 "`lambdaserve init` pins it when it is installed where init runs.",
        ) from exc


def _column(column: ColumnSpec, values: list[Any]) -> Any:
    import numpy as np

    missing = any(v is None for v in values)
    kind = kind_of(column.dtype)
    if kind in ("number", "integer"):
        if missing:  # as read_csv reads a gap in a numeric column
            return np.array([np.nan if v is None else v for v in values], dtype="float64")
        return np.asarray(values, dtype=column.dtype)
    if kind == "boolean" and not missing:
        return np.asarray(values, dtype=bool)
    # Strings (and booleans with gaps): pandas infers the dtype read_csv gives the same values.
    return [np.nan if v is None else v for v in values]


def dataframe(inputs: dict[str, list[Any]], columns: tuple[ColumnSpec, ...], *,
              names: list[str] | None = None, categorical: bool = False) -> Any:
    """The frame in the columns' order; ``names``: the model's own column names, where the request
    uses the user's (LightGBM writes "age years" as "age_years"); ``categorical``: columns with
    categories become pandas categoricals with the training categories (LightGBM's category columns)."""
    import pandas as pd

    names = names or [c.name for c in columns]
    data = {}
    for name, c in zip(names, columns, strict=True):
        if categorical and c.categories is not None:
            # a category the model never saw is missing to it (the request only holds one where the
            # model scores it so, as LightGBM does): NaN, as pandas will require
            known = set(c.categories)
            values = pd.Categorical([v if v in known else None for v in inputs[c.name]],
                                    categories=list(c.categories))
        else:
            values = _column(c, inputs[c.name])
        data[name] = values
    return pd.DataFrame(data, columns=names)


def matrix(inputs: dict[str, list[Any]], columns: tuple[ColumnSpec, ...]) -> Any:
    """All-numeric columns as one float64 matrix, in the columns' order (no pandas needed)."""
    import numpy as np

    return np.column_stack([
        np.array([np.nan if v is None else v for v in inputs[c.name]], dtype="float64") for c in columns
    ])


def all_numeric(columns: tuple[ColumnSpec, ...]) -> bool:
    return all(kind_of(c.dtype) in ("number", "integer") for c in columns)
