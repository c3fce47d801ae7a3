"""``build.trim_unimported``: drop dependency subpackages and extensions the function never imports.

The dependency layer, the runtime, the user's code and the model are linked (hard links: no
bytes copied, the cached layer untouched) into a scratch task root. The TARGET Python runs
``import_probe`` there, as Lambda would run /var/task: the handler loads the model, warms up,
answers /metadata, /openapi.json and a zero-row prediction (plus one with probabilities).
What it imported, opened or mapped is used; within each imported third-party package, a
subpackage (a folder with ``__init__.py``) holding nothing used goes, and so does an
extension module (``*.cpython-*.so``, ``*.abi3.so``) that was never loaded.

Never removed: top-level packages that were not imported at all (kept whole), ``*.libs/``,
``.dist-info``, files of subpackages that were imported (their data files included), and
the KEEP list below: code reached only through imports a zero-row smoke cannot see.

With both options on (the default), the tree is trimmed and made sourceless first and one
fresh run checks both; only on a mismatch is each checked on its own, as below.

The same smoke then runs in a fresh process over the trimmed tree; unless every answer is
identical (exact JSON) and the same modules are imported, every removed file is linked back
and the zip ships untrimmed. What no check can see: code a user's predictor imports only
for other inputs than a zero row. Hence the KEEP list, and an opt-out.

``build.sourceless_dependencies`` is checked the same way, after the trim: the tree's
dependency .py files and their __pycache__ .pyc are swapped for the sourceless layer's
legacy-location .pyc (deps/layer.py), and the smoke runs again against the first run's answers.
On a mismatch the dependencies ship with their sources.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambdaserve.errors import BuildError
from lambdaserve.package.deps import trim_reuse, trim_share
from lambdaserve.package.deps.interpreters import Interpreter
from lambdaserve.package.diagnose import package_failure
from lambdaserve.package.process import Runner, run_command, tail

PROBE_SOURCE = Path(__file__).with_name("import_probe.py")
# Packages kept whole whatever the trace says (dotted prefixes), and why.
KEEP: dict[str, str] = {
    "numpy._core": "numpy's core; pickles name its modules, and numpy.core shims forward to it",
    "numpy.core": "shims that pickles written by numpy 1.x name (numpy.core.multiarray)",
    "numpy.random": "unpickling an estimator holding a RandomState imports numpy.random._pickle",
    "numpy.linalg": "imported inside numpy and scipy functions on first use",
    "numpy.fft": "imported inside functions on first use",
    "scipy._lib": "scipy's helpers, imported lazily from inside its functions",
    "scipy.special": "sklearn's predict_proba and decision paths call it (expit, logsumexp, xlogy)",
    "scipy.sparse": "sklearn's input validation takes sparse rows through it",
    "scipy.linalg": "imported inside sklearn's estimators on first use",
    "sklearn.utils": "helpers imported lazily inside sklearn's methods",
    "sklearn.externals": "array API compat layers imported on demand",
    "sklearn._loss": "losses that unpickled gradient-boosting models reference",
    "joblib": "parallel backends (loky, threading) imported when n_jobs is set",
    "threadpoolctl": "its controllers load BLAS/OpenMP libraries by path at first use",
    "onnxruntime.capi": "the binding and its provider libraries, loaded by path",
}


@dataclass(frozen=True)
class Probe:
    ok: bool
    responses: list[Any]
    error: str
    used: frozenset[str]  # posix paths relative to the task root: imported, opened or mapped
    modules: frozenset[str] = frozenset()  # sys.modules at the end
    looked: frozenset[str] = frozenset()  # module names the import system looked for, found or not
    listed: frozenset[str] = frozenset()  # folders listed outside the import system (relative)
    no_row: bool = False  # the model loaded but no zero row could be built: an incomplete trace


# (before, after) -> what differs, or None when the trimmed tree answers the same.
Verifier = Callable[[Probe, Probe], "str | None"]


def same_answers(before: Probe, after: Probe) -> str | None:
    """The default check: the same answers (exact JSON) and the same modules imported.

    Equal modules matter too: code that catches an ImportError and falls back can answer the
    same through another path.
    """
    if not after.ok:
        last = (after.error.strip().splitlines() or ["no output"])[-1]
        return f"the smoke run failed on the trimmed tree ({last})"
    if json.dumps(before.responses, sort_keys=True) != json.dumps(after.responses, sort_keys=True):
        return "the trimmed tree answered differently"
    missing = sorted(before.modules - after.modules)
    if missing:
        return f"the trimmed tree did not import {', '.join(missing[:5])}"
    return None


@dataclass(frozen=True)
class PendingCheck:
    """A trim planned from the trace but not yet verified (``trim_unimported(defer=True)``): the
    build's proof, one run of the shipped tree, is its verifying run. ``gone``: every file of
    the untrimmed tree the shipped one lacks (task-root paths: the trimmed files, and with
    ``sourceless`` the dependency sources and their __pycache__); ``confirm`` stores the result
    for reuse once that run showed the trim changed nothing."""

    gone: frozenset[str]
    removed: frozenset[str]  # the trimmed files only: their modules must not have been looked for
    confirm: Callable[[], None]
    # Stores "no trim, sources kept" with this warning: the next build of the same inputs reuses it.
    refuse: Callable[[str], None] = lambda _why: None
    # The projects whose verified runs the plan was borrowed from (trim_share.py); empty when it
    # was planned from this project's own trace. A borrowed plan that fails is traced afresh.
    borrowed: tuple[str, ...] = ()

    def touched(self, opened: Iterable[str], looked: Iterable[str], listed: Iterable[str]) -> str | None:
        """What of the trim a run's trace shows it asked for (None: nothing): a file it left out
        that the run opened or mapped, a module it left out that the run looked for, or a folder
        the run listed that held a file it left out."""
        for rel in sorted(set(opened) & self.gone):
            return f"it opened {rel}, which the trim left out"
        names = {_module_of(rel) for rel in self.removed}
        for name in sorted(set(looked) & names):
            return f"it imported or looked for {name}, which the trim left out"
        # The task root is on sys.path: importlib.metadata and pkgutil list it to find
        # distributions and modules, and there a .py-only swap shows m.pyc for m.py, which both
        # read as the same module. So only a left-out file counts for a listing of the root.
        folders = {os.path.dirname(rel) or "." for rel in self.removed}
        folders |= {os.path.dirname(rel) for rel in self.gone - self.removed if "/" in rel}
        for rel in sorted(set(listed) & folders):
            return f"it listed {rel}, where the trim left files out"
        return None


def _module_of(rel: str) -> str:
    """The module a file of the task root would be: a package's __init__ names the package, an
    extension module's name ends at its first dot."""
    parts = rel.split("/")
    parts[-1] = parts[-1].split(".", 1)[0]
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


