"""What every loader shares: the Model protocol, file lookup, errors and input arrays.

Stdlib only at import time; numpy is imported inside the functions that need it, after
the framework itself has been imported by its loader.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lambdaserve.errors import ModelLoadError, pip_install_extra
from lambdaserve.runtime.loaders.detect import refuse_lightgbm_dump, suffix_framework
from lambdaserve.runtime.record import replace
from lambdaserve.runtime.signature import Signature
from lambdaserve.runtime.validation import kind_of

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy as np

# The pip extra that installs each framework, for the hint of a failed import.
EXTRAS = {"sklearn": "sklearn", "onnx": "onnx", "torchscript": "torch", "xgboost": "xgboost",
          "lightgbm": "lightgbm", "catboost": "catboost"}


class Model(Protocol):
    framework: str
    signature: Signature

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]: ...

    def versions(self) -> dict[str, str]: ...


def missing_framework(framework: str, package: str, exc: ImportError) -> ModelLoadError:
    extra = EXTRAS.get(framework, framework)
    return ModelLoadError(
        f"cannot load a {framework} model: {package} is not installed ({exc})",
        hint=f"{pip_install_extra(extra)}, and list {package} in function.requirements.",
    )


def load_failed(framework: str, path: Path, exc: BaseException, hint: str) -> ModelLoadError:
    return ModelLoadError(f"{framework} cannot load {path}: {type(exc).__name__}: {exc}", hint=hint)


def model_file(path: Path, suffixes: tuple[str, ...], framework: str) -> Path:
    """The one file with one of ``suffixes`` that ``path`` names (itself, or inside a folder)."""
    if not path.exists():
        raise ModelLoadError(f"model file {path} does not exist",
                             hint="Check model.path in lambdaserve.toml (or LAMBDASERVE_MODEL_DIR/_FILE).")
    if path.is_file():
        refuse_lightgbm_dump(path)
        other = suffix_framework(path)
        if other is not None and path.suffix.lower() not in suffixes:
            raise ModelLoadError(f"{path.name}: its suffix says {other}, but it is loaded as {framework}",
                                 hint=f"Set model.framework = \"{other}\" (or \"auto\") in lambdaserve.toml.")
        return path
    found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    if len(found) == 1:
        return found[0]
    listed = ", ".join(p.name for p in found) or "none"
    raise ModelLoadError(
        f"expected one {framework} model file ({' '.join(suffixes)}) in {path}, found {listed}",
        hint="Point model.path at the model file itself.",
    )


_NUMPY_DTYPES = {"string": "object"}


def as_array(rows: Any, dtype: str) -> np.ndarray:
    """Validated nested lists as a numpy array of the signature's dtype."""
    import numpy as np

    return np.asarray(rows, dtype=_NUMPY_DTYPES.get(dtype, dtype))


def estimator_answer(estimator: Any, features: Any, *, classifier: bool,
                     probabilities: bool) -> dict[str, Any]:
    """A scikit-learn-API estimator's answer under the output names every loader gives: a
    regressor's "prediction"; a classifier's "label", and "probabilities" when asked."""
    if not classifier:
        return {"prediction": estimator.predict(features)}
    answer = {"label": estimator.predict(features)}
    if probabilities:
        answer["probabilities"] = estimator.predict_proba(features)
    return answer


def numpy_version() -> dict[str, str]:
    import numpy as np

    return {"numpy": np.__version__}


