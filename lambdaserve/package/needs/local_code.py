"""The project's own modules a model needs, and whether the package ships them.

From the project folder a zip or an image takes only the model (under model/) and a custom
predictor's top-level module (config/sources.py). In the function, a custom predictor and a
pickled model whose model.path is a folder also import from that folder (runtime/loaders/custom.py
and sklearn.py append it to sys.path); nothing else of the project is there. `invoke` and `serve`
of the project folder import the rest from the folder, so a model that needs another module of
the project answers there and cannot load once built: init and build say so first, naming the
module's file and where to move it.
"""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lambdaserve.errors import BuildError


@dataclass(frozen=True)
class LocalModule:
    """A top-level module that the project (or the model folder) holds, and why it is needed."""

    module: str
    path: Path  # the module's file, or its package folder
    reason: str


def _where(module: str, roots: Sequence[Path], installed: Collection[str]) -> Path | None:
    """The file or package folder of ``module`` in the first root that has it. A folder without
    __init__.py counts only if it holds Python files and no installed distribution has the
    module: an installed package wins over such a namespace portion (a data folder named xgboost/)."""
    for root in roots:
        file, folder = root / f"{module}.py", root / module
        if file.is_file() or (folder / "__init__.py").is_file():
            return file if file.is_file() else folder
        if folder.is_dir() and module not in installed and any(folder.glob("*.py")):
            return folder
    return None


def local_modules(found: Mapping[str, str], roots: Sequence[Path],
                  installed: Collection[str] | None = None) -> list[LocalModule]:
    """The modules of ``found`` ({module: why}) that the first of ``roots`` holding them provides;
    ``installed``: the top-level modules installed distributions provide (default: this Python's)."""
    if installed is None:
        installed = importlib.metadata.packages_distributions().keys()
    out = []
    for module, reason in found.items():
        if not module or module in sys.stdlib_module_names or module in ("lambdaserve", "__main__"):
            continue
        path = _where(module, roots, installed)
        if path is not None:
            out.append(LocalModule(module, path, reason))
    return out


def unshipped(modules: Sequence[LocalModule], *, model_path: Path,
              predictor: str | None) -> list[LocalModule]:
    """Those of ``modules`` the package leaves out: all but the predictor's own top-level module
    and what sits inside a model folder (it ships whole, on sys.path for a predictor and a pickle)."""
    top = predictor.split(":", 1)[0].split(".", 1)[0] if predictor else None
    folder = model_path.resolve() if model_path.is_dir() else None
    return [m for m in modules
            if m.module != top and not (folder is not None and m.path.resolve().is_relative_to(folder))]


def unshipped_problem(left: Sequence[LocalModule], *, project_dir: Path, model_path: Path,
                      predictor: str | None) -> tuple[str, str]:
    """(message, hint) for modules the package would leave out."""

    def shown(path: Path) -> str:
        rel = path.relative_to(project_dir) if path.is_relative_to(project_dir) else path
        return f"{rel.as_posix()}/" if path.is_dir() else rel.as_posix()

    files = ", ".join(shown(m.path) for m in left)
    names = ", ".join(f"'{m.module}'" for m in left)
    why = left[0].reason
    locally = ("`invoke` and `serve` of the project folder import it from there, but the built function "
               "could not")
    if predictor:
        top = predictor.split(":", 1)[0].split(".", 1)[0]
        message = (f"the predictor needs {names} ({files}, {why}), which the package does not ship: from the "
                   f"project folder it takes only the predictor's module '{top}' and the model; {locally}")
        if model_path.is_dir():
            hint = (f"Move {files} into the model folder {shown(model_path)} with any files it reads: that "
                    "folder ships whole and the predictor imports from it, under the same name.")
        else:
            hint = (f"Make the predictor a package: a folder with an __init__.py holding '{top}' and {files} "
                    "(with any files they read), named in model.predictor ('package.module:Attr').")
        return message, hint
    message = (f"the model needs {names} ({files}, {why}), your own code in the project folder, which the "
               "package does not ship: the built function could not load the model")
    if model_path.is_dir():
        hint = (f"Move {files} into the model folder {shown(model_path)} with any files they read: that "
                "folder ships whole and the model imports from it, under the same names.")
    else:
        hint = (f"Make model.path a folder holding {model_path.name} and {files} (e.g. "
                f"model/{model_path.name} and model/{left[0].path.name}; `lambdaserve init --model model`): "
                "that folder ships whole and the model imports from it, under the same names.")
    return message, hint


def unshipped_error(left: Sequence[LocalModule], *, project_dir: Path, model_path: Path,
                    predictor: str | None) -> BuildError:
    return BuildError(*unshipped_problem(left, project_dir=project_dir, model_path=model_path,
                                         predictor=predictor))