@dataclass
class UnimportedTrim:
    removed: dict[str, int] = field(default_factory=dict)  # zip member name -> bytes
    planned: dict[str, int] = field(default_factory=dict)  # subpackage folder or extension -> bytes
    subpackages: list[tuple[str, int]] = field(default_factory=list)  # dotted name -> bytes, largest first
    warnings: list[str] = field(default_factory=list)
    sourceless: bool = False  # the sourceless layer answered the same: ship it
    pending: PendingCheck | None = None  # not verified yet: the proof's run must be (defer=True)

    @property
    def total(self) -> int:
        return sum(self.removed.values())


def link_tree(source: Path, dest: Path) -> None:
    """Hard-link every file of ``source`` under ``dest`` (copy across file systems).

    os.walk and str paths, not Path.rglob: a dependency layer has thousands of files, and this
    runs on the build's critical path (about 3x faster).
    """
    for folder, _dirs, files in os.walk(source):
        target = os.path.join(dest, os.path.relpath(folder, source))
        os.makedirs(target, exist_ok=True)
        for name in files:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                _link(path, os.path.join(target, name))


def _link(source: str | Path, target: str | Path) -> None:
    try:
        os.link(source, target)
    except FileExistsError:
        # Never write through an existing name: it may be a hard link into the cached layer.
        os.unlink(target)
        _link(source, target)
    except OSError:
        shutil.copy2(source, target)


