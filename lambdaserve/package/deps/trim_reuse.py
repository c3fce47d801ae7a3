"""Reuse a verified ``trim_unimported`` result when nothing its trace depended on changed.

The two smoke runs cost most of a code-only rebuild, and their answer depends only on what
the first run read: the dependency layer (named by its id, which a rebuilt layer changes),
the interpreter, the artifact's settings, the probe itself, and the files of the task root
it imported, opened or mapped. So, the build-system way, a result is stored with the content
hash of every such file from the user's code and the runtime (a layer file is covered by
the layer's id; an absent one must stay absent), the module names the import system looked
for, found or not, and the folders the run listed. It is reused when:

- every recorded file has the same content (and none of the layer's is now shadowed),
- no file added or removed since would be a module that was looked for or loaded
  (``pkg/new.py`` is ``pkg.new``; or ``pkg``, had it been looked for and not found), or sits
  in a folder that was listed, and
- the model's file names are the same (the runtime chooses among them).

A changed file that was never read cannot change the result; any other change re-verifies.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdaserve.runtime.atomic import replace_text
from lambdaserve.runtime.digest import file_sha256

FORMAT = "1"  # bump when the probe or what a result holds changes
KEEP_ENTRIES = 8  # one per (layer, options, settings): a few projects' worth


@dataclass(frozen=True)
class TaskTree:
    """How the smoke run's task root is made: the layer, then the code, then the model files."""

    code_root: Path
    model_files: Sequence[tuple[str, Path]]

    def own(self, rel: str) -> Path | None:
        """The code or model file at ``rel`` in the task root (None: the layer's, or nothing)."""
        for name, source in self.model_files:
            if name == rel:
                return source
        path = self.code_root / rel
        return path if path.is_file() else None

    def files(self) -> list[str]:
        """The task root's own files (compiled bytecode aside: the build makes it from the sources)."""
        found = [name for name, _ in self.model_files]
        for folder, dirs, names in os.walk(self.code_root):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            rel = os.path.relpath(folder, self.code_root)
            found += [name if rel == "." else f"{rel}/{name}" for name in names]
        return sorted(set(found))


@dataclass(frozen=True)
class StoredRun:
    """One stored result in ``store`` under ``name``, checked against ``tree`` (build's proof
    reuse stores its runs this way too, cli/proof_reuse.py)."""

    store: Path
    name: str
    tree: TaskTree

    def lookup(self) -> tuple[dict[str, Any] | None, str | None]:
        return lookup(self.store, self.name, self.tree)

    def save(self, used: Iterable[str], looked: Iterable[str], modules: Iterable[str], listed: Iterable[str],
             result: Mapping[str, Any], outside: Iterable[str] = ()) -> None:
        save(self.store, self.name, self.tree, used, looked, modules, listed, result, outside)


def key(**inputs: Any) -> str:
    """The name of a stored result: everything but the files that shaped the run."""
    payload = json.dumps({"format": FORMAT, **inputs}, sort_keys=True, default=list)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


run_key = key  # the name the package.deps facade gives it


def lookup(store: Path, name: str, tree: TaskTree) -> tuple[dict[str, Any] | None, str | None]:
    """The stored result under ``name`` if it still holds for ``tree``; else None and what changed
    (None too when nothing was stored)."""
    path = store / f"{name}.json"
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        return None, None
    stale = _stale(entry, tree)
    if stale is not None:
        return None, stale
    os.utime(path)  # recently used: kept by the pruning
    result: dict[str, Any] = entry["result"]
    return result, None


def save(store: Path, name: str, tree: TaskTree, used: Iterable[str], looked: Iterable[str],
         modules: Iterable[str], listed: Iterable[str], result: Mapping[str, Any],
         outside: Iterable[str] = ()) -> None:
    """Store ``result`` with what the run depended on; written whole, then renamed into place.
    ``outside``: absolute paths the run read outside the task root (the interpreter's stdlib,
    system libraries), recorded by size and modification time as make would."""
    files = {rel: _digest(tree.own(rel)) for rel in sorted(used) if _counts(rel)}
    entry = {"format": FORMAT, "files": files, "looked": sorted(looked), "modules": sorted(modules),
             "listed": sorted(listed), "outside": {path: stat_signature(path) for path in sorted(outside)},
             "tree": tree.files(), "model": sorted(name for name, _ in tree.model_files),
             "result": dict(result)}
    store.mkdir(parents=True, exist_ok=True)
    replace_text(store / f"{name}.json", json.dumps(entry, sort_keys=True))
    entries = sorted(store.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_ENTRIES:]:
        old.unlink(missing_ok=True)


def stat_signature(path: str) -> list[int]:
    """[size, mtime in ns] of a file or folder (a folder's changes when an entry is added or
    removed); [-1, -1] for nothing there, which must stay so."""
    try:
        found = os.stat(path)
    except OSError:
        return [-1, -1]
    return [found.st_size if not os.path.isdir(path) else 0, found.st_mtime_ns]


def _counts(rel: str) -> bool:
    # Bytecode in the code's __pycache__ is remade from the sources every build (new mtimes):
    # the source it was compiled from is what counts.
    return rel != "." and "__pycache__/" not in rel


def _digest(path: Path | None) -> str | None:
    if path is None:
        return None
    return file_sha256(path)


def _stale(entry: dict[str, Any], tree: TaskTree) -> str | None:
    if sorted(name for name, _ in tree.model_files) != entry["model"]:
        return "the model's files changed"
    for path, signature in entry.get("outside", {}).items():
        if stat_signature(path) != signature:
            return f"{path} changed"
    for rel, digest in entry["files"].items():
        if _digest(tree.own(rel)) != digest:
            return f"{rel} changed"
    looked, found, listed = set(entry["looked"]), set(entry["modules"]), set(entry["listed"])
    for rel in sorted(set(entry["tree"]) ^ set(tree.files())):
        parts = rel.split("/")
        parts[-1] = parts[-1].split(".", 1)[0]
        name = ".".join(parts)
        # The module the file would be, looked for or loaded; or a folder on its way that was
        # looked for and not found (the file would make it a namespace package).
        folders = {".".join(parts[:i]) for i in range(1, len(parts))}
        hits = {name} & (looked | found) | folders & (looked - found)
        if hits:
            return f"{rel} was added or removed, and the run looked for {sorted(hits)[0]}"
        if (os.path.dirname(rel) or ".") in listed:
            return f"{rel} was added or removed in a folder the run listed"
    return None
