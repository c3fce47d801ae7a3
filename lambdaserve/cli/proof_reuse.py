"""Reuse build's proof of a zip when nothing its run read has changed (the build-system way).

The proof runs the zip in the local Lambda and asks it /health, /metadata and the golden
requests. Its answers depend on what that run read and on what it was asked, so, like the
verified trim (package/deps/trim_reuse.py, whose checks this shares), a proof is stored with:

- the key: the function as the emulator runs it (the whole FunctionSpec: Python, awslambdaric's
  folder, sandbox, variables, memory, timeout, region), the API settings, the golden request
  bodies and where they came from, the model's content hash, the shipped dependency layer's id
  with the names of its files in the zip (a trim that kept other files is another key), and
  the source of lambdaserve itself (the proof, the emulator, the runtime);
- the trace of the run (the emulator's shim, sandbox/shim/lambdaserve_trace.py, plus the
  worker's /proc/PID/maps): each file of the zip it opened, imported or mapped, by content
  (through the build's inputs: the compiled code folder and the model files; the layer's are
  covered by its id); each file outside the zip it read (the interpreter's stdlib, awslambdaric
  in /var/runtime, system libraries) by size and modification time; the module names it
  looked for (a file added under such a name would change the run) and the folders it listed.

A changed file that the run never read cannot change its answers: the proof is reused, and
build says so and from which build. Any other change proves again. What no trace sees:
inputs that are not files (the clock, randomness, the network; the proof of a model that
answers differently run to run is not stable anyway), files read only for other requests than
the golden ones (the proof claims only those), a stdlib or system file rewritten with the same
size and modification time, the host's PATH and LD_LIBRARY_PATH (in the key), and changes to
the machine below the files (the kernel, /proc). A run that started a program (whose reads
are not traced) or connected anywhere but the Runtime API is not stored, so always proved
afresh; so are SnapStart functions (an init shared by forks).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lambdaserve
from lambdaserve.config import Config
from lambdaserve.config.env import ZIP_TASK_ROOT
from lambdaserve.emulator.execution import PASS_THROUGH, Function, FunctionSpec
from lambdaserve.package import model_files
from lambdaserve.package.deps import StoredRun, TaskTree, run_key, stat_signature
from lambdaserve.package.zip import ZipBuildResult
from lambdaserve.runtime.atomic import replace_text
from lambdaserve.runtime.golden import GoldenSet

TRACE_VARIABLE = "LAMBDASERVE_TRACE_FILE"  # read (and removed) by the emulator's shim
_TRACE_IN_SANDBOX = "/tmp/.lambdaserve-proof-trace"  # the namespace sandbox's own /tmp
_RUNTIME_IN_SANDBOX = "/var/runtime"
_NOT_FILES = ("/proc/", "/sys/", "/dev/")
FORMAT = "proof-1"


def store_for(config: Config, result: ZipBuildResult, spec: FunctionSpec, api: object,
              bodies: list[tuple[str, Any]], source: str) -> StoredRun | None:
    """The store and key for this build's proof; None when it cannot be reused soundly."""
    if spec.snapstart or spec.sandbox == "container" or not result.dependency_files or not result.code_root:
        return None
    inputs = {
        "format": FORMAT,
        "spec": _plain(dataclasses.asdict(spec)),
        "api": _plain(api),
        "golden": _plain({"bodies": bodies, "source": source}),
        "model": result.model_sha256,
        "dependencies": result.dependency_files,
        "tool": _tool_digest(),
        "host": {name: os.environ.get(name) for name in PASS_THROUGH},  # the worker inherits them
    }
    tree = TaskTree(Path(result.code_root), tuple((f.name, f.path) for f in model_files(config)))
    return StoredRun(config.state_dir / "cache" / "proof", run_key(**inputs), tree)


def traced(spec: FunctionSpec, host_scratch: Path) -> tuple[FunctionSpec, str]:
    """``spec`` with the shim's trace on, and the trace file's path as the worker sees it."""
    where = _TRACE_IN_SANDBOX if spec.sandbox == "namespace" else str(host_scratch / "proof-trace")
    if spec.sandbox != "namespace":
        Path(where).unlink(missing_ok=True)
    return dataclasses.replace(spec, environment={**spec.environment, TRACE_VARIABLE: where}), where


@dataclass(frozen=True)
class Trace:
    """What the one worker that answered read: task-root paths it opened or mapped (``opened``)
    and listed (``listed``), the module names it looked for, and host paths outside the task root."""

    opened: frozenset[str]
    listed: frozenset[str]
    looked: frozenset[str]
    outside: frozenset[str]