def run_probe(task_root: Path, interpreter: Interpreter, env: Mapping[str, str], runner: Runner,
              out: Path) -> Probe:
    """The smoke run in a fresh target Python over ``task_root``."""
    out.unlink(missing_ok=True)
    full_env = {**env, "PYTHONPATH": str(task_root), "PYTHONNOUSERSITE": "1",
                "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    done = runner([str(interpreter.path), "-S", "-B", "-c", PROBE_SOURCE.read_text(encoding="utf-8"),
                   str(out)], env=full_env, cwd=task_root, timeout=600)
    if done.returncode != 0 or not out.is_file():
        return Probe(False, [], f"exit {done.returncode}: {tail(done.stderr or done.stdout)}", frozenset())
    raw = json.loads(out.read_text(encoding="utf-8"))
    if not raw["ok"] and not raw.get("no_row"):  # the runtime's log (stderr) holds the loader's hint
        raw["error"] = f"{raw.get('error', '')}\n{tail(done.stderr or '')}"
    bases = (str(task_root), str(task_root.resolve()))
    paths = [p for p in raw["modules"].values() if p] + raw["opened"] + raw["mapped"]
    return Probe(bool(raw["ok"]), list(raw.get("responses", [])), str(raw.get("error", "")),
                 frozenset(_relative(p, bases) for p in paths) - {""}, frozenset(raw["modules"]),
                 frozenset(raw.get("looked", ())),
                 frozenset(_relative(p, bases) for p in raw.get("listed", ())) - {""},
                 bool(raw.get("no_row")))


def _relative(path: str, bases: tuple[str, ...]) -> str:
    """``path`` (absolute, or relative to the first base) as a posix path under one of ``bases``,
    or "" when it is under none. Strings, not pathlib: a trace has thousands of paths, and this
    runs on the build's critical path after every smoke run."""
    full = os.path.normpath(path if os.path.isabs(path) else os.path.join(bases[0], path))
    for base in bases:
        if full == base:
            return "."
        prefix = base if base.endswith("/") else base + "/"
        if full.startswith(prefix):
            return full[len(prefix):]
    return ""


def _kept(dotted: str, keep: Iterable[str]) -> bool:
    # Kept: a keep-listed package, anything inside one, and every package on the way to one.
    return any(dotted == k or dotted.startswith(k + ".") or k.startswith(dotted + ".") for k in keep)


def _is_extension(name: str) -> bool:
    return name.endswith(".so") and (".cpython-" in name or ".abi3." in name)


def plan_removals(root: Path, tops: Iterable[str], used: frozenset[str],
                  keep: Iterable[str] = KEEP) -> list[str]:
    """What to remove under ``root`` (posix paths: subpackage folders and extension files)."""
    keep = list(keep)
    used_dirs = _parent_dirs(used)
    base = str(root)
    plan: list[str] = []
    for top in sorted(tops):
        if not os.path.isfile(os.path.join(base, top, "__init__.py")) or top not in used_dirs:
            continue  # not a package, or never imported: kept whole
        for folder, dirs, files in os.walk(os.path.join(base, top)):
            rel = os.path.relpath(folder, base).replace(os.sep, "/")
            descend = []
            for name in sorted(dirs):
                sub = f"{rel}/{name}"
                if name == "__pycache__" or name.endswith(".libs") or _kept(sub.replace("/", "."), keep):
                    descend.append(name)
                elif os.path.isfile(os.path.join(folder, name, "__init__.py")) and sub not in used_dirs:
                    plan.append(sub)
                else:
                    descend.append(name)
            dirs[:] = descend
            for name in sorted(files):
                module = f"{rel.replace('/', '.')}.{name.split('.', 1)[0]}"
                if _is_extension(name) and f"{rel}/{name}" not in used and not _kept(module, keep):
                    plan.append(f"{rel}/{name}")
    return plan


