"""What the model needs to load and predict, as pinned distributions with the reason for each.

Sources of modules: the globals a pickle/joblib/skops file names (read without loading it),
the modules the runtime's loader imports for the framework, and for a custom predictor the
modules a traced load + predict imported. Modules map to the distributions installed here
(``importlib.metadata.packages_distributions``), pinned to the versions installed here: where
the model was trained. The stdlib, lambdaserve itself and the project's own code are not
requirements.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from packaging.utils import canonicalize_name

from lambdaserve.config.requirements import SAME_MODULES, installed_version, requirement_name
from lambdaserve.errors import BuildError
from lambdaserve.package.needs.pickle_refs import PickleRefs, not_a_model, pickle_refs, skops_refs
from lambdaserve.runtime.atomic import replace_text
from lambdaserve.runtime.loaders.detect import model_files
from lambdaserve.runtime.loaders.onnx import TOKENIZER_FILE, is_text_model

# The distribution Lambda should install for a module's distribution: plain `xgboost` pulls NCCL.
PIP_NAMES = {"xgboost": "xgboost-cpu"}
# Where a module's distribution is named otherwise, for when it is not installed here to ask.
MODULE_DISTS = {"sklearn": "scikit-learn", "yaml": "pyyaml", "PIL": "pillow", "skimage": "scikit-image"}
# What the runtime's loader imports, beyond what the model file names (lambdaserve/runtime/loaders).
LOADER_MODULES: Mapping[str, tuple[str, ...]] = {
    "sklearn": ("sklearn", "numpy"), "onnx": ("onnxruntime", "numpy"),
    "torchscript": ("torch", "numpy"), "xgboost": ("xgboost", "numpy"),
}
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
# Modules a pickle names that come with Python under another name (Python 2 pickles).
_PY2_BUILTINS = {"__builtin__", "copy_reg"}


@dataclass(frozen=True)
class Need:
    """A distribution the model needs, why, and the version installed here ("" when not installed)."""

    distribution: str  # canonical name, as pip installs it for Lambda (PIP_NAMES applied)
    version: str
    module: str  # the top-level module that is needed
    reason: str

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}" if self.version else self.distribution


@cache
def _module_dists() -> dict[str, list[str]]:
    """packages_distributions() (every installed distribution's file list read: ~0.2 CPU-s),
    kept in the user's cache while no folder on sys.path changed (an install or uninstall adds
    or removes a .dist-info there, which moves the folder's modification time)."""
    from lambdaserve.package.deps.layer import shared_cache
    from lambdaserve.package.deps.trim_reuse import stat_signature

    # The working folder (the project, on sys.path under `python -m`) changes with every build:
    # it is left out of the key, and the map is not kept while it holds a distribution itself.
    here = os.getcwd()
    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    if any(name.endswith((".dist-info", ".egg-info")) for name in os.listdir(here)):
        return {m: list(d) for m, d in importlib.metadata.packages_distributions().items()}
    signature = {"python": sys.executable, "path": {p: stat_signature(p) for p in path}}
    record = shared_cache() / "module-distributions" / (
        hashlib.sha256(json.dumps([sys.executable, path]).encode()).hexdigest()[:32] + ".json")
    try:
        kept = json.loads(record.read_text(encoding="utf-8"))
        if kept["signature"] == json.loads(json.dumps(signature)):
            return {str(m): [str(d) for d in dists] for m, dists in kept["dists"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    found = {m: list(d) for m, d in importlib.metadata.packages_distributions().items()}
    with contextlib.suppress(OSError):  # a read-only cache: read afresh next time
        record.parent.mkdir(parents=True, exist_ok=True)
        replace_text(record, json.dumps({"signature": signature, "dists": found}))
    return found


def installed_modules() -> Collection[str]:
    """The top-level modules the distributions installed here provide (the kept map's keys)."""
    return _module_dists().keys()


def distribution_of(module: str) -> str | None:
    """The installed distribution (canonical name) that provides a top-level module here."""
    dists = _module_dists().get(module)
    if not dists:
        return None
    names = sorted({canonicalize_name(d) for d in dists})
    return next((n for n in names if n in PIP_NAMES.values()), names[0])  # xgboost-cpu over xgboost


def _distribution(module: str) -> str | None:
    name = distribution_of(module)
    return None if name is None else PIP_NAMES.get(name, name)


def is_external(module: str, local_roots: Sequence[Path]) -> bool:
    """A module that a requirement must provide: not the stdlib, lambdaserve or the project's code."""
    if not module or module in sys.stdlib_module_names or module in _PY2_BUILTINS:
        return False
    if module in ("lambdaserve", "__main__"):
        return False
    return not any((root / f"{module}.py").is_file() or (root / module / "__init__.py").is_file()
                   or (root / module).is_dir() for root in local_roots)


def to_needs(found: Mapping[str, str], local_roots: Sequence[Path]) -> tuple[list[Need], dict[str, str]]:
    """Needs for {top-level module: reason}, and the modules no distribution installed here provides."""
    by_dist: dict[str, Need] = {}
    unmapped = {}
    for module, reason in found.items():
        if not is_external(module, local_roots):
            continue
        dist = _distribution(module)
        if dist is None:  # not a requirement we could name: it is reported, not guessed
            unmapped[module] = reason
            continue
        by_dist.setdefault(dist, Need(dist, installed_version(dist) or "", module, reason))
    return sorted(by_dist.values(), key=lambda n: n.distribution), unmapped


def unmapped_notes(unmapped: Mapping[str, str], requirements: Iterable[str] = ()) -> list[str]:
    """Notes for modules not installed here, but for those a requirement plainly provides."""
    listed = {requirement_name(r) for r in requirements}
    return [f"{module}: {reason}, but it is not installed here, and not in the project: nothing here "
            "tells which distribution provides it, so it is not pinned (the function cannot import it "
            "unless a requirement does)"
            for module, reason in unmapped.items()
            if canonicalize_name(MODULE_DISTS.get(module, module)) not in listed]


def _file_refs(path: Path) -> PickleRefs | None:
    suffix = path.suffix.lower()
    if suffix in _PICKLE_SUFFIXES:
        return pickle_refs(path)
    if suffix == ".skops":
        return skops_refs(path)
    return None


def model_file_modules(path: Path, framework: str) -> dict[str, str]:
    """{top-level module: why} for a model file: what it names, and what its loader imports."""
    found: dict[str, str] = {}
    if framework == "sklearn" and path.is_dir():
        files = [p for p in model_files(path) if p.suffix.lower() in (*_PICKLE_SUFFIXES, ".skops")]
        path = files[0] if len(files) == 1 else path  # the one file the runtime would load
    if framework == "sklearn" and path.is_file():
        refs = _file_refs(path)
        if refs is None:
            raise not_a_model(path, f"scikit-learn models are .joblib, .pkl, .pickle or .skops files, not "
                                    f"{path.suffix or 'a file without a suffix'}",
                              "Save the model with joblib.dump(model, 'model.joblib').")
        for module, name in refs.globals:  # the first one names the outermost object
            found.setdefault(module.split(".", 1)[0], f"the model file references {module}.{name}")
        if path.suffix.lower() == ".skops":
            found.setdefault("skops", "the runtime reads .skops files with skops.io")
        else:
            found.setdefault("joblib", "the runtime reads pickles with joblib.load")
        if refs.compression == "lz4":  # the other compressions are the stdlib's
            found.setdefault("lz4", "the model file is lz4-compressed: joblib.load reads it with lz4.frame")
        if "feature_names_in_" in refs.attributes and any(
                name == "ColumnTransformer" for _, name in refs.globals):
            found.setdefault("pandas", "the model holds a ColumnTransformer fitted on a DataFrame "
                                       "(feature_names_in_): it selects columns by name, so the runtime "
                                       "passes it rows as a pandas DataFrame")
    for module in LOADER_MODULES.get(framework, ()):
        found.setdefault(module, f"the runtime's {framework} loader imports {module}")
    if framework == "onnx" and is_text_model(path):
        found.setdefault("tokenizers", f"the model folder holds {TOKENIZER_FILE}: the runtime's onnx loader "
                                       "tokenizes the texts with tokenizers")
    return found


@cache
def _requires(dist: str) -> tuple[str, ...]:
    try:
        raw = importlib.metadata.requires(dist) or []
    except importlib.metadata.PackageNotFoundError:
        return ()
    return tuple(requirement_name(r) for r in raw if "extra ==" not in r.replace("extra==", "extra =="))


def installed_with(requirements: Iterable[str]) -> set[str]:
    """The listed distributions and, as far as this environment's metadata tells, what they pull in."""
    seen: set[str] = set()
    todo = [requirement_name(r) for r in requirements]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in SAME_MODULES:
            seen.add(SAME_MODULES[name])
        todo += _requires(name)
    return seen


def unmet(needs: Iterable[Need], requirements: Iterable[str]) -> list[Need]:
    """The needs that neither a requirement nor what the requirements pull in would install."""
    installed = installed_with(requirements)
    return [n for n in needs if n.distribution not in installed]


def unmet_error(missing: Sequence[Need], config_file: Path, requirements: Sequence[str]) -> BuildError:
    lines = "\n".join(f"  {n.requirement}: {n.reason}" for n in missing)
    wanted = [*requirements, *(n.requirement for n in missing)]
    line = "requirements = [" + ", ".join(f'"{r}"' for r in wanted) + "]"
    return BuildError(
        f"the model needs {', '.join(n.distribution for n in missing)}, which function.requirements in "
        f"{config_file} does not install: the deployed function could not load it or predict.\n{lines}",
        hint=f"Set function.requirements in {config_file} to:\n  {line}")
