"""Which of the project's files ship as the user's code: one rule, read by package (what it packs)
and doctor (what it scans for code that fails on Lambda).

For a custom predictor ``pkg.module:Attr``, the top-level module ``pkg`` is taken from the project
folder, either the package folder ``pkg/`` or the file ``pkg.py``, with everything under it except
what is never code of the user's: caches, hidden files and folders (.lambdaserve's build output,
.venv, .git), virtualenvs, site-packages and lambdaserve's own cache folder
(``LAMBDASERVE_CACHE_DIR`` may point inside the project). Other project files do not ship.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lambdaserve.config.model import Config
from lambdaserve.errors import BuildError

MODEL_DIR = "model"  # the zip's model folder: /var/task/model (config.env.ZIP_MODEL_DIR)
RESERVED_TOP = {"lambdaserve", MODEL_DIR}  # the zip's own top-level folders
_SKIP_DIRS = {"__pycache__", "site-packages", "node_modules"}
_VENV_MARK = "pyvenv.cfg"  # what makes a folder a virtualenv, whatever its name


@dataclass(frozen=True)
class SourceFile:
    name: str  # posix path inside the package
    path: Path


def shared_cache() -> Path:
    """This user's cache, shared by all their projects: dependency layers (deps/) and wheels.

    $LAMBDASERVE_CACHE_DIR, else $XDG_CACHE_HOME/lambdaserve, else ~/.cache/lambdaserve.
    """
    chosen = os.environ.get("LAMBDASERVE_CACHE_DIR")
    if chosen:
        return Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lambdaserve"


def _kept_dir(folder: Path, name: str, cache: Path) -> bool:
    if name in _SKIP_DIRS or name.startswith("."):
        return False
    path = folder / name
    return not (path / _VENV_MARK).is_file() and path.resolve() != cache


def walk(root: Path) -> Iterator[Path]:
    """The files under ``root`` that ship, sorted; skipped folders are not entered at all (a cache
    or a virtualenv can hold hundreds of thousands of files)."""
    cache = shared_cache().resolve()
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if _kept_dir(here, d, cache)]
        found += [here / f for f in files
                  if not f.startswith(".") and not f.endswith((".pyc", ".pyo")) and (here / f).is_file()]
    yield from sorted(found)


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
        return [SourceFile(f"{top}/" + p.relative_to(folder).as_posix(), p) for p in walk(folder)]
    if single.is_file():
        return [SourceFile(f"{top}.py", single)]
    return []
