"""`lambdaserve init`: inspect a model and write a complete, commented lambdaserve.toml."""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from lambdaserve.cli.init_sample import (
    answered,
    complete_signature,
    declared_categories,
    golden_bodies,
    needs_pandas,
    read_sample,
    sample_rows,
)
from lambdaserve.config import CONFIG_FILE, FunctionConfig, load_config, lock_path
from lambdaserve.config.render import render_config
from lambdaserve.config.requirements import requirement_name
from lambdaserve.config.schema import FRAMEWORKS, PYTHONS
from lambdaserve.errors import BuildError, ConfigError, LambdaServeError, ModelLoadError, UsageError
from lambdaserve.package.deps import write_lock
from lambdaserve.package.needs import ModelNeeds, model_needs, unmapped_notes, unshipped, unshipped_problem
from lambdaserve.runtime import settings as rs
from lambdaserve.runtime.formats import zero_inputs
from lambdaserve.runtime.golden import GOLDEN_FILE
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.loaders.detect import detect_framework
from lambdaserve.runtime.loaders.log import loader_log
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import Signature
from lambdaserve.runtime.table import example_row

# The distribution Lambda should install for each framework module: plain `xgboost` pulls NCCL.
_PIP_NAMES = {"xgboost": "xgboost-cpu", "sklearn": "scikit-learn"}


# Distributions a framework's loader imports, pinned from this environment when the model
# cannot be loaded here to ask it (a TorchScript model without a declared [signature]).
_FRAMEWORK_DISTS = {"torchscript": ("torch", "numpy")}
# Too big for a zip's 250 MB (torch's CPU wheel alone unpacks to ~700 MB): these get an image.
_NEEDS_IMAGE = ("torch", "catboost")  # catboost's wheel alone unpacks to ~270 MB
TORCH_CPU_NOTE = ("torch is pinned to the version installed here. PyPI's Linux torch wheel pulls the "
                  "CUDA libraries (gigabytes); for a CPU-only image build with the CPU index: "
                  "PIP_INDEX_URL=https://download.pytorch.org/whl/cpu "
                  "PIP_EXTRA_INDEX_URL=https://pypi.org/simple lambdaserve build "
                  "(pip reads both; torch==X matches X+cpu).")


def _installed(framework: str) -> list[str]:
    return _installed_dists(_FRAMEWORK_DISTS.get(framework, ()))


