"""A null in a nullable string column, carried into the ONNX graph as the pipeline handles it.

An ONNX string tensor has no missing value. The native pipeline reads a request's null as NaN
(as read_csv does) and its own steps decide: a SimpleImputer fills it, an encoder that saw
missing values in training has a category for it, one that did not treats it as unknown. So the
converted copy of the pipeline names one reserved string, NULL_STRING, where it named NaN (the
imputers' missing_values, the encoders' NaN category), the graph records it in its metadata,
and the runtime feeds it for a null. Other strings are untouched, so every step sees the same
values as natively; convert then checks that on rows with nulls.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from lambdaserve.runtime.loaders.onnx import NULL_STRING, NULL_STRING_KEY

__all__ = ["NULL_STRING", "NULL_STRING_KEY", "mark_graph", "with_null_string"]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _children(est: Any) -> list[Any]:
    """The fitted steps inside a Pipeline, ColumnTransformer or FeatureUnion."""
    found = [step for _, step in getattr(est, "steps", None) or []]
    found += [step for _, step, *_ in getattr(est, "transformers_", None) or []]
    found += [step for _, step in getattr(est, "transformer_list", None) or []]
    return [s for s in found if not isinstance(s, str)]  # "drop", "passthrough"


def _rewrite(est: Any) -> int:
    """Point one step's notion of missing at NULL_STRING; how many steps changed."""
    import numpy as np

    changed = 0
    statistics = getattr(est, "statistics_", None)
    if (hasattr(est, "missing_values") and statistics is not None and statistics.dtype == object
            and _is_missing(est.missing_values)):  # a SimpleImputer over string columns
        est.missing_values = NULL_STRING
        changed += 1
    categories = getattr(est, "categories_", None)
    if isinstance(categories, list) and any(c.dtype == object and any(_is_missing(v) for v in c)
                                            for c in categories):  # OneHot/OrdinalEncoder saw nulls
        est.categories_ = [np.array([NULL_STRING if _is_missing(v) else v for v in c], dtype=object)
                           if c.dtype == object else c for c in categories]
        changed += 1
    return changed + sum(_rewrite(child) for child in _children(est))


def with_null_string(estimator: Any) -> tuple[Any, int]:
    """A copy of the fitted pipeline that takes NULL_STRING where the original takes NaN in string
    columns, and how many steps were changed (the original is left as it is)."""
    changed = copy.deepcopy(estimator)
    return changed, _rewrite(changed)


def mark_graph(model: Any) -> None:
    """Record in the graph that a null string column is fed as NULL_STRING."""
    entry = model.metadata_props.add()
    entry.key, entry.value = NULL_STRING_KEY, NULL_STRING
