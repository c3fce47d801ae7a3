"""The named columns a fitted scikit-learn model takes, read off the model itself.

A model fitted on a DataFrame knows its column names (``feature_names_in_``); its encoders
(OneHotEncoder, OrdinalEncoder, inside a ColumnTransformer or a Pipeline) know which columns
are categorical and the categories seen in training; an imputer in front of a column means
the column may be missing. Columns no encoder claims are numbers until a sample says more
(``lambdaserve init --sample``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lambdaserve.runtime.record import replace
from lambdaserve.runtime.signature import ColumnSpec


def _steps(est: Any) -> list[Any]:
    steps = getattr(est, "steps", None)
    if isinstance(steps, list):
        return [step for _, step in steps]
    return [est]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _dtype(categories: Any) -> str:
    kind = getattr(getattr(categories, "dtype", None), "kind", "O")
    return {"i": "int64", "u": "int64", "f": "float64", "b": "bool"}.get(kind, "string")


def _encoded(names: list[str], encoder: Any, nullable: bool) -> Iterator[ColumnSpec]:
    # Only an encoder that refuses unknown values limits the column to its categories: with
    # handle_unknown="ignore" (or infrequent) the model answers for any value, so must we.
    strict = getattr(encoder, "handle_unknown", "error") == "error"
    # A OneHotEncoder that ignores unknown values scores a missing one as unknown (a row of zeros,
    # or the infrequent category): the model answers for null. An OrdinalEncoder answers NaN for it,
    # which the next step may refuse.
    answers_null = not strict and type(encoder).__name__ == "OneHotEncoder"
    for name, cats in zip(names, encoder.categories_, strict=False):
        values = [v.item() if hasattr(v, "item") else v for v in cats]
        seen_missing = any(_is_missing(v) for v in values)
        values = [v for v in values if not _is_missing(v)]
        yield ColumnSpec(
            name=name, dtype=_dtype(cats), nullable=nullable or seen_missing or answers_null,
            categories=tuple(values) if strict else None,
            example=values[0] if values else None,
        )


def _found(est: Any, names: list[str] | None, nullable: bool) -> Iterator[ColumnSpec]:
    """Encoded and imputed columns inside ``est``; ``names``: the columns a ColumnTransformer gave it."""
    for step in _steps(est):
        inner = getattr(step, "transformers_", None)
        if isinstance(inner, list):  # a ColumnTransformer: each part sees the named columns it lists
            for _, part, cols in inner:
                listed = [cols] if isinstance(cols, str) else list(cols) if _all_str(cols) else None
                yield from _found(part, listed, False)
            continue
        own = getattr(step, "feature_names_in_", None)
        step_names = [str(n) for n in own] if own is not None else names
        if step_names is None:
            continue
        yield from _gradient_boosting(step, step_names)
        if type(step).__name__ in ("SimpleImputer", "KNNImputer", "IterativeImputer"):
            nullable = True
            yield from (ColumnSpec(n, "float64", nullable=True) for n in step_names) if _numeric(step) else ()
        if hasattr(step, "categories_") and len(step.categories_) == len(step_names):
            yield from _encoded(step_names, step, nullable)
        names = step_names  # an imputer keeps its columns; an encoder's categories must match them


def _gradient_boosting(est: Any, names: list[str]) -> Iterator[ColumnSpec]:
    """A HistGradientBoosting model's category columns (categorical_features, "from_dtype" for a
    DataFrame's category columns): it codes them with an OrdinalEncoder in ``_preprocessor`` that
    turns a category unseen in training into NaN, scored as missing; its numbers take NaN too."""
    mask = getattr(est, "is_categorical_", None)
    parts = getattr(getattr(est, "_preprocessor", None), "transformers_", None)
    if mask is None or not isinstance(parts, list) or len(mask) != len(names) or not any(mask):
        return
    encoder = next((part for _, part, _ in parts if hasattr(part, "categories_")), None)
    coded = [n for n, categorical in zip(names, mask, strict=True) if categorical]
    if encoder is None or len(encoder.categories_) != len(coded):
        return
    for name, cats in zip(coded, encoder.categories_, strict=True):
        values = [v.item() if hasattr(v, "item") else v for v in cats if not _is_missing(v)]
        yield ColumnSpec(name, _dtype(cats), nullable=True, categories=tuple(values),
                         example=values[0] if values else None, unknown="missing")
    yield from (ColumnSpec(n, "float64", nullable=True) for n in names if n not in coded)


def _numeric(imputer: Any) -> bool:
    stats = getattr(imputer, "statistics_", None)
    return getattr(getattr(stats, "dtype", None), "kind", "O") in "fiu"


def _all_str(cols: Any) -> bool:
    try:
        return len(cols) > 0 and all(isinstance(c, str) for c in cols)
    except TypeError:
        return False


def model_columns(est: Any) -> tuple[ColumnSpec, ...] | None:
    """The model's columns when it takes a table with a non-numeric column; None for a plain matrix."""
    names = getattr(est, "feature_names_in_", None)
    if names is None:
        return None
    specs: dict[str, ColumnSpec] = {}
    for spec in _found(est, None, False):
        # an encoder's knowledge (categories, dtype) wins over an imputer's number default
        if spec.name not in specs or spec.categories is not None or spec.dtype != "float64":
            previous = specs.get(spec.name)
            nullable = spec.nullable or (previous.nullable if previous else False)
            specs[spec.name] = replace(spec, nullable=nullable)
    columns = tuple(specs.get(str(n), ColumnSpec(str(n), "float64")) for n in names)
    if all(c.dtype != "string" and c.categories is None for c in columns):
        return None  # numbers only: the matrix signature (rows or records) already serves it
    return columns