def _installed_dists(dists: tuple[str, ...]) -> list[str]:
    found = []
    for dist in dists:
        try:
            found.append(_requirement(dist, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            continue
    return found


def package_for(requirements: list[str]) -> str:
    """'image' when a requirement cannot fit a zip, else 'zip'."""
    names = {requirement_name(r) for r in requirements}
    return "image" if names & set(_NEEDS_IMAGE) else "zip"


def _requirement(name: str, version: str) -> str:
    version = version.split("+", 1)[0]  # drop local tags such as torch's "+cpu"
    return f"{_PIP_NAMES.get(name, name)}=={version}"


def _needs(model: Path, framework: str, predictor: str, sample: dict[str, list[Any]] | None = None,
           declared: Signature | None = None) -> ModelNeeds:
    """What the model itself needs (the file's references, the loader's and a predictor's imports);
    for a predictor, also what its one traced load saw (``sample``: rows its predict answers;
    ``declared``: the [signature] its predict is traced with, on a zero row)."""
    model_dir = model if model.is_dir() else model.parent
    env = {rs.ENV_MODEL_DIR: str(model_dir), rs.ENV_FRAMEWORK: framework, rs.ENV_NAME: "init",
           rs.ENV_WARMUP: "0", **({} if model.is_dir() else {rs.ENV_MODEL_FILE: model.name}),
           **({rs.ENV_PREDICTOR: predictor} if predictor else {}),
           **({rs.ENV_SIGNATURE: declared.to_json()} if declared is not None else {})}
    roots = [Path.cwd()] + ([model_dir] if model_dir != Path.cwd() else [])
    return model_needs(model, framework, env=env, local_roots=roots, sample=sample)


def _declared(target: Path, model: Path, predictor: str) -> Signature | None:
    """The inputs or columns a user declared in the lambdaserve.toml that `init --force` replaces,
    for a custom predictor that cannot describe itself (what init's "declare [signature]" note asks);
    only when that file is for the same model and predictor: another's inputs would be a lie."""
    if not target.is_file():
        return None
    try:
        config = load_config(target)
    except LambdaServeError:  # a broken file is being replaced: nothing declared to keep
        return None
    if config.model.predictor != predictor or config.model.path.resolve() != model:
        return None
    signature = config.signature
    return signature if signature is not None and (signature.inputs or signature.columns) else None


def _left_out(found: ModelNeeds, model: Path, framework: str, predictor: str) -> tuple[str, str] | None:
    """(message, hint) when the model needs a module of the project the package would not ship: a
    pickle referencing it cannot load here either (refused now); a predictor is warned about."""
    left = unshipped(found.local, model_path=model, predictor=predictor or None)
    if not left:
        return None
    problem = unshipped_problem(left, project_dir=Path.cwd().resolve(), model_path=model,
                                predictor=predictor or None)
    if framework != "custom":
        raise BuildError(*problem)
    return problem


def _example(signature: Signature | None) -> str:
    """Rows for init's `next:` line: a record, one value per row (a text model), or rows of values."""
    if signature is not None and signature.columns:
        return json.dumps([example_row(signature.columns)])
    if signature is not None and len(signature.inputs) == 1 and len(signature.inputs[0].shape) == 1:
        return '["..."]' if signature.inputs[0].dtype == "string" else "[...]"
    return "[[...]]"


def _merged(found: ModelNeeds, inspected: list[str]) -> list[str]:
    """The model's needs, plus what loading it here reported (the same names pinned once)."""
    names = {n.distribution for n in found.needs}
    extra = [r for r in inspected if requirement_name(r) not in names]
    return sorted(found.requirements + extra, key=str.lower)


class _ConsoleWarnings(logging.Handler):
    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        self.console.print(f"warning: {record.getMessage()}", markup=False, soft_wrap=True, style="yellow")


def _loader_warnings_to(console: Console) -> None:
    """The loaders' warnings (a pickle runs code...) as init's own lines while the command runs: their
    JSON lines are for CloudWatch, not for a terminal."""
    log = loader_log()  # with its JSON handler, which must stay (the loaders add it when it is gone)
    muted = log.handlers[:]
    shown = _ConsoleWarnings(console)

    def mute(_record: logging.LogRecord) -> bool:
        return False

    for handler in muted:
        handler.addFilter(mute)
    log.addHandler(shown)

    def restore() -> None:
        log.removeHandler(shown)
        for handler in muted:
            handler.removeFilter(mute)

    click.get_current_context().call_on_close(restore)


def _default_name(model: Path) -> str:
    stem = model.stem if model.is_file() else model.name
    name = re.sub(r"[^A-Za-z0-9-]+", "-", stem).strip("-") or "model"
    return name if name[0].isalpha() else f"m-{name}"


def _settings(model: Path, framework: str, predictor: str) -> RuntimeSettings:
    return RuntimeSettings(
        model_dir=model if model.is_dir() else model.parent,
        model_file=None if model.is_dir() else model.name,
        framework=framework, predictor=predictor or None, name="init", api_path="/predict",
        warmup=False, probabilities=False, signature=None, cors_origins=(),
    )


def _inspect(model: Path, framework: str, predictor: str,
             sample: Path | None = None) -> tuple[Signature | None, list[str], str]:
    """Load the model as the runtime will, for its signature and framework versions (not a custom
    predictor's: its tracing run reports them, see init)."""
    try:
        loaded = load_model(_settings(model, framework, predictor))
    except ModelLoadError as exc:
        if framework == "torchscript":
            # It cannot always describe itself: the user declares [signature].
            note = f"{exc.message.rstrip('.')}. Declare the inputs in [signature]."
            return None, _installed(framework), note
        lost = "no known categories" in exc.message
        declared = _sample_categories(model, framework, sample) if lost else None
        if declared is None:
            raise
        # XGBoost before 3.1 kept only codes; a Parquet sample's category columns give the values
        loaded = load_model(replace(_settings(model, framework, predictor), signature=declared))
        return replace(loaded.signature, source="model"), _versions(loaded), ""
    sig = loaded.signature if loaded.signature.source == "model" else None
    return sig, _versions(loaded), ""


def _versions(loaded: Any) -> list[str]:
    return [_requirement(n, v) for n, v in sorted(loaded.versions().items())]


def _sample_categories(model: Path, framework: str, sample: Path | None) -> Signature | None:
    """The model's columns with the sample's training categories, for an XGBoost model that lost them."""
    if sample is None or framework not in ("xgboost", "sklearn"):
        return None
    import xgboost

    if model.suffix.lower() in (".json", ".ubj"):
        booster = xgboost.Booster()
        booster.load_model(str(model))
    else:  # a joblib'd XGBClassifier / XGBRegressor: the loader that failed has just unpickled it
        import joblib

        booster = joblib.load(model).get_booster()
    return declared_categories([str(n) for n in booster.feature_names or ()], read_sample(sample))


def _missing_model_hint(model: Path) -> str:
    """The fix for a --model that is not there, naming a close name in its folder (a typo)."""
    try:
        near = sorted(p.name for p in model.parent.iterdir()) if model.parent.is_dir() else []
    except OSError:
        near = []
    close = difflib.get_close_matches(model.name, near, n=1)
    if close:
        return f"Did you mean {model.parent / close[0]}?"
    return "Pass the path of the trained model file (e.g. model.joblib)."


@click.command("init")
@click.option("--model", "model", required=True, type=click.Path(path_type=Path),
              help="The trained model file or folder.")
@click.option("--name", default=None, help="Function, stack and API name (default: from the model).")
@click.option("--framework", default="auto",
              type=click.Choice(FRAMEWORKS))
@click.option("--predictor", default="",
              help="A custom predictor, 'module:attr': load(model_dir) once, then predict(inputs) with "
                   "inputs = {input or column name: one value or row per request row}, answering "
                   "{output name: one per row}; see the README.")
@click.option("--python", "python", default="3.12", type=click.Choice(PYTHONS),
              help="Lambda Python runtime (3.12: Amazon Linux 2023).")
@click.option("--sample", "sample", default=None, type=click.Path(path_type=Path),
              help="Training rows (.csv or .parquet) that give a table's column types and examples.")
@click.option("--force", is_flag=True, help="Overwrite an existing lambdaserve.toml.")
def init(model: Path, name: str | None, framework: str, predictor: str, python: str, force: bool,
         sample: Path | None) -> None:
    """Inspect MODEL and write lambdaserve.toml in the current folder."""
    console = Console(stderr=True, highlight=False)
    _loader_warnings_to(console)
    target = Path.cwd() / CONFIG_FILE
    if target.is_dir():
        raise ConfigError(f"{target} is a folder, not a file",
                          hint="Move the folder away (or run init in another folder), then run init again.")
    # Mistakes in the command line itself: usage (exit 2), not a wrong lambdaserve.toml (3).
    if target.exists() and not force:
        raise UsageError(f"{target} already exists", hint="Pass --force to overwrite it.")
    model = model.resolve()
    if not model.exists():
        raise UsageError(f"--model {model}: no such file or folder", hint=_missing_model_hint(model))
    if not model.is_relative_to(Path.cwd().resolve()):  # resolved: a symlink out is outside too
        raise UsageError(f"--model {model} is outside the project folder {Path.cwd().resolve()}",
                         hint="lambdaserve packs only what is inside the project: copy the model into "
                              "this folder, or run init in the folder that holds it.")
    if framework == "auto":
        framework = "custom" if predictor else detect_framework(model)
    frame = read_sample(sample) if sample is not None else None
    golden: list[Any] = []
    if framework == "custom":  # loaded once, in the tracing run: this process never imports its stack
        declared = _declared(target, model, predictor) if frame is None else None
        if declared is not None:
            console.print(f"kept the [signature] declared in {target}: predict is traced with it",
                          markup=False, soft_wrap=True)
        found = _needs(model, framework, predictor, None if frame is None else sample_rows(frame), declared)
        left_out = _left_out(found, model, framework, predictor)
        assert found.inspection is not None
        if found.inspection.failure is not None:
            raise found.inspection.failure
        signature, note = found.inspection.signature or declared, ""
        inspected = [_requirement(n, v) for n, v in sorted(found.inspection.versions.items())]
        if frame is not None:
            signature = answered(complete_signature(signature, frame), found.inspection)
            golden = golden_bodies(frame, signature)  # what build proves the package answers
    else:
        found = _needs(model, framework, predictor)  # before loading: a file that is no model says so here
        left_out = _left_out(found, model, framework, predictor)
        signature, inspected, note = _inspect(model, framework, predictor, sample)
        if frame is not None:
            signature = complete_signature(signature, frame)
    requirements = _merged(found, inspected)
    # scikit-learn gets the training DataFrame rebuilt (LightGBM's loader pins pandas itself; a
    # custom predictor gets plain lists, CatBoost plain rows)
    if framework == "sklearn" and needs_pandas(signature) and not any(
            r.startswith("pandas==") for r in requirements):
        requirements = sorted([*requirements, *_installed_dists(("pandas",))])
    package = package_for(requirements)
    if any(r.startswith("torch==") for r in requirements):
        note = f"{note}\n{TORCH_CPU_NOTE}" if note else TORCH_CPU_NOTE
    text = render_config(package=package,
        name=name or _default_name(model),
        model_path=os.path.relpath(model, Path.cwd()),
        framework=framework, predictor=predictor, requirements=requirements,
        signature=signature, python=python,
        header=f"Written by `lambdaserve init` for a {framework} model." + (f"\n{note}" if note else ""),
    )
    target.write_text(text, encoding="utf-8")
    if signature is not None or framework not in ("torchscript", "custom"):
        load_config(target)  # what init writes must load; fail here rather than at deploy
    # markup=False: paths and notes hold brackets such as [signature] that rich would eat.
    console.print(f"wrote {target} ({framework}, package {package}; requirements: "
                  f"{', '.join(requirements) or 'none'})",
                  markup=False, soft_wrap=True)
    for need in found.needs:
        console.print(f"  {need.requirement}: {need.reason}", markup=False, soft_wrap=True)
    named = {n.requirement for n in found.needs}
    for requirement in requirements:  # what loading the model here reported beyond the file's own needs
        if requirement not in named:
            console.print(f"  {requirement}: the runtime's {framework} loader used it for this model, "
                          "loaded here", markup=False, soft_wrap=True)
    _write_lock(console, target, requirements, python)
    for line in found.notes + unmapped_notes(found.unmapped):
        console.print(f"note: {line}", markup=False, soft_wrap=True, style="yellow")
    for line in note.splitlines():
        console.print(f"note: {line}", markup=False, soft_wrap=True, style="yellow")
    if left_out:
        console.print(f"warning: {left_out[0]}\nhint: {left_out[1]}", markup=False, soft_wrap=True,
                      style="yellow")
    if framework == "custom":
        _golden_note(console, golden, signature)
    console.print(f"next: lambdaserve invoke --data '{_example(signature)}'   or   lambdaserve serve",
                  markup=False, soft_wrap=True)


def _write_lock(console: Console, config_file: Path, requirements: list[str], python: str) -> None:
    """The requirements' dependencies pinned to this environment (what `lambdaserve lock` writes)."""
    lock = lock_path(config_file)
    try:
        found = write_lock(lock, requirements, python, FunctionConfig().architecture)
    except LambdaServeError as exc:
        console.print(f"note: {lock.name} not written: {exc.message} ({exc.hint})", markup=False,
                      soft_wrap=True, style="yellow")
        return
    console.print(f"wrote {lock} ({len(found.pins)} dependencies pinned to the versions installed here: "
                  + (", ".join(p.requirement for p in found.pins.values()) or "none") + ")",
                  markup=False, soft_wrap=True)
    for name, via in found.missing.items():
        console.print(f"note: {name} (via {', '.join(via) or '?'}) is not installed here, so {lock.name} "
                      "does not pin it: the resolver chooses its version at build",
                      markup=False, soft_wrap=True, style="yellow")


def _golden_note(console: Console, golden: list[Any], signature: Signature | None) -> None:
    """A custom predictor's golden requests: the sample's rows, or a plain word on what build checks
    without them (a row of zeros when the signature gives every input's shape, else nothing)."""
    path = Path.cwd() / GOLDEN_FILE
    if path.exists():
        console.print(f"note: kept the existing {GOLDEN_FILE}: build proves the package answers its requests",
                      markup=False, soft_wrap=True)
    elif golden:
        path.write_text(json.dumps(golden, indent=1) + "\n", encoding="utf-8")
        console.print(f"wrote {path} ({len(golden[0])} sample rows): `lambdaserve build` proves the package "
                      "answers them, and deploy's smoke test checks the deployed function answers the same",
                      markup=False, soft_wrap=True)
    elif signature is not None and zero_inputs(signature) is not None:
        # build makes its one request from the signature (build_proof._signature_bodies)
        console.print("note: no golden requests of real rows: build and deploy check that the predictor "
                      "loads and answers a row of zeros made from its signature, not that it answers "
                      f"right. Pass --sample rows.csv, or write request bodies in {GOLDEN_FILE} "
                      "(e.g. [{\"data\": [[...]]}])", markup=False, soft_wrap=True, style="yellow")
    else:
        console.print("note: no golden requests: nothing tells lambdaserve what this predictor's inputs "
                      "look like, so build and deploy can check only that it loads. Pass --sample rows.csv, "
                      f"or write request bodies in {GOLDEN_FILE} (e.g. [{{\"data\": [[...]]}}])",
                      markup=False, soft_wrap=True, style="yellow")


COMMANDS = [init]