def _parent_dirs(paths: Iterable[str]) -> set[str]:
    """Every folder that holds one of ``paths`` (posix, relative), at any depth."""
    found: set[str] = set()
    for path in paths:
        slash = path.find("/")
        while slash != -1:
            found.add(path[:slash])
            slash = path.find("/", slash + 1)
    return found


def _dotted(rel: str) -> str:
    """'sklearn/datasets' -> 'sklearn.datasets'; an extension file names its module."""
    parts = rel.split("/")
    return ".".join([*parts[:-1], parts[-1].split(".", 1)[0]])


def _files_under(root: Path, rel: str) -> list[str]:
    path = os.path.join(root, rel)
    if os.path.isfile(path):
        return [rel]
    return sorted(f"{rel}/{name}" for name in _files(Path(path)))


@dataclass(frozen=True)
class Reuse:
    """Where verified results are stored, and the name of this build's (``reuse_key``)."""

    store: Path
    name: str


def reuse_key(layer_id: str, interpreter: Interpreter, env: Mapping[str, str], *, trim: bool,
              sourceless: bool, keep: Iterable[str] = KEEP) -> str:
    """Everything a stored result depends on besides the files the smoke run read."""
    return trim_reuse.key(layer=layer_id, interpreter=[str(interpreter.path), interpreter.version],
                          env=sorted(env.items()), trim=trim, sourceless=sourceless, keep=sorted(keep),
                          probe=probe_digest())


def probe_digest() -> str:
    """The smoke run's probe itself: a stored or shared result holds only for the same probe."""
    return hashlib.sha256(PROBE_SOURCE.read_bytes()).hexdigest()


def trim_unimported(*, layer_root: Path, code_root: Path, model_files: Sequence[tuple[str, Path]],
                    scratch: Path, interpreter: Interpreter, env: Mapping[str, str],
                    runner: Runner = run_command, verifier: Verifier = same_answers,
                    keep: Iterable[str] = KEEP, log: Callable[[str], None] = lambda _m: None,
                    trim: bool = True,
                    sourceless_root: Path | Callable[[], Path] | None = None,
                    reuse: Reuse | None = None,
                    requirements: Sequence[str] = (), defer: bool = False,
                    share: trim_share.Shared | None = None, borrow: bool = True,
                    project: str = "") -> UnimportedTrim:
    """Trace, trim, verify; the files of ``layer_root`` to leave out of the zip (none if unsafe).

    A first run that fails is a BuildError with the cause and the fix (``diagnose``): the
    package itself is broken, whatever the options; ``requirements`` are function.requirements.

    With ``sourceless_root`` (the sourceless layer of ``layer_root``), also verify that tree;
    ``trim=False`` checks only that. A callable (which makes that layer) is called on a thread
    once the task root is laid out, so it runs while the first smoke run (a subprocess on one
    core) traces; its tree is needed only after that (a reused result does not call it).

    With ``reuse``, a result stored for the same key is returned without any smoke run when no
    file the first run read has changed (trim_reuse.py); a fresh result is stored there.

    ``defer``: with both options on, no verifying run here: the result is planned from the
    trace and carries a ``PendingCheck`` that the caller's run of the shipped tree (build's proof)
    must pass; only then is it stored for reuse (``pending.confirm``).

    ``share``: the user's plans for this layer and these settings, verified by other projects'
    own runs (trim_share.py). With ``defer`` and ``borrow``, a project with no stored result of
    its own plans from there instead of tracing (``pending.borrowed`` names whose); a verified
    plan of its own trace (``project``: its name) is added there.
    """
    tree = trim_reuse.TaskTree(code_root, tuple(model_files))
    if reuse is not None:
        stored, stale = trim_reuse.lookup(reuse.store, reuse.name, tree)
        if stored is not None:
            log("reusing the verified trim: no file the smoke run read has changed")
            return UnimportedTrim(removed=dict(stored["removed"]),
                                  subpackages=[(n, s) for n, s in stored["subpackages"]],
                                  warnings=list(stored["warnings"]), sourceless=bool(stored["sourceless"]))
        if stale is not None:
            log(f"verifying the trim again: {stale}")
    if share is not None and borrow and defer and trim and sourceless_root is not None:
        found = trim_share.lookup(share)
        if found is not None:
            return _borrowed(found, layer_root, sourceless_root, log)
    result, before = _traced(layer_root=layer_root, code_root=code_root, model_files=model_files,
                             scratch=scratch, interpreter=interpreter, env=env, runner=runner,
                             verifier=verifier, keep=keep, log=log, trim=trim,
                             sourceless_root=sourceless_root, requirements=requirements,
                             defer=defer and trim and sourceless_root is not None)

    def store(kept: UnimportedTrim = result) -> None:
        if reuse is not None and before is not None and before.ok:
            trim_reuse.save(reuse.store, reuse.name, tree, before.used, before.looked, before.modules,
                            before.listed, {"removed": kept.removed, "subpackages": kept.subpackages,
                             "warnings": kept.warnings, "sourceless": kept.sourceless})

    def refuse(why: str) -> None:
        store(UnimportedTrim(warnings=[*result.warnings, why]))

    def verified() -> None:
        store()
        if share is not None and trim and result.sourceless and before is not None and before.ok:
            trim_share.merge(share, result.removed, result.planned, project)

    if result.pending is not None:
        result.pending = PendingCheck(result.pending.gone, result.pending.removed, verified, refuse)
    else:
        verified()
    return result