def merge_signature(own: Signature, declared: Signature | None) -> Signature:
    """The model's own signature, with what lambdaserve.toml declares taking precedence.

    Declared inputs rename and shape the model's; the dtype stays the model's own (TOML
    says float32 when a dtype is left out, which would change a float64 model's answers).
    Outputs stay the loader's, which names them itself. A declared row shape that
    contradicts the model's is refused at load, rather than failing on every request.
    """
    if declared is None or not declared.inputs:
        return own
    if declared.columns:
        return declared_table(own, declared)
    if own.columns:
        raise ModelLoadError(
            "lambdaserve.toml declares inputs, but the model takes named columns of mixed types",
            hint="Declare them as [signature] columns = [{ name = ..., dtype = ... }, ...] "
                 "(`lambdaserve init --force` writes them), or delete [signature].",
        )
    inputs = declared.inputs
    if len(inputs) == len(own.inputs):
        for mine, theirs in zip(own.inputs, inputs, strict=True):
            if _conflict(mine.row_shape, theirs.row_shape):
                raise ModelLoadError(
                    f"lambdaserve.toml declares input {theirs.name!r} with row shape "
                    f"{_shape(theirs.row_shape)}, but the model takes {_shape(mine.row_shape)}",
                    hint="Fix [signature] in lambdaserve.toml, or delete it to use the model's own.",
                )
        for mine, theirs in zip(own.inputs, inputs, strict=True):
            kinds = {kind_of(mine.dtype), kind_of(theirs.dtype)}
            if len(kinds) > 1 and kinds != {"number", "integer"}:
                # TOML's default float32 is harmless to replace; a declared string or bool is not
                raise ModelLoadError(
                    f"lambdaserve.toml declares input {theirs.name!r} as {theirs.dtype}, but the model "
                    f"computes in {mine.dtype}",
                    hint="A model trained on named columns of mixed types takes [signature] columns = "
                         "[{ name = 'city', dtype = 'string' }, ...]; `lambdaserve init --sample "
                         "train.csv` writes them.",
                )
        pairs = zip(own.inputs, inputs, strict=True)
        # the model decides, as for the dtype, whether it scores a null (NaN) or would raise on it
        inputs = tuple(replace(theirs, dtype=mine.dtype, nullable=mine.nullable) for mine, theirs in pairs)
    return replace(own, inputs=inputs, outputs=own.outputs or declared.outputs, source="config")


def declared_table(own: Signature, declared: Signature) -> Signature:
    """Declared columns replace the model's inputs; their names must be the model's own, if it knows them."""
    known = own.feature_names or tuple(c.name for c in own.columns) or None
    as_model = {c.name: model_name(c.name, known) for c in declared.columns}
    names = list(as_model.values())
    if known is not None and set(names) != set(known):
        missing = [n for n in known if n not in names]
        extra = [user for user, n in as_model.items() if n not in known]
        raise ModelLoadError(
            "lambdaserve.toml's [signature] columns do not match the model's: "
            + "; ".join(([f"missing {', '.join(missing[:10])}"] if missing else [])
                        + ([f"unknown {', '.join(extra[:10])}"] if extra else [])),
            hint="The model was trained on: " + ", ".join(known[:40]),
        )
    # A declared float64 (an older init's) keeps the model's float32, where the model computes in it:
    # a number past float32's range is refused with its column instead of turning into inf inside.
    narrow = {c.name for c in own.columns if c.dtype == "float32"}
    declared_columns = tuple(replace(c, dtype="float32") if as_model[c.name] in narrow
                             and kind_of(c.dtype) == "number" else c for c in declared.columns)
    # What the model does with an unknown category is the model's fact, not the declaration's.
    unknown = {c.name: c.unknown for c in own.columns}
    declared_columns = tuple(replace(c, unknown=unknown[as_model[c.name]]) if as_model[c.name] in unknown
                             else c for c in declared_columns)
    if known is not None:  # the model gets its columns in training order
        by_name = {as_model[c.name]: c for c in declared_columns}
        columns = tuple(by_name[n] for n in known)
    else:
        columns = declared_columns
    return replace(own, inputs=tuple(c.tensor for c in columns), columns=columns, source="config")


def model_name(user: str, known: tuple[str, ...] | None) -> str:
    """The model's name for a column the user names: LightGBM stores "age years" as "age_years"."""
    if known is None or user in known:
        return user
    sanitised = user.replace(" ", "_")
    return sanitised if sanitised in known else user


def user_columns(own: tuple[str, ...], names: Iterable[str]) -> dict[str, str | None]:
    """The user's name among ``names`` (a sample's columns) for each of the model's columns ``own``;
    None where the user has none."""
    names = list(names)
    return {c: next((s for s in names if model_name(s, (c,)) == c), None) for c in own}


def _conflict(mine: tuple[int | None, ...], theirs: tuple[int | None, ...]) -> bool:
    if len(mine) != len(theirs):
        return True
    return any(a is not None and b is not None and a != b for a, b in zip(mine, theirs, strict=True))


def _shape(row: tuple[int | None, ...]) -> str:
    return "[" + ", ".join("any" if d is None else str(d) for d in row) + "]"


def single_input(signature: Signature, framework: str) -> str:
    """The name of the one input a tabular model takes."""
    if len(signature.inputs) != 1:
        names = ", ".join(t.name for t in signature.inputs)
        raise ModelLoadError(f"a {framework} model takes one input; the signature declares {names}",
                             hint="Declare a single input in [signature] of lambdaserve.toml.")
    return signature.inputs[0].name
