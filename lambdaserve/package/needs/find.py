"""The two uses of model-needs discovery: `init` pins them, `build` refuses a package without them."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambdaserve.config import Config, runtime_env
from lambdaserve.config.sources import MODEL_DIR, walk
from lambdaserve.errors import BuildError, ModelLoadError
from lambdaserve.package.needs.local_code import LocalModule, local_modules, unshipped, unshipped_error
from lambdaserve.package.needs.optional_imports import optional_only
from lambdaserve.package.needs.resolve import (
    Need,
    installed_modules,
    model_file_modules,
    to_needs,
    unmapped_notes,
    unmet,
    unmet_error,
)
from lambdaserve.package.process import Runner, run_command, tail
from lambdaserve.runtime.signature import Signature, TensorSpec

PROBE_SOURCE = Path(__file__).with_name("trace_probe.py")
TRACE_TIMEOUT_S = 600.0  # a large model (a transformer) can take minutes to load on a laptop


@dataclass(frozen=True)
class Inspection:
    """What the one traced load of a custom predictor saw: init reads its signature and pins here
    instead of loading the model (and importing its framework) a second time, in its own process."""

    signature: Signature | None = None  # the predictor's own (source "model"); None: it declares none
    versions: dict[str, str] = field(default_factory=dict)  # the known frameworks it imported
    failure: ModelLoadError | None = None  # the load failed: the runtime's message and hint
    sample_outputs: tuple[TensorSpec, ...] | None = None  # its answer to the sample's rows, as specs
    sample_error: str | None = None  # predict raised on the sample's rows: "KeyError: 'Rome'"
    sample_rows: int = 0


@dataclass
class ModelNeeds:
    needs: list[Need] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be traced, and why
    unmapped: dict[str, str] = field(default_factory=dict)  # module -> why, not installed here
    inspection: Inspection | None = None  # a custom predictor's traced load
    local: list[LocalModule] = field(default_factory=list)  # the project's own modules it needs

    @property
    def requirements(self) -> list[str]:
        return [n.requirement for n in self.needs]


def _failed(raw: dict[str, Any]) -> str:
    """What failed in the tracing run, in one line and the user's line that raised it: no traceback."""
    failure = raw.get("failure") or {"message": raw["error"].strip().splitlines()[-1]}
    return str(failure["message"]) + (f" (raised at {failure['where']})" if failure.get("where") else "")


def _inspection(raw: dict[str, Any]) -> Inspection:
    if not raw["loaded"]:
        hint = (raw.get("failure") or {}).get("hint", "")
        return Inspection(failure=ModelLoadError(_failed(raw), hint=hint))
    signature = Signature.from_dict(raw["signature"]) if raw.get("signature") else None
    outputs = raw.get("sample_outputs")
    own = signature is not None and signature.source == "model"
    return Inspection(signature=signature if own else None, versions=dict(raw.get("versions") or {}),
                      sample_outputs=None if outputs is None else tuple(map(TensorSpec.from_dict, outputs)),
                      sample_error=raw.get("sample_error"), sample_rows=int(raw.get("sample_rows", 0)))