def _borrowed(found: trim_share.Borrowed, layer_root: Path, sourceless_root: Path | Callable[[], Path],
              log: Callable[[str], None]) -> UnimportedTrim:
    """Both options planned from other projects' verified runs over this very layer, left for the
    proof's run of the shipped zip to verify, as a plan from the project's own trace is."""
    tree = sourceless_root() if callable(sourceless_root) else sourceless_root
    sources = _files(layer_root) - _files(tree)  # the .py and __pycache__ the .pyc-only swap drops
    names = ", ".join(found.projects[:3]) + (f" and {len(found.projects) - 3} more"
                                             if len(found.projects) > 3 else "")
    log(f"planned from the verified runs of {names} over the same dependency layer (no trace of its "
        f"own): {len(found.removed)} unimported files left out and the dependencies as .pyc only; the "
        "proof's run of the zip verifies both")
    result = UnimportedTrim(sourceless=True)
    _keep_trim(result, dict(found.removed), dict(found.planned))
    result.pending = PendingCheck(frozenset(found.removed) | frozenset(sources), frozenset(found.removed),
                                  lambda: None, borrowed=tuple(found.projects))
    return result


def _traced(*, layer_root: Path, code_root: Path, model_files: Sequence[tuple[str, Path]], scratch: Path,
            interpreter: Interpreter, env: Mapping[str, str], runner: Runner, verifier: Verifier,
            keep: Iterable[str], log: Callable[[str], None], trim: bool,
            sourceless_root: Path | Callable[[], Path] | None,
            requirements: Sequence[str] = (), defer: bool = False) -> tuple[UnimportedTrim, Probe | None]:
    """trim_unimported's smoke runs: the result, and the first run's probe (None if none ran)."""
    result = UnimportedTrim()
    if scratch.exists():
        shutil.rmtree(scratch)
    task = scratch / "task"

    def lay_out() -> None:  # the task root as the zip would hold it, untrimmed
        if task.exists():
            shutil.rmtree(task)
        link_tree(layer_root, task)
        link_tree(code_root, task)
        for name, source in model_files:
            (task / name).parent.mkdir(parents=True, exist_ok=True)
            _link(source, task / name)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambdaserve-sourceless")
    try:
        lay_out()
        making = pool.submit(sourceless_root) if callable(sourceless_root) else None
        smoke = _Smoke(task, interpreter, {**env, "LAMBDASERVE_MODEL_DIR": str(task / "model")}, runner,
                       scratch, verifier)
        log("tracing imports: loading the model and predicting in Python " + interpreter.version)
        before = smoke.run("before")
        if not before.ok and not before.no_row:  # the package as it would ship cannot serve
            raise package_failure(before.error.replace(str(task), "/var/task"), requirements,
                                  what="load the model and answer a zero row")
        if not before.ok:  # it loads, but a trace without a prediction cannot be trusted
            failed = f"the smoke run could not predict: {before.error.strip().splitlines()[-1][:300]}"
            if trim:
                result.warnings.append(f"build.trim_unimported: nothing trimmed, {failed}")
            if sourceless_root is not None:
                result.warnings.append(f"{SOURCELESS}: the dependencies ship with their sources, {failed}")
            return result, before
        given = sourceless_root if isinstance(sourceless_root, Path) else None
        tree = making.result() if making is not None else given
        if defer and tree is not None:  # the proof's run of the shipped tree verifies it
            _planned(result, smoke, before, layer_root, code_root, tree, keep, log)
            return result, before
        if trim and tree is not None:
            # Both at once, one verifying run; only a mismatch pays for telling them apart.
            if _both(result, smoke, before, layer_root, code_root, tree, keep, log):
                return result, before
            lay_out()
        if trim:
            _trim(result, smoke, before, layer_root, code_root, keep, log)
        if tree is not None:
            _sourceless(result, smoke, before, layer_root, tree, log)
        return result, before
    finally:
        pool.shutdown(wait=True)  # a failed first run still waits for the layer being made
        shutil.rmtree(scratch, ignore_errors=True)


