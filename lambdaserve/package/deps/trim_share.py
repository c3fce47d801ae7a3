"""Share verified trims across a user's projects: a new project on a cached stack plans its trim
from the earlier verified runs over the same dependency layer, instead of tracing a run of its own.

A project's own trace costs its build a full cold start of the model's stack (issue 20, item 2).
What the trim may leave out depends on the layer's tree (named by its id: a rebuilt layer gets
another, so a changed layer never borrows), the interpreter, the probe, the KEEP list, and what
shapes the run besides the project's model and code: the framework, the predictor, the warm-up
and probabilities switches, the user's own variables and the model files' kinds (suffixes). The
project's name, API path, signature and CORS origins are left out of the key: they change the
answers' shape, not which dependency modules load.

Stored per user (the shared cache's trims/), one entry per key, holding only what every
contributing project's own verified run left out: a second project's verified plan narrows the
entry to what neither used (an intersection), so the plan fits more projects over time.

A borrowed plan is never taken as verified: it ships only through build's proof, whose run of
the shipped zip must show it asked for nothing left out (``PendingCheck``). When it did, the
build traces its own run and plans again (cli/build_package.py), never shipping the borrowed trim.
Only results verified by a project's own trace are added here, never a borrowed one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdaserve.package.deps import trim_reuse
from lambdaserve.package.deps.layer_lock import LayerLock
from lambdaserve.runtime import settings
from lambdaserve.runtime.atomic import replace_text

FORMAT = "share-1"
KEEP_ENTRIES = 16  # one per (layer, settings): a few stacks' worth
LOCK_FILE = ".lock"  # in the store, never deleted (layer_lock.py says why): held while an entry is merged
PROJECTS_NAMED = 8  # contributors named in an entry (for the build's log line)
# Variables that differ per project without changing which dependency modules load (see above).
PER_PROJECT = frozenset({settings.ENV_NAME, settings.ENV_API_PATH, settings.ENV_MODEL_DIR,
                         settings.ENV_MODEL_FILE, settings.ENV_SIGNATURE, settings.ENV_CORS_ORIGINS,
                         settings.ENV_MODEL_S3_URI, settings.ENV_MODEL_SHA256})


@dataclass(frozen=True)
class Shared:
    """Where a user's shared trims are kept, and the name of this build's (``share_key``)."""

    store: Path
    name: str

    @property
    def path(self) -> Path:
        return self.store / f"{self.name}.json"


@dataclass(frozen=True)
class Borrowed:
    """A plan made from other projects' verified runs: files left out (task-root path -> bytes),
    the planned subpackage folders or extension files (path -> bytes), and who verified it."""

    removed: dict[str, int]
    planned: dict[str, int]
    projects: list[str]


def share_key(*, layer_id: str, interpreter: Iterable[str], env: Mapping[str, str],
              model_files: Iterable[str], trim: bool, sourceless: bool, keep: Iterable[str],
              probe: str) -> str:
    """The name of a shared plan: everything that shapes it but the project's own files."""
    suffixes = sorted({Path(name).suffix for name in model_files})
    return trim_reuse.key(share=FORMAT, layer=layer_id, interpreter=list(interpreter),
                          env=sorted((k, v) for k, v in env.items() if k not in PER_PROJECT),
                          model_suffixes=suffixes, trim=trim, sourceless=sourceless, keep=sorted(keep),
                          probe=probe)


def lookup(shared: Shared) -> Borrowed | None:
    """The shared plan for this key, if any project's verified run made one."""
    try:
        entry = json.loads(shared.path.read_text(encoding="utf-8"))
        if entry.get("format") != FORMAT or not entry["removed"]:
            return None
        found = Borrowed({str(k): int(v) for k, v in entry["removed"].items()},
                         {str(k): int(v) for k, v in entry["planned"].items()},
                         [str(p) for p in entry["projects"]])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    os.utime(shared.path)  # recently used: kept by the pruning
    return found


def merge(shared: Shared, removed: Mapping[str, int], planned: Mapping[str, int], project: str) -> None:
    """Add a project's verified plan: the entry keeps only what it and every earlier one left out.

    Read, narrowed and written back under the store's lock, so two builds merging at once both
    narrow it (unlocked, the second writer's read would miss the first one's write). Readers
    (``lookup``) take no lock: the entry is replaced whole."""
    if not removed:
        return
    shared.store.mkdir(parents=True, exist_ok=True)
    lock = LayerLock.exclusive(shared.store / LOCK_FILE)
    try:
        _merge_locked(shared, removed, planned, project)
    finally:
        lock.release()


def _merge_locked(shared: Shared, removed: Mapping[str, int], planned: Mapping[str, int],
                  project: str) -> None:
    before = lookup(shared)
    if before is None:
        kept, folders, projects = dict(removed), dict(planned), [project]
    else:
        kept = {rel: size for rel, size in before.removed.items() if rel in removed}
        folders = _planned_within(kept, [before.planned, planned], {*before.removed, *removed})
        projects = [project, *(p for p in before.projects if p != project)][:PROJECTS_NAMED]
    if not kept:  # nothing both left out: no plan to lend
        shared.path.unlink(missing_ok=True)
        return
    entry: dict[str, Any] = {"format": FORMAT, "removed": kept, "planned": folders, "projects": projects}
    replace_text(shared.path, json.dumps(entry, sort_keys=True))
    entries = sorted(shared.store.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_ENTRIES:]:
        old.unlink(missing_ok=True)


def _planned_within(kept: Mapping[str, int], plans: list[Mapping[str, int]],
                    removed: set[str]) -> dict[str, int]:
    """The planned paths (of any plan) all of whose files any plan left out (``removed``) are
    still left out, outermost only, with their bytes: the trimmed subpackages build reports."""
    whole: dict[str, int] = {}
    for rel in sorted({rel for plan in plans for rel in plan}):  # an outer folder sorts first
        if any(rel.startswith(outer + "/") for outer in whole):
            continue
        under = [f for f in removed if f == rel or f.startswith(rel + "/")]
        if under and all(f in kept for f in under):
            whole[rel] = sum(kept[f] for f in under)
    return whole
