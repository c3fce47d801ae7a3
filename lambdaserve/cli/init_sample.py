"""`init --sample train.csv|.parquet`: complete a table's signature from a sample of training data.

As MLflow infers a signature from an input example: the sample gives each column's type,
whether it has missing values, and an example value. What the model knows itself (its
column names and order, the categories its encoders saw) wins over the sample; columns the
model does not take (the target, an id) are left out.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from lambdaserve.errors import ConfigError
from lambdaserve.package.needs import Inspection
from lambdaserve.runtime.loaders.base import user_columns
from lambdaserve.runtime.signature import ColumnSpec, Signature


def read_sample(path: Path) -> Any:
    try:
        import pandas as pd
    except ImportError as exc:
        raise ConfigError("--sample needs pandas to read the sample",
                          hint="pip install pandas (and pyarrow for .parquet)") from exc
    if not path.is_file():
        raise ConfigError(f"--sample {path}: no such file",
                          hint="Pass a CSV or Parquet file of training rows.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt"):
            return pd.read_csv(path)
    except ImportError as exc:
        raise ConfigError(f"--sample {path.name}: {exc}",
                          hint="pip install pyarrow to read Parquet.") from exc
    except Exception as exc:
        raise ConfigError(f"--sample {path.name} cannot be read: {type(exc).__name__}: {exc}",
                          hint="Pass a CSV with a header row, or a Parquet file.") from exc
    raise ConfigError(f"--sample {path.name}: unknown format {suffix or '(no suffix)'}",
                      hint="Pass a .csv or .parquet file.")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _dtype(series: Any) -> str:
    kind = getattr(series.dtype, "kind", "O")
    if kind == "f":
        return "float32" if series.dtype.itemsize == 4 else "float64"
    return {"i": "int64", "u": "uint64", "b": "bool"}.get(kind, "string")


def _from_series(name: str, series: Any) -> ColumnSpec:
    present = series.dropna()
    return ColumnSpec(name=name, dtype=_dtype(series), nullable=bool(series.isna().any()),
                      example=_plain(present.iloc[0]) if len(present) else None)


def _merged(own: ColumnSpec, seen: ColumnSpec) -> ColumnSpec:
    # The model's categories and a string dtype are facts; its float64 is only a default.
    dtype = own.dtype if own.categories is not None or own.dtype != "float64" else seen.dtype
    example = seen.example if own.categories is None or seen.example in own.categories else own.example
    return replace(own, dtype=dtype, nullable=own.nullable or seen.nullable, example=example)


def complete_signature(signature: Signature | None, frame: Any) -> Signature:
    """The model's signature as a table, its columns' types and examples completed from ``frame``."""
    sample = {str(name): _from_series(str(name), frame[name]) for name in frame.columns}
    if signature is None:
        return Signature.table(tuple(sample.values()), source="model")
    # A model whose one input takes NaN answers a null in any column, not only where the sample has gaps
    takes_null = len(signature.inputs) == 1 and signature.inputs[0].nullable
    names = signature.feature_names or ()
    own = signature.columns or tuple(ColumnSpec(n, nullable=takes_null) for n in names)
    if not own:
        width = signature.n_features
        if width != len(sample):
            raise ConfigError(
                f"the sample has {len(sample)} columns but the model takes {width} unnamed features",
                hint="Pass a sample with exactly the model's columns, in training order.")
        seen = tuple(replace(c, nullable=c.nullable or takes_null) for c in sample.values())
        return replace(signature, inputs=tuple(c.tensor for c in seen), columns=seen)
    # the user's name for each model column: LightGBM stores "age years" as "age_years"
    users = user_columns(tuple(c.name for c in own), sample)
    missing = [name for name, user in users.items() if user is None]
    if missing:
        raise ConfigError(f"the sample lacks the model's column {missing[0]!r}",
                          hint="The model was trained on: " + ", ".join(c.name for c in own[:40]))
    columns = tuple(replace(_merged(c, sample[str(users[c.name])]), name=str(users[c.name])) for c in own)
    return replace(signature, inputs=tuple(c.tensor for c in columns), columns=columns)


def training_categories(frame: Any) -> dict[str, tuple[Any, ...]]:
    """The categories of the sample's pandas ``category`` columns, in training order (their codes'
    order), as a Parquet file keeps them; a CSV has no such columns, and its order is not guessed."""
    import pandas as pd

    return {str(name): tuple(_plain(v) for v in frame[name].cat.categories) for name in frame.columns
            if isinstance(frame[name].dtype, pd.CategoricalDtype)}


def declared_categories(names: list[str], frame: Any) -> Signature | None:
    """A signature of an XGBoost model's columns ``names`` whose category columns carry the sample's
    training categories (XGBoost before 3.1 kept only the codes); None when the sample has none of them."""
    categories = training_categories(frame)
    if not any(name in categories for name in names) or any(name not in frame.columns for name in names):
        return None
    columns = []
    for name in names:
        seen = replace(_from_series(name, frame[name]), nullable=True)  # XGBoost takes missing values
        if name in categories:
            values = categories[name]
            dtype = "int64" if all(isinstance(v, int) for v in values) else "string"
            seen = replace(seen, dtype=dtype, nullable=True, categories=values)
        columns.append(seen)
    return Signature.table(tuple(columns), source="config")


def golden_bodies(frame: Any, signature: Signature, rows: int = 2) -> list[Any]:
    """The sample's first rows as one golden request (records of the model's columns), for build's
    proof and deploy's smoke test to send: real rows, where a zero row may be meaningless."""
    head = frame.head(rows)
    names = [c.name for c in signature.columns]
    records = [{name: (_plain(value) if value == value else None)  # NaN: a missing value
                for name, value in zip(names, row, strict=True)}
               for row in head[names].itertuples(index=False, name=None)]
    return [records] if records else []


def needs_pandas(signature: Signature | None) -> bool:
    """A table with a column that is not a number reaches the model as a DataFrame."""
    return bool(signature and any(c.dtype in ("string", "bool") for c in signature.columns))


def sample_rows(frame: Any, rows: int = 2) -> dict[str, list[Any]]:
    """The sample's first rows by column, as plain values (NaN: None), for the predictor to answer."""
    head = frame.head(rows)
    return {str(name): [_plain(v) if v == v else None for v in head[name]] for name in head.columns}


def answered(signature: Signature, inspection: Inspection) -> Signature:
    """``signature`` with the outputs the predictor's answer to the sample's rows names (its traced
    load answered them). A predictor that fails here would fail on every request: init stops and says so."""
    if inspection.sample_error is not None:
        rows = inspection.sample_rows
        raise ConfigError(
            f"the predictor failed on the sample's first {rows} rows: {inspection.sample_error}",
            hint="predict(inputs) gets {column name: [one value per row]} for a table; "
                 "fix predict, or the sample.")
    if inspection.sample_outputs is None:
        return signature
    return replace(signature, outputs=inspection.sample_outputs)
