"""A project's model converted to ONNX, verified against the original, with a config to build it.

The original stays as it is. Next to it go ``<model>.onnx`` (for a sentence-transformers folder,
``<folder>-onnx/`` with the graph and its tokenizer) and ``lambdaserve.onnx.toml``: the
same project with model.framework = "onnx" and the requirements swapped for onnxruntime, so
``lambdaserve build --config lambdaserve.onnx.toml`` makes the small zip.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import tomlkit

from lambdaserve.config import Config, load_config, runtime_env
from lambdaserve.config.requirements import requirement_name
from lambdaserve.convert.missing import check_nulls, mark_nullable
from lambdaserve.convert.sample import generated_rows, rows_from_file
from lambdaserve.convert.text_onnx import (
    MIN_COSINE,
    SAMPLE_TEXTS,
    convert_text,
    is_sentence_transformer,
    read_texts,
)
from lambdaserve.convert.tolerance import Tolerance, compare
from lambdaserve.errors import ConvertError
from lambdaserve.runtime.atomic import Replacing
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.settings import RuntimeSettings

ONNX_CONFIG = "lambdaserve.onnx.toml"
CONVERTIBLE = ("sklearn", "torchscript", "lightgbm", "xgboost")
# What the native model needed and the ONNX one does not.
_NATIVE_PACKAGES = {"scikit-learn", "sklearn", "joblib", "skops", "scipy", "threadpoolctl", "torch", "pandas",
                    "sentence-transformers", "transformers", "huggingface-hub", "safetensors", "tqdm",
                    "hf-xet", "pillow", "regex", "lightgbm", "xgboost", "xgboost-cpu"}
_RUNTIME_PACKAGES = ("onnxruntime", "numpy")
_TEXT_PACKAGES = ("onnxruntime", "numpy", "tokenizers")


@dataclass(frozen=True)
class Converted:
    framework: str  # the original's
    onnx_path: Path
    config_path: Path
    rows: int  # how many rows the check ran on
    rows_from: str
    outputs: tuple[str, ...]
    tolerance: Tolerance
    onnx_bytes: int = 0
    check: str = ""  # what was compared, in words (labels and scores, or embeddings' cosines)
    nulls: str = ""  # whether the ONNX model serves a request's null, and why (empty: no input takes one)


def _pin(name: str) -> str:
    try:
        return f"{name}=={version(name).split('+')[0]}"
    except PackageNotFoundError:
        return name


def _requirements(existing: list[str], runtime: tuple[str, ...] = _RUNTIME_PACKAGES) -> list[str]:
    kept = [r for r in existing if requirement_name(r) not in _NATIVE_PACKAGES
            and requirement_name(r) not in runtime]
    return [*kept, *(_pin(p) for p in runtime)]


def _onnx_bytes(config: Config, native: Any, float64: bool) -> bytes:
    if native.framework == "lightgbm":  # model.txt, or an LGBM* pickle the sklearn loader handed over
        from lambdaserve.convert.trees_onnx import to_onnx as lightgbm_to_onnx

        return lightgbm_to_onnx(native, native.signature, float64=float64)
    if native.framework == "xgboost":
        from lambdaserve.convert.trees_onnx import xgboost_to_onnx

        return xgboost_to_onnx(native, native.signature, float64=float64)
    if config.model.framework == "sklearn":
        from lambdaserve.convert.sklearn_onnx import to_onnx

        return to_onnx(native.estimator, native.signature, float64=float64)
    from lambdaserve.convert.torch_onnx import to_onnx as torch_to_onnx

    return torch_to_onnx(config.model.path, native.signature)


def _write_config(config: Config, onnx_path: Path, target: Path, summary: str, text: bool = False) -> None:
    doc = tomlkit.parse(config.source.read_text(encoding="utf-8"))
    model = doc.setdefault("model", tomlkit.table())
    model["path"] = os.path.relpath(onnx_path, config.project_dir)
    model["framework"] = "onnx"
    if "predictor" in model:
        model["predictor"] = ""
    if text and "signature" in doc:
        del doc["signature"]  # the tokenizer and the graph define it: one text in, one embedding out
    function = doc.setdefault("function", tomlkit.table())
    function["requirements"] = _requirements(list(config.function.requirements),
                                             _TEXT_PACKAGES if text else _RUNTIME_PACKAGES)
    function["package"] = "zip"  # the slim path: onnxruntime fits a zip where torch needed an image
    header = (f"# Made by `lambdaserve convert --to onnx` from {config.source.name} "
              f"({config.model.framework}: {config.model.path.name}).\n# {summary}\n"
              f"# Build it with: lambdaserve build --config {target.name}\n")
    target.write_text(header + tomlkit.dumps(doc), encoding="utf-8")


DEFAULT_TOLERANCE = Tolerance()


def convert_project(config: Config, *, data: Path | None = None, tolerance: Tolerance = DEFAULT_TOLERANCE,
                    output: Path | None = None, float64: bool = False) -> Converted:
    """Convert, verify on rows (``data``'s, else made from the signature), write; refuse with a
    ConvertError when the converter cannot or the answers differ."""
    framework = config.model.framework
    if config.function.python == "3.11" and (framework in CONVERTIBLE or is_sentence_transformer(
            config.model.path)):
        raise ConvertError("onnxruntime's current wheels need glibc 2.28; the python3.11 runtime has 2.26",
                           hint='Set function.python = "3.12" (Amazon Linux 2023) in lambdaserve.toml.')
    if is_sentence_transformer(config.model.path):
        return _convert_text(config, data, output)
    if framework not in CONVERTIBLE:
        raise ConvertError(f"lambdaserve converts scikit-learn, LightGBM, XGBoost, TorchScript and "
                           f"sentence-transformers models, not {framework!r}",
                           hint="An ONNX model is already slim; export other frameworks to .onnx yourself.")
    settings = RuntimeSettings.from_env(runtime_env(config))
    native = load_model(settings)
    signature = native.signature
    rows = rows_from_file(data, signature) if data else generated_rows(signature)
    count = len(next(iter(rows.values())))
    onnx_path = output or config.model.path.with_suffix(".onnx")
    with Replacing(onnx_path) as staging:  # renamed into place only once verified
        staging.write_bytes(_onnx_bytes(config, native, float64))
        converted = load_model(dataclasses.replace(settings, model_dir=staging.parent,
                                                   model_file=staging.name, framework="onnx"))
        probabilities = signature.has_proba
        want = native.predict(rows, probabilities=probabilities)
        got = converted.predict(rows, probabilities=probabilities)
        problems = compare(want, got, tolerance)
        if problems:
            from lambdaserve.convert.sklearn_onnx import PITFALLS

            raise ConvertError(
                f"the ONNX model answers differently on {count} sample rows: " + "; ".join(problems),
                hint=(PITFALLS if framework == "sklearn" and native.framework == "sklearn" else
                      "LightGBM's ONNX trees compare float32 values: a feature within float32 rounding "
                      "of a split threshold can take the other branch; keep the native model, or loosen "
                      "--atol/--rtol if acceptable." if native.framework == "lightgbm" else
                      "Check for operators whose ONNX version differs (e.g. in-place ops, float64), or "
                      "loosen --atol/--rtol if acceptable.")
                + " Nothing was written; the native model is unchanged.")
        nan = check_nulls(native, converted, rows, probabilities=probabilities, tolerance=tolerance)
        if nan.carried:
            staging.write_bytes(mark_nullable(staging.read_bytes(), nan.inputs))
            _confirm_nullable(dataclasses.replace(settings, model_dir=staging.parent,
                                                  model_file=staging.name, framework="onnx"), nan.inputs)
    rows_from = f"--data {data}" if data else "generated from the signature"
    nulls = [c.name for c in signature.columns if c.dtype == "string" and c.nullable]
    with_null = sum(any(rows[name][i] is None for name in nulls) for i in range(count))
    if with_null:  # the graph feeds null as the pipeline does (convert/sklearn_nulls.py), checked here
        rows_from += f"; {with_null} with null in {', '.join(nulls)}"
    summary = (f"Verified on {count} rows ({rows_from}): labels exactly, scores within {tolerance}."
               + (f"\n# {nan.describe()}." if nan.inputs else ""))
    target = config.project_dir / ONNX_CONFIG
    _write_config(config, onnx_path, target, summary)
    load_config(target)  # the file written must be one lambdaserve accepts
    return Converted(framework, onnx_path, target, count, rows_from, tuple(want), tolerance,
                     onnx_path.stat().st_size, f"labels exactly, scores within {tolerance}", nan.describe())


def _confirm_nullable(settings: RuntimeSettings, names: tuple[str, ...]) -> None:
    """The marked graph, loaded as the function loads it, takes null in exactly those inputs."""
    taken = tuple(s.name for s in load_model(settings).signature.inputs if s.nullable)
    if taken != names:
        raise ConvertError(f"the ONNX model takes null in {', '.join(taken) or 'no input'}, not in "
                           f"{', '.join(names)} as checked",
                           hint="This is a bug in lambdaserve; please report it.")


def _convert_text(config: Config, data: Path | None, output: Path | None) -> Converted:
    """A sentence-transformers folder to <folder>-onnx/ (model.onnx + tokenizer.json), verified by
    the cosine of the runtime's embeddings to the original's."""
    source = config.model.path
    target = output or source.with_name(f"{source.name}-onnx")
    if target.resolve() == source.resolve() or source.resolve() in target.resolve().parents:
        raise ConvertError(f"--output {target} would overwrite the original model",
                           hint="Give a folder outside the model folder.")
    texts = read_texts(data) if data else list(SAMPLE_TEXTS)
    settings = RuntimeSettings.from_env(runtime_env(config))

    def embeddings(folder: Path, texts: list[str]) -> Any:
        converted = load_model(dataclasses.replace(settings, model_dir=folder, model_file=None,
                                                   framework="onnx", predictor=None, signature=None))
        return converted.predict({"text": texts})["embedding"]

    lowest = convert_text(source, target, texts, embeddings)
    rows_from = f"--data {data}" if data else "lambdaserve's sample texts"
    check = f"embeddings' cosine to the original's >= {MIN_COSINE} (lowest {lowest:.6f})"
    summary = f"Verified on {len(texts)} texts ({rows_from}): {check}."
    config_path = config.project_dir / ONNX_CONFIG
    _write_config(config, target, config_path, summary, text=True)
    load_config(config_path)  # the file written must be one lambdaserve accepts
    return Converted("sentence-transformers", target, config_path, len(texts), rows_from, ("embedding",),
                     DEFAULT_TOLERANCE, (target / "model.onnx").stat().st_size, check)
