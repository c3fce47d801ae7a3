"""What goes into the function besides dependencies: the runtime, the user's code and the model.

The runtime is exactly ``lambdaserve/__init__.py``, ``lambdaserve/errors.py`` and
``lambdaserve/runtime/**``: nothing of the CLI, build, cloud, emulator or config ships. With
``api.docs = true`` the try-it page's vendored Swagger UI joins it, at the same relative place
(``lambdaserve/vendor/swagger_ui/``) where ``lambdaserve.runtime.docs`` looks for it.

User code rule: for a custom predictor ``pkg.module:Attr``, the top-level module ``pkg``
is taken from the project folder, either the package folder ``pkg/`` or the file
``pkg.py``, with everything under it except caches and hidden files. If it is not in the
project folder it must come from a requirement. Other project files are not shipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import lambdaserve
from lambdaserve.config import Config
from lambdaserve.errors import BuildError

MODEL_DIR = "model"  # the zip's model folder: /var/task/model (lambdaserve.config.ZIP_MODEL_DIR)
RESERVED_TOP = {"lambdaserve", MODEL_DIR}
_SKIP_DIRS = {"__pycache__", ".lambdaserve", ".git", ".venv", ".mypy_cache", ".pytest_cache"}


@dataclass(frozen=True)
class SourceFile:
    name: str  # posix path inside the package
    path: Path


def _walk(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel):
            continue
        if path.is_file() and path.suffix not in (".pyc", ".pyo"):
            yield path


def runtime_files() -> list[SourceFile]:
    """The part of lambdaserve that runs inside the function."""
    package = Path(lambdaserve.__file__).resolve().parent
    files = [SourceFile("lambdaserve/__init__.py", package / "__init__.py"),
             SourceFile("lambdaserve/errors.py", package / "errors.py")]
    runtime = package / "runtime"
    files += [SourceFile("lambdaserve/runtime/" + p.relative_to(runtime).as_posix(), p)
              for p in _walk(runtime)]
    return files


def docs_files(config: Config) -> list[SourceFile]:
    """The try-it page's vendored files when api.docs is on; nothing otherwise."""
    if not config.api.docs:
        return []
    from lambdaserve.runtime import docs

    missing = docs.missing_assets()
    if missing:
        raise BuildError(f"api.docs is on but {', '.join(missing)} is missing from {docs.ASSET_DIR}",
                         hint="Reinstall lambdaserve, or run scripts/vendor_swagger_ui.sh in a checkout.")
    root = Path(lambdaserve.__file__).resolve().parent
    return [SourceFile(p.relative_to(root.parent).as_posix(), p) for p in _walk(docs.ASSET_DIR)]


def predictor_module(config: Config) -> str | None:
    """The top-level module of model.predictor ('pkg' of 'pkg.mod:Attr'), if any."""
    if not config.model.predictor:
        return None
    return config.model.predictor.split(":", 1)[0].split(".", 1)[0]


def user_code_files(config: Config) -> list[SourceFile]:
    """The predictor's package or module from the project folder; empty if it is not there."""
    top = predictor_module(config)
    if top is None:
        return []
    if top in RESERVED_TOP:
        raise BuildError(f"model.predictor's module '{top}' clashes with the zip's own '{top}/' folder",
                         hint="Rename your predictor's package (e.g. 'my_predictor').")
    project = config.project_dir
    folder, single = project / top, project / f"{top}.py"
    if folder.is_dir():
        return [SourceFile(f"{top}/" + p.relative_to(folder).as_posix(), p) for p in _walk(folder)]
    if single.is_file():
        return [SourceFile(f"{top}.py", single)]
    return []


def model_files(config: Config) -> list[SourceFile]:
    """The model under model/: the file itself, or the folder's contents."""
    path = config.model.path
    if path.is_file():
        return [SourceFile(f"{MODEL_DIR}/{path.name}", path)]
    return [SourceFile(f"{MODEL_DIR}/" + p.relative_to(path).as_posix(), p) for p in _walk(path)]