def trace_predictor(env: Mapping[str, str], roots: Sequence[Path], *, runner: Runner = run_command,
                    sample: Mapping[str, list[Any]] | None = None
                    ) -> tuple[dict[str, str], list[str], Inspection]:
    """{module: why} that a custom predictor's load + predict imported, traced in a subprocess, the
    notes on what could not be traced, and what the load saw. ``sample``: column -> the first rows
    of a sample, which predict answers too."""
    with tempfile.TemporaryDirectory(prefix="lambdaserve-trace-") as scratch:
        out = Path(scratch) / "trace.json"
        extra: list[str] = []
        if sample is not None:
            rows = Path(scratch) / "sample.json"
            rows.write_text(json.dumps(dict(sample)), encoding="utf-8")
            extra = ["--sample", str(rows)]
        done = runner([sys.executable, "-c", PROBE_SOURCE.read_text(encoding="utf-8"), str(out), *extra,
                       *(str(r) for r in roots)], env=dict(env), cwd=roots[0] if roots else None,
                      timeout=TRACE_TIMEOUT_S)
        if not out.is_file():
            raise BuildError(f"tracing the predictor's imports failed (exit {done.returncode})",
                             hint=tail(done.stderr or done.stdout)
                             or "Run the predictor with python to see why.")
        raw = json.loads(out.read_text(encoding="utf-8"))
    notes = []
    if not raw["loaded"]:
        notes.append(f"the predictor did not load here, so its imports were traced only up to the failure: "
                     f"{_failed(raw)}")
    elif not raw["predicted"]:
        notes.append(f"predict failed here on a zero row, so its imports were traced only up to the failure: "
                     f"{_failed(raw)}" if raw["error"] else
                     "predict was not traced (no [signature] gives every input's shape): modules it "
                     "imports lazily are not pinned; declare [signature] inputs in lambdaserve.toml (or "
                     "give the predictor a signature attribute) and run `lambdaserve init --force` again")
    step = "load + predict" if raw["predicted"] else "load"
    optional = optional_only(raw["modules"], raw.get("importers", []))  # installed here, not needed
    return ({m: f"the predictor's {step} imported {m}" for m in raw["modules"] if m not in optional},
            notes, _inspection(raw))


def model_needs(model: Path, framework: str, *, env: Mapping[str, str], local_roots: Sequence[Path],
                runner: Runner = run_command, sample: Mapping[str, list[Any]] | None = None) -> ModelNeeds:
    """What loading and predicting ``model`` needs, pinned to the versions installed here; for a
    custom predictor also what its traced load saw (``sample``: rows its predict answers too)."""
    found = model_file_modules(model, framework)
    notes: list[str] = []
    inspection = None
    if framework == "custom":
        traced, notes, inspection = trace_predictor(env, local_roots, runner=runner, sample=sample)
        for module, why in traced.items():
            found.setdefault(module, why)
    needs, unmapped = to_needs(found, local_roots)
    local = local_modules(found, local_roots, installed_modules())
    return ModelNeeds(needs, notes, unmapped, inspection=inspection, local=local)


def config_model_needs(config: Config, *, runner: Runner = run_command) -> ModelNeeds:
    """The needs of the model a project's lambdaserve.toml points at."""
    model = config.model
    roots = [config.project_dir] + ([model.model_dir] if model.model_dir != config.project_dir else [])
    return model_needs(model.path, model.framework, env=runtime_env(config), local_roots=roots,
                       runner=runner)


def _refuse_empty_model_folder(config: Config) -> None:
    """A zip keeps files, not empty folders: a model folder with nothing that ships (a predictor
    that reads no file) would not exist in the function, whose load then fails though the project
    folder serves."""
    path = config.model.path
    if path.is_dir() and not config.model.s3_uri and next(walk(path), None) is None:
        raise BuildError(f"model.path {path} holds no file that ships: the package keeps files, not empty "
                         f"folders, so the function would have no {MODEL_DIR}/ folder to load from",
                         hint="Put the files load(model_dir) reads in it (a predictor that reads none: "
                              "any small file, e.g. a README saying so).")


def check_model_needs(config: Config, *, runner: Runner = run_command) -> list[str]:
    """BuildError naming each distribution the model needs that function.requirements would not
    install, or a module of the project it needs that the package would not ship; else the notes
    about what could not be checked (as warnings)."""
    _refuse_empty_model_folder(config)
    found = config_model_needs(config, runner=runner)
    predictor = config.model.predictor or None
    left = unshipped(found.local, model_path=config.model.path, predictor=predictor)
    if left:
        raise unshipped_error(left, project_dir=config.project_dir, model_path=config.model.path,
                              predictor=predictor)
    requirements = config.function.requirements
    missing = unmet(found.needs, requirements)
    if missing:
        raise unmet_error(missing, config.source, requirements)
    return found.notes + unmapped_notes(found.unmapped, requirements)