def read_trace(function: Function, spec: FunctionSpec, trace_file: str) -> Trace | None:
    """The trace of the one worker that answered; None if none can be read, or if it ran a
    program or used the network (what those read is not traced)."""
    pids = function.worker_pids()
    if len(pids) != 1:
        return None
    root = f"/proc/{pids[0]}/root"
    try:
        lines = Path(root + trace_file).read_text(encoding="utf-8", errors="surrogateescape").splitlines()
        maps = Path(f"/proc/{pids[0]}/maps").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    if any(line.startswith("x ") for line in lines):  # it ran a program or used the network
        return None
    opened = [line[2:] for line in lines if line.startswith("o ")]
    listed = [line[2:] for line in lines if line.startswith("l ")]
    opened += [parts[5] for parts in (line.split(None, 5) for line in maps) if len(parts) == 6
               and parts[5].startswith("/")]
    paths = _Paths(spec)
    outside: set[str] = set()

    def in_task(found: list[str]) -> frozenset[str]:
        """The paths under /var/task, relative; a host path outside it goes to ``outside``."""
        inside: set[str] = set()
        for path in found:
            rel = paths.task(path)
            if rel is not None:
                inside.add(rel)
            elif (host := paths.host(path)) is not None:
                outside.add(host)
        return frozenset(inside)

    files, folders = in_task(opened), in_task(listed)
    return Trace(files, folders, frozenset(line[2:] for line in lines if line.startswith("n ")),
                 frozenset(outside))


def save_trace(found: StoredRun, trace: Trace, result: dict[str, Any]) -> None:
    """Store ``result`` with ``trace``, the trace of the run that made it."""
    used: set[str] = set()
    for rel in trace.opened:
        used |= _with_source(rel)
    found.save(used, trace.looked, _modules(used), trace.listed, result, outside=trace.outside)


@dataclass(frozen=True)
class _Paths:
    """Paths as the worker saw them, to the task root's relative ones or the host's."""

    spec: FunctionSpec

    def _bases(self) -> tuple[str, ...]:
        if self.spec.sandbox == "namespace":
            return (ZIP_TASK_ROOT,)
        return (str(self.spec.task_root), str(Path(self.spec.task_root).resolve()))

    def task(self, path: str) -> str | None:
        full = os.path.normpath(path)
        for base in self._bases():
            if full == base:
                return "."
            if full.startswith(base.rstrip("/") + "/"):
                return full[len(base.rstrip("/")) + 1:]
        return None

    def host(self, path: str) -> str | None:
        """The host's file for a path outside the task root; None for the run's own /tmp and
        the kernel's views."""
        full = os.path.normpath(path)
        if full.startswith(_NOT_FILES):
            return None
        if self.spec.sandbox == "namespace":
            if full == "/tmp" or full.startswith("/tmp/"):
                return None
            if full.startswith(_RUNTIME_IN_SANDBOX + "/") and self.spec.extra_pythonpath:
                return str(self.spec.extra_pythonpath[0]) + full[len(_RUNTIME_IN_SANDBOX):]
        return full


def _with_source(rel: str) -> set[str]:
    """A file read, plus the source a __pycache__ .pyc was compiled from (what the build hashes)."""
    folder, _, name = rel.rpartition("/")
    if folder.endswith("__pycache__") and name.endswith(".pyc"):
        parent = folder[: -len("__pycache__")].rstrip("/")
        source = f"{name.split('.', 1)[0]}.py"
        return {rel, f"{parent}/{source}" if parent else source}
    return {rel}


def _modules(used: Iterable[str]) -> set[str]:
    """Module names the run loaded from the task root (a package's __init__ names the package)."""
    names = set()
    for rel in used:
        if "__pycache__/" in rel or not rel.endswith((".py", ".pyc", ".so")):
            continue
        parts = rel.split("/")
        parts[-1] = parts[-1].split(".", 1)[0]
        if parts[-1] == "__init__":
            parts.pop()
        if parts:
            names.add(".".join(parts))
    return names


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=_default))


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


@functools.cache  # once per process
def _tool_digest() -> str:
    """lambdaserve's own source: the proof, the emulator and the runtime the zip was built with."""
    digest = hashlib.sha256(lambdaserve.__version__.encode())
    root = Path(lambdaserve.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class DevStore:
    """The dev venv's comparison (build_proof.compare_dev), kept while nothing it read changed.

    That run is this venv's Python over the project folder, not a package: every file and
    folder it opened, listed, imported or mapped is recorded by size and modification time
    (a folder's time moves when a file is added or removed there, so adding a file to the
    project folder, which is on its import path, runs it again), with the golden requests and
    answers, the interpreter, the function's variables and lambdaserve's source as the key.
    """

    path: Path

    @classmethod
    def for_run(cls, config: Config, golden: GoldenSet, python: str) -> DevStore:
        from lambdaserve.config import runtime_env

        name = run_key(format=FORMAT, dev=True, python=python, env=sorted(runtime_env(config).items()),
                   project=str(config.project_dir), tool=_tool_digest(),
                   golden=_plain({"requests": golden.to_dict()["requests"], "tolerance": golden.tolerance}))
        return cls(config.state_dir / "cache" / "proof" / "dev" / f"{name}.json")

    def lookup(self) -> list[str] | None:
        try:
            entry = json.loads(self.path.read_text(encoding="utf-8"))
            if all(stat_signature(p) == sig for p, sig in entry["read"].items()):
                return [str(note) for note in entry["notes"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
        return None

    def save(self, read: Iterable[str], notes: list[str]) -> None:
        entry = {"read": {p: stat_signature(p) for p in sorted(read) if not p.startswith(_NOT_FILES)},
                 "notes": notes}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        replace_text(self.path, json.dumps(entry, sort_keys=True))
        entries = sorted(self.path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[8:]:  # a few projects' worth, as the proofs
            old.unlink(missing_ok=True)