SOURCELESS = "build.sourceless_dependencies"


@dataclass(frozen=True)
class _Smoke:
    """The scratch task root and how to run (and judge) the smoke over it."""

    task: Path
    interpreter: Interpreter
    env: Mapping[str, str]
    runner: Runner
    scratch: Path
    verifier: Verifier

    def run(self, name: str) -> Probe:
        return run_probe(self.task, self.interpreter, self.env, self.runner, self.scratch / f"{name}.json")

    def mismatch(self, before: Probe, name: str) -> str | None:
        """What the verifier finds different in a fresh run over the task root as it is now."""
        return self.verifier(before, self.run(name))


def _plan(smoke: _Smoke, before: Probe, layer_root: Path, code_root: Path,
          keep: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Remove the unimported files from the task root: (file -> bytes, planned path -> bytes)."""
    task = smoke.task
    # Third-party packages only: never the runtime or the user's code, whatever pip installed.
    ours = {p.name for p in code_root.iterdir()} if code_root.is_dir() else set()
    tops = [p.name for p in layer_root.iterdir() if p.is_dir() and p.name not in ours] \
        if layer_root.is_dir() else []
    plan = plan_removals(task, tops, before.used, keep)
    removed: dict[str, int] = {}
    sizes: dict[str, int] = {}
    for rel in plan:
        files = {f: os.stat(os.path.join(task, f)).st_size for f in _files_under(task, rel)}
        removed.update(files)
        sizes[rel] = sum(files.values())
    for rel in plan:
        if (task / rel).is_dir():
            shutil.rmtree(task / rel)
        else:
            (task / rel).unlink()
    return removed, sizes


def _keep_trim(result: UnimportedTrim, removed: dict[str, int], sizes: dict[str, int]) -> None:
    result.removed = removed
    result.planned = sizes
    result.subpackages = sorted(((_dotted(rel), size) for rel, size in sizes.items()),
                                key=lambda kv: (-kv[1], kv[0]))


def _trim(result: UnimportedTrim, smoke: _Smoke, before: Probe, layer_root: Path, code_root: Path,
          keep: Iterable[str], log: Callable[[str], None]) -> None:
    removed, sizes = _plan(smoke, before, layer_root, code_root, keep)
    if not removed:
        return
    log(f"verifying: the same smoke run without {len(removed)} unimported files")
    mismatch = smoke.mismatch(before, "after")
    if mismatch is not None:
        _restore(layer_root, smoke.task, removed)
        result.warnings.append(f"build.trim_unimported: {mismatch}; the {len(removed)} removed files "
                               "were restored and the zip ships untrimmed")
        return
    _keep_trim(result, removed, sizes)


def _both(result: UnimportedTrim, smoke: _Smoke, before: Probe, layer_root: Path, code_root: Path,
          sourceless_root: Path, keep: Iterable[str], log: Callable[[str], None]) -> bool:
    """Trim and swap in the .pyc, then one smoke run; False (nothing kept) on any mismatch."""
    removed, sizes = _plan(smoke, before, layer_root, code_root, keep)
    added = _swap_sources(smoke.task, layer_root, sourceless_root)
    log(f"verifying: the same smoke run without {len(removed)} unimported files and with "
        f"{added} dependency modules as .pyc only")
    if smoke.mismatch(before, "after") is not None:
        log("the trimmed, sourceless tree answered differently: checking each option on its own")
        return False
    if removed:
        _keep_trim(result, removed, sizes)
    result.sourceless = True
    return True


def _planned(result: UnimportedTrim, smoke: _Smoke, before: Probe, layer_root: Path, code_root: Path,
             sourceless_root: Path, keep: Iterable[str], log: Callable[[str], None]) -> None:
    """Both options planned from the trace, left for the proof's run to verify (``PendingCheck``)."""
    removed, sizes = _plan(smoke, before, layer_root, code_root, keep)
    sources = _files(layer_root) - _files(sourceless_root)  # the .py and __pycache__ the swap drops
    log(f"planned from the trace: {len(removed)} unimported files left out and the dependencies as .pyc "
        "only; the proof's run of the zip verifies both")
    if removed:
        _keep_trim(result, removed, sizes)
    result.sourceless = True
    result.pending = PendingCheck(frozenset(removed) | frozenset(sources), frozenset(removed), lambda: None)


def _files(root: Path) -> set[str]:
    """Every file under ``root``, as posix paths relative to it (os.walk: on the critical path)."""
    found = set()
    for folder, _dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        for name in files:
            if os.path.isfile(os.path.join(folder, name)):
                found.add(name if rel == "." else f"{rel}/{name}")
    return found


def _swap_sources(task: Path, layer_root: Path, sourceless_root: Path) -> int:
    """Swap the task tree's dependency sources for legacy .pyc; how many modules were swapped."""
    sources, compiled = _files(layer_root), _files(sourceless_root)
    here = str(task)
    # Legacy m.pyc whose m.py the trim kept come in; the .py and its __pycache__ copy go.
    added = sorted(f for f in compiled - sources if os.path.isfile(os.path.join(here, f[:-1])))
    dropped = sorted(f for f in sources - compiled if os.path.isfile(os.path.join(here, f)))
    for rel in dropped:
        os.unlink(os.path.join(here, rel))
    for rel in added:
        _link(os.path.join(sourceless_root, rel), os.path.join(here, rel))
    return len(added)


def _sourceless(result: UnimportedTrim, smoke: _Smoke, before: Probe, layer_root: Path,
                sourceless_root: Path, log: Callable[[str], None]) -> None:
    """Swap the (trimmed) task tree's dependency sources for legacy .pyc and run the smoke again."""
    added = _swap_sources(smoke.task, layer_root, sourceless_root)
    log(f"verifying: the same smoke run with {added} dependency modules as .pyc only")
    mismatch = smoke.mismatch(before, "sourceless")
    if mismatch is not None:
        result.warnings.append(f"{SOURCELESS}: {mismatch.replace('trimmed tree', 'sourceless tree')}; "
                               "the dependencies ship with their sources")
        return
    result.sourceless = True


def _restore(layer_root: Path, task: Path, removed: Mapping[str, int]) -> None:
    for rel in removed:
        (task / rel).parent.mkdir(parents=True, exist_ok=True)
        _link(layer_root / rel, task / rel)
    missing = [rel for rel in removed if not (task / rel).is_file()]
    if missing:  # only if the cached layer changed underneath
        raise BuildError(f"could not restore {', '.join(missing[:3])} after a failed trim_unimported check",
                         hint="Delete .lambdaserve/cache/deps and build again.")
