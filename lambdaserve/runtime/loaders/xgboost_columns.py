"""The named columns of an XGBoost model trained on a DataFrame with category columns.

XGBoost keeps each feature's name and type (``feature_types``: "c" for a category, "int",
"float", "q" or "i" for numbers) and, since 3.1, the category values a pandas column had in
training, in training order (the model JSON's ``cats``). The booster's JSON is read only for
a model that has a category feature.
"""

from __future__ import annotations

import json
from typing import Any

from lambdaserve.errors import ModelLoadError
from lambdaserve.runtime.record import replace
from lambdaserve.runtime.signature import ColumnSpec, Signature


def _decoded(enc: dict[str, Any]) -> tuple[Any, ...] | None:
    """One feature's categories: strings are UTF-8 bytes cut at ``offsets``; numbers are listed."""
    values = enc.get("values") or []
    offsets = enc.get("offsets")
    if offsets is None:  # numeric categories carry a type code and their values
        return tuple(values) if values else None
    if not offsets:
        return None  # a numeric feature's empty slot
    raw = bytes(values)
    bounds = [*offsets, len(raw)] if offsets[-1] != len(raw) else offsets
    return tuple(raw[a:b].decode("utf-8") for a, b in zip(bounds, bounds[1:], strict=False))


def _find_cats(node: Any) -> dict[str, Any] | None:
    # gbtree keeps them at gradient_booster.model.cats; dart wraps gbtree one level deeper
    if isinstance(node, dict):
        cats = node.get("cats")
        if isinstance(cats, dict):
            return cats
        for key in ("gradient_booster", "gbtree", "model"):
            found = _find_cats(node.get(key))
            if found is not None:
                return found
    return None


def stored_categories(booster: Any) -> list[tuple[Any, ...] | None]:
    """Per feature, the categories the model keeps (None where it keeps none)."""
    learner = json.loads(bytes(booster.save_raw(raw_format="json")))["learner"]
    cats = _find_cats(learner)
    if cats is None:  # saved by an XGBoost before 3.1: the values were not kept
        return [None] * int(booster.num_features())
    return [_decoded(enc) for enc in cats.get("enc", [])]


def model_columns(booster: Any) -> tuple[ColumnSpec, ...] | None:
    """The model's columns when one of them is a category; None for numbers only (the matrix serves it)."""
    names = booster.feature_names
    types = booster.feature_types
    if not names or not types or "c" not in types:
        return None
    stored = stored_categories(booster)
    columns = []
    for i, (name, kind) in enumerate(zip(names, types, strict=True)):
        if kind == "c":
            values = stored[i] if i < len(stored) else None
            dtype = "int64" if values and all(isinstance(v, int) for v in values) else "string"
            # unknown stays "refuse": XGBoost 3.2 refuses a category past its sorted training ones
            # ("not in the training set") and scores any other unseen one as the next training
            # category in sorted order; a model saved before 3.1 scores the request frame's own
            # codes. Refusing is the only one of these that is not a silently different answer.
            columns.append(ColumnSpec(str(name), dtype, nullable=True, categories=values,
                                      example=values[0] if values else None))
        elif kind == "int":
            columns.append(ColumnSpec(str(name), "int64", nullable=True))
        else:  # XGBoost computes in float32: a bigger number is refused naming its column
            columns.append(ColumnSpec(str(name), "float32", nullable=True))
    return tuple(columns)


def keep_model_categories(merged: Signature, own: Signature) -> Signature:
    """A column lambdaserve.toml declares without categories keeps the ones the model stores."""
    stored = {c.name: c.categories for c in own.columns if c.categories is not None}
    if not merged.columns or not stored:
        return merged
    columns = tuple(replace(c, categories=stored[c.name]) if c.categories is None and c.name in stored else c
                    for c in merged.columns)
    return replace(merged, columns=columns, inputs=tuple(c.tensor for c in columns))


def require_categories(columns: tuple[ColumnSpec, ...], types: list[str]) -> None:
    """Every category column needs its training categories, in training order, to be coded right."""
    unknown = [c.name for c, kind in zip(columns, types, strict=False)
               if kind == "c" and c.categories is None]
    if unknown:
        raise ModelLoadError(
            f"the model's category column {unknown[0]!r} has no known categories: the model does not keep "
            "them (saved by an XGBoost before 3.1) and lambdaserve.toml does not declare them",
            hint=f"Declare them in lambdaserve.toml, in training order (df[col].cat.categories): "
                 f"[signature] columns = [{{ name = \"{unknown[0]}\", dtype = \"string\", "
                 "categories = [...] }, ...] (`lambdaserve init --sample train.parquet` writes them from the "
                 "training frame's category columns), or re-save the model with XGBoost >= 3.1.",
        )
