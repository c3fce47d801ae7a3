"""The dependency layer: requirements installed for the Lambda runtime, trimmed and compiled, cached.

The layer is keyed by a hash of everything that shapes it (requirements, the lock's pins, Python, machine,
platform tags, the installer's (uv's, or pip's with LAMBDASERVE_INSTALLER=pip) and the compiling
interpreter's versions), so a code-only rebuild finds it
ready, together with its pre-compressed zip part, and never runs the installer.

build.sourceless_dependencies has its own layer (the option is in the key), made from the
source layer by hard links with every compiled .py replaced by its legacy-location .pyc,
and its own pre-compressed part; the source layer stays cached beside it, which is what a
zip falls back to when the sourceless tree fails its smoke check. What both share (all but
the .py files and their .pyc) is compressed once, in the source layer's common part; the
source layer's whole part is made only when a zip ships it.

Shared libraries the tree needs and Lambda's OS lacks (LightGBM's libgomp.so.1) are copied into
its lib/, which is on Lambda's LD_LIBRARY_PATH, with their provenance in the record (system_libs).

A layer is built in its own folder, and ``layer.json`` is written last: a folder without it
(a build killed meanwhile) is built again. Zip parts are deflated on low-priority background
threads from the moment their files are final (the common part as soon as the shared objects
are stripped, while the .pyc compile runs), and the layer is handed back once its tree is
ready (``DependencyLayer.wait`` for the parts): the compile and the smoke runs that come next
leave CPU idle, which the deflate takes. A zip written while a fresh sourceless layer's parts
are still being deflated does not wait for them (``zip_members``): it deflates the files it
ships through the same ``Deflates``, and the files it leaves out are deflated during its proof.
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import importlib.metadata
import json
import os
import secrets
import shutil
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lambdaserve.config import Config
from lambdaserve.config.lock_file import lock_use
from lambdaserve.config.requirements import is_pinned, requirement_name
from lambdaserve.config.sources import shared_cache as shared_cache  # decided there: the doctor skips it too
from lambdaserve.errors import BuildError
from lambdaserve.package.deps.install import LayerInstaller, install_locked
from lambdaserve.package.deps.interpreters import Interpreter, find_interpreter
from lambdaserve.package.deps.layer_lock import LayerLock
from lambdaserve.package.deps.pip import default_pip, pip_version
from lambdaserve.package.deps.platforms import glibc_warnings, installed_wheels, platform_tags
from lambdaserve.package.deps.pycompile import compile_tree, make_sourceless
from lambdaserve.package.deps.system_libs import supply_libraries
from lambdaserve.package.deps.trim_files import TrimReport, strip_shared_objects, trim_tree
from lambdaserve.package.deps.trim_imports import link_tree
from lambdaserve.package.deps.uv import UV_GLIBC_MINORS, find_uv, uv_version
from lambdaserve.package.deps.uv import supports as uv_supports
from lambdaserve.package.process import Runner, run_command
from lambdaserve.package.zip.writer import (
    BACKGROUND_NICE,
    Deflates,
    Member,
    lower_priority,
    part_members,
    write_zip,
)
from lambdaserve.runtime.atomic import Replacing, replace_text

Log = Callable[[str], None]
Glibc = tuple[int, int]
# Runs a layer's part writing off the caller's thread; a test passes one it can hold back.
Background = Callable[[Callable[[], object]], "Future[object]"]
KEEP_LAYERS = 8  # shared by the projects of a user: a source and a sourceless layer for a few stacks
KEEP_LAYERS_ENV = "LAMBDASERVE_KEEP_LAYERS"  # how many to keep instead (each can be 200 MB on disk)
LAYER_FORMAT = "7"  # bump when trimming, compiling or deflating changes, to invalidate cached layers
COMMON_PART = "common.zip"  # a source layer's members that its sourceless layer ships too
OWN_PART = "part.zip"  # a layer's other members: its sources (made on first use) or its legacy .pyc
SOURCES = "dependency sources (.py)"  # the trim category of build.sourceless_dependencies
# Which distribution each framework's loader imports.
FRAMEWORK_PACKAGES = {"sklearn": ("scikit-learn",), "onnx": ("onnxruntime",), "torchscript": ("torch",),
                      "xgboost": ("xgboost", "xgboost-cpu"), "lightgbm": ("lightgbm",),
                      "catboost": ("catboost",)}


def check_requirements(requirements: Sequence[str], framework: str) -> list[str]:
    """Warnings about the requirement list; BuildError for an unpinned torch."""
    warnings, names = [], set()
    for req in requirements:
        name = requirement_name(req)
        names.add(name)
        pinned = is_pinned(req)
        if name == "torch" and not pinned:
            raise BuildError(f"requirement {req!r} is not pinned",
                             hint='Pin it, e.g. "torch==2.13.0": an unpinned torch resolves to the newest '
                                  "release with gigabytes of CUDA libraries.")
        if not pinned:
            warnings.append(f"requirement {req!r} is not pinned (name==version): rebuilds may pick other "
                            "releases")
        if name == "xgboost":
            warnings.append("xgboost pulls NVIDIA's NCCL (about 590 MB unzipped): use xgboost-cpu")
    wanted = FRAMEWORK_PACKAGES.get(framework, ())
    if wanted and not names & set(wanted):
        # Refused, not warned: such a package deploys fine and then fails every cold start.
        raise BuildError(f"model.framework = {framework!r} but function.requirements does not list "
                         f"{' or '.join(wanted)}: the package could not load the model",
                         hint=f'Add it pinned to function.requirements, e.g. "{wanted[-1]}==<version>" '
                              "(`lambdaserve init --force` pins what is installed here).")
    return warnings


@dataclass
class DependencyLayer:
    key: str
    root: Path  # the installed, trimmed, compiled tree (what sits at /var/task)
    part: Path  # what only this layer ships, compressed (a source layer's: made by layer_parts)
    cached: bool
    trimmed: TrimReport
    packages: list[tuple[str, str]] = field(default_factory=list)  # (name, version)
    warnings: list[str] = field(default_factory=list)
    sourceless: bool = False  # .py replaced by legacy-location .pyc (build.sourceless_dependencies)
    # Unique to this tree (a layer rebuilt under the same key gets another): what a reused
    # build.trim_unimported result names. None for layers made before it was recorded.
    id: str | None = None
    hold: LayerLock | None = field(default=None, repr=False, compare=False)  # see layer_lock.py
    pending: Future[object] | None = None  # a fresh layer's zip part, still being deflated
    record: dict[str, Any] = field(default_factory=dict, repr=False)  # what layer.json holds
    # A fresh sourceless layer's parts being written in the background: (part, its members, done),
    # and the deflates they share with a zip written meanwhile (zip_members).
    making: tuple[tuple[Path, list[Member], Future[object]], ...] = field(default=(), repr=False)
    deflates: Deflates | None = field(default=None, repr=False, compare=False)

    def wait(self) -> None:
        """Return once the layer's zip parts and layer.json are written; re-raise what failed there."""
        if self.pending is not None:
            self.pending.result()


# Fresh layers whose parts are still being written, by folder: asking for one again (the
# sourceless layer asks for its source layer) must get it, not build it a second time.
_FINISHING: dict[Path, DependencyLayer] = {}
_FINISHING_LOCK = threading.Lock()


def layer_key(requirements: Sequence[str], python: str, architecture: str, pip: str,
              interpreter: Interpreter, sourceless: bool = False, constraints: Sequence[str] = (),
              glibc: Glibc | None = None) -> str:
    payload: dict[str, Any] = {
        # Sorted: the same pins listed in another order (another project) are the same layer.
        "format": LAYER_FORMAT, "requirements": sorted(requirements), "python": python,
        "architecture": architecture, "platforms": platform_tags(python, architecture, glibc),
        "pip": pip, "interpreter": interpreter.version}
    if sourceless:  # only when on: the source layers' keys stay what they were
        payload["sourceless"] = True
    if constraints:  # likewise: a project without a lock keeps its layer
        payload["constraints"] = sorted(constraints)
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def _installer(pip: Sequence[str] | None, python: str, architecture: str,
               glibc: Glibc | None = None) -> str | None:
    """uv unless pip is asked for (an explicit ``pip``, or LAMBDASERVE_INSTALLER=pip) or uv
    cannot target the runtime's glibc exactly (python3.11; an image base's glibc uv names no
    target for). python3.11 stays with pip on any base: pip reads the pip configuration
    (find-links, indexes) that holds a local CPU torch, which uv does not."""
    if pip is not None or os.environ.get("LAMBDASERVE_INSTALLER", "uv") == "pip":
        return None
    if not uv_supports(python, architecture) or (glibc is not None and glibc[1] not in UV_GLIBC_MINORS):
        return None
    return find_uv()


def current_pip_version(pip: Sequence[str] | None, runner: Runner) -> str:
    """The version of the pip that will run; read from metadata when it is our own pip (fast)."""
    if pip is None:
        try:
            version = importlib.metadata.version("pip")
        except importlib.metadata.PackageNotFoundError:
            version = None
        if version is not None and int(version.split(".")[0]) >= 26:
            return version
    return pip_version(pip or default_pip(), runner)


def dependency_layer(requirements: Sequence[str], *, python: str, architecture: str, cache_dir: Path,
                     wheel_cache: Path, interpreter: Interpreter, pip: Sequence[str] | None = None,
                     runner: Runner = run_command, log: Log = lambda _msg: None,
                     sourceless: bool = False, background: Background | None = None,
                     constraints: Sequence[str] = (), glibc: Glibc | None = None) -> DependencyLayer:
    """The cached layer for these requirements, built (resolve, trim, compile, zip) on a miss.

    ``constraints`` (the lock's pins) fix the versions of what the requirements pull in; a pin
    with no wheel for the runtime is left to the resolver and recorded (``unavailable``).
    ``glibc``: the image base's, when it is not the Lambda
    runtime's (wheels up to it are taken).
    ``sourceless``: the bytecode-only variant, made from the (cached) source layer.
    ``background`` runs the zip part writing (default: a low-priority thread).
    """
    background = background or _in_background
    keep_layers()  # a bad LAMBDASERVE_KEEP_LAYERS fails here, before anything is built
    uv = _installer(pip, python, architecture, glibc)
    pip_ver = uv_version(uv, runner) if uv is not None else current_pip_version(pip, runner)
    key = layer_key(requirements, python, architecture, pip_ver, interpreter, sourceless, constraints, glibc)
    folder = cache_dir / "deps" / key
    with _FINISHING_LOCK:
        finishing = _FINISHING.get(folder.resolve())
    if finishing is not None:
        return replace(finishing, cached=True)
    cached = _cached(folder, key)
    if cached is not None:
        return cached
    lock = LayerLock.try_exclusive(_lock_file(folder))
    if lock is None:
        log("waiting for another build that is making the same dependency layer")
        made = _wait_for_maker(folder, key)
        if isinstance(made, DependencyLayer):
            return made
        lock = made
    try:
        if (folder / "layer.json").is_file():  # made by that build meanwhile
            lock.release()
            return _cached(folder, key) or dependency_layer(
                requirements, python=python, architecture=architecture, cache_dir=cache_dir,
                wheel_cache=wheel_cache, interpreter=interpreter, pip=pip, runner=runner, log=log,
                sourceless=sourceless, background=background, constraints=constraints, glibc=glibc)
        if folder.exists():  # what a killed build left (its lock died with it)
            shutil.rmtree(folder)
        if sourceless:
            source = dependency_layer(requirements, python=python, architecture=architecture,
                                      cache_dir=cache_dir, wheel_cache=wheel_cache, interpreter=interpreter,
                                      pip=pip, runner=runner, log=log, background=background,
                                      constraints=constraints, glibc=glibc)
            return _sourceless_layer(source, key, folder, interpreter, log, background, lock)
        return _install(requirements, folder, key, python=python, architecture=architecture, uv=uv,
                        pip_ver=pip_ver, wheel_cache=wheel_cache, interpreter=interpreter, pip=pip,
                        runner=runner, log=log, background=background, lock=lock, constraints=constraints,
                        glibc=glibc)
    except BaseException:
        lock.release()
        raise


def _wait_for_maker(folder: Path, key: str) -> DependencyLayer | LayerLock:
    """The layer another build was making, once it is made; or the exclusive lock, if that build
    died first. A shared wait, never an exclusive one: the maker keeps a shared hold for as long
    as its process uses the layer (a long-lived process: serve, a test worker), so waiting to hold
    it exclusively would outlast the making."""
    lock_file = _lock_file(folder)
    while True:
        LayerLock.shared(lock_file).release()  # granted once the maker turned its lock shared or died
        cached = _cached(folder, key)
        if cached is not None:
            return cached
        lock = LayerLock.try_exclusive(lock_file)
        if lock is not None:
            return lock
        os.sched_yield()  # another waiter holds it shared for a moment: look again


def _lock_file(folder: Path) -> Path:
    return folder.with_name(folder.name + ".lock")


def _cached(folder: Path, key: str) -> DependencyLayer | None:
    """The made layer in ``folder``, held shared while this process keeps it; None if not made."""
    if not (folder / "layer.json").is_file():
        return None
    hold = LayerLock.shared(_lock_file(folder))
    if not (folder / "layer.json").is_file():  # pruned by another build while we waited
        hold.release()
        return None
    os.utime(folder)  # recently used: kept by _prune
    layer = _load(folder, key)
    layer.hold = hold
    return layer


def _install(requirements: Sequence[str], folder: Path, key: str, *, python: str, architecture: str,
             uv: str | None, pip_ver: str, wheel_cache: Path, interpreter: Interpreter,
             pip: Sequence[str] | None, runner: Runner, log: Log, background: Background,
             lock: LayerLock, constraints: Sequence[str], glibc: Glibc | None = None) -> DependencyLayer:
    """Install, trim, strip and compile a source layer into ``folder`` (``lock`` held)."""
    root = folder / "site"
    if requirements:
        log(f"installing {len(requirements)} requirement(s) for python{python} {architecture} "
            f"with {pip_ver if uv is not None else 'pip ' + pip_ver}"
            + (f", {len(constraints)} dependencies pinned by the lock" if constraints else ""))
    installer = LayerInstaller(uv, python, architecture, wheel_cache, pip, runner, glibc)
    unavailable = install_locked(requirements, constraints, root, folder, installer, log)
    log("trimming tests, docs, headers; stripping shared objects")
    trimmed = trim_tree(root, python=python, architecture=architecture, runner=runner, strip=False)
    wheels = installed_wheels(root)
    warnings = glibc_warnings(wheels, python, glibc)
    # The compile (target-Python processes) touches only .py files and __pycache__, so it runs
    # alongside the strip, and then alongside the background deflate of what the source and the
    # sourceless layers share (all but sources and bytecode); the sources and their __pycache__
    # are deflated only for a zip that ships them (layer_parts).
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambdaserve-layer") as pool:
        log(f"compiling .pyc with Python {interpreter.version}")
        compiling = pool.submit(compile_tree, root, interpreter, runner=runner, stop=stop)
        try:
            strip_shared_objects(root, trimmed, architecture, runner)
            libraries = supply_libraries(root, installer.alone())
            shared, deflates = _shared_members(root), Deflates()
            common = background(lambda: write_zip(folder / COMMON_PART, shared, nice=BACKGROUND_NICE,
                                                  deflates=deflates))
            failed = compiling.result()
        except BaseException:
            stop.set()  # Ctrl-C lands in this thread: the compile's thread starts no further slice
            raise
    if failed:
        names = ", ".join(p.relative_to(root).as_posix() for p in failed[:3])
        warnings.append(f"{len(failed)} dependency files do not compile under Python {interpreter.minor} "
                        f"and ship as source only (e.g. {names})")
    record = {"trimmed": trimmed.to_dict(), "warnings": warnings, "id": secrets.token_hex(8),
              "packages": [[w.name, w.version] for w in wheels], "libraries": libraries,
              "unavailable": unavailable}
    # A sourceless layer made from this one by this build lists them (zip_members).
    return _publish(folder, key, record, common, background, lock,
                    making=((folder / COMMON_PART, shared, common),), deflates=deflates)


def _is_source(name: str) -> bool:
    """A .py file or a compiled copy: what differs between the source and sourceless layers."""
    return name.endswith((".py", ".pyc")) or "/__pycache__/" in f"/{name}"


def _shared_members(root: Path) -> list[Member]:
    """``tree_members`` but the sources and bytecode, never looking into a __pycache__ (the
    compile may be writing there)."""
    members = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            if not _is_source(rel) and path.is_file():
                members.append(Member(rel, source=path, executable=bool(path.stat().st_mode & 0o111)))
    return members


def layer_parts(layer: DependencyLayer) -> list[Path]:
    """The zip parts that hold the layer's tree: the common part and its own (a source layer's
    own part, its sources and bytecode, is made on first use and then cached)."""
    layer.wait()
    if not layer.part.is_file():
        with Replacing(layer.part) as partial:  # another build may be making it at this moment
            write_zip(partial, [m for m in tree_members(layer.root) if _is_source(m.name)])
    return [layer.part.with_name(COMMON_PART), layer.part]


def zip_members(layer: DependencyLayer) -> tuple[list[Member], Deflates | None]:
    """The layer's files as members of a zip, and the deflates to write them with.

    A fresh sourceless layer (whose parts this process is still deflating, at low priority):
    the files of each part not yet written, deflated through the deflates the parts share, so a
    zip need not wait for the parts (nor for files it leaves out) and no file is deflated twice.
    The members are the parts' own lists, so the zip is the same bytes as one copied from them.
    Else the members are copied raw from the parts (layer_parts)."""
    if not (layer.sourceless and layer.making):  # a source layer's own part is made on first use
        return [m for part in layer_parts(layer) for m in part_members(part)], None
    members: list[Member] = []
    for part, listed, done in layer.making:
        members += part_members(part) if done.done() and done.exception() is None else listed
    return members, layer.deflates


def _in_background(work: Callable[[], object]) -> Future[object]:
    """``work`` on its own low-priority thread (the interpreter waits for it at exit)."""
    def run() -> object:
        lower_priority(BACKGROUND_NICE)
        return work()

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambdaserve-layer-part")
    future = pool.submit(run)
    pool.shutdown(wait=False)  # the thread ends with the task
    return future


def _publish(folder: Path, key: str, record: dict[str, Any], parts: Future[object],
             background: Background, lock: LayerLock,
             making: tuple[tuple[Path, list[Member], Future[object]], ...] = (),
             deflates: Deflates | None = None) -> DependencyLayer:
    """The layer in ``folder``, whose tree is complete; once ``parts`` (writing its zip parts)
    is done, layer.json is written, which makes the folder a cached layer, and ``lock`` (held
    exclusively while it was made) turns shared: other builds may use it now. ``making`` and
    ``deflates``: what zip_members uses until then (the deflated data is let go after)."""
    layer = _from_record(folder, key, record, cached=False)
    layer.hold = lock
    layer.making, layer.deflates = making, deflates
    keep = keep_layers()  # read here, not in the thread: a bad value is the caller's BuildError

    def finish() -> None:
        try:
            parts.result()
            layer.making, layer.deflates = (), None  # zips copy the parts now; a writer keeps its own
            replace_text(folder / "layer.json", json.dumps(record, indent=1, sort_keys=True))
            lock.share()
            _prune(folder.parent, keep=keep)
        except BaseException:
            lock.release()
            raise
        finally:
            with _FINISHING_LOCK:
                _FINISHING.pop(folder.resolve(), None)

    with _FINISHING_LOCK:  # registered before the thread can finish and unregister it
        _FINISHING[folder.resolve()] = layer
        layer.pending = background(finish)
        _FRESH.append((folder, layer.pending))  # not the layer: that would hold its lock (layer_lock)
    return layer


# Fresh layers of this process (folder, parts written) that no watch_parts has watched yet.
_FRESH: list[tuple[Path, Future[object]]] = []


def watch_parts(warn: Callable[[str], None], *, wait: bool = False) -> None:
    """Say through ``warn`` (now, or from the writing thread once it fails) that a fresh layer's
    zip parts or record could not be written: the zips built meanwhile are whole (made from
    the tree), but the layer is not cached, so the next build makes it again.

    ``wait``: until they are written, for a process about to exit: once the interpreter shuts
    down it refuses the thread pools the part writer still starts ("cannot schedule new futures
    after interpreter shutdown"), and the layer was lost when the build ended before its parts."""
    with _FINISHING_LOCK:
        fresh, _FRESH[:] = list(_FRESH), []
    for folder, pending in fresh:
        pending.add_done_callback(functools.partial(_say_failed, folder=folder, warn=warn))
    if wait:
        for _folder, pending in fresh:
            concurrent.futures.wait([pending])  # a failure is ``warn``ed by its callback


def _say_failed(done: Future[object], *, folder: Path, warn: Callable[[str], None]) -> None:
    failure = None if done.cancelled() else done.exception()
    if failure is not None:
        warn(f"the dependency layer in {folder} was not cached: writing its zip parts failed "
             f"({type(failure).__name__}: {failure}); this build's zip is complete and was built from "
             "its files, and the next build makes the layer again")


def _sourceless_layer(source: DependencyLayer, key: str, folder: Path, interpreter: Interpreter,
                      log: Log, background: Background, lock: LayerLock) -> DependencyLayer:
    """``source``'s tree hard-linked, then bytecode only; recorded like any layer."""
    log(f"making the sourceless dependency layer (.pyc only, Python {interpreter.version})")
    site = folder / "site"
    site.mkdir(parents=True)  # even for no requirements: the layer holds a tree
    link_tree(source.root, site)
    removed, count = make_sourceless(site, interpreter.minor)
    record = json.loads(json.dumps(source.record))
    trimmed = record["trimmed"]
    trimmed["removed_bytes"][SOURCES] = removed
    trimmed["files"][SOURCES] = count
    record["sourceless"] = True
    record["id"] = secrets.token_hex(8)  # this tree's, not its source's

    # The tree is what the smoke run needs; its parts are written in the background: the legacy
    # .pyc (and any source that did not compile) deflated while the source layer's common part
    # may still be, then that part linked in (the same bytes, never copied).
    own = [m for m in tree_members(site) if _is_source(m.name)]
    deflates = source.deflates or Deflates()
    writing = background(lambda: write_zip(folder / OWN_PART, own, nice=BACKGROUND_NICE, deflates=deflates))

    def parts() -> None:
        writing.result()
        source.wait()
        try:
            os.link(source.part.with_name(COMMON_PART), folder / COMMON_PART)
        except OSError:
            shutil.copyfile(source.part.with_name(COMMON_PART), folder / COMMON_PART)

    common = source.making[0] if source.making else (source.part.with_name(COMMON_PART), [], _done())
    return _publish(folder, key, record, background(parts), background, lock,
                    making=(common, (folder / OWN_PART, own, writing)), deflates=deflates)


def _done() -> Future[object]:
    """A part already written (a cached source layer's common part)."""
    done: Future[object] = Future()
    done.set_result(None)
    return done


def _prune(deps_dir: Path, keep: int) -> None:
    """Delete all but the ``keep`` most recently used layers (each can be 200 MB).

    A sourceless layer and its source layer are both used by the same build: both recent.
    A layer that any build holds (making or using it) is skipped.
    """
    layers = sorted((p for p in deps_dir.iterdir() if (p / "layer.json").is_file()),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in layers[keep:]:
        lock = LayerLock.try_exclusive(_lock_file(old))
        if lock is None:
            continue
        try:
            (old / "layer.json").unlink()  # first: a folder without it is not a layer
            shutil.rmtree(old)
        finally:
            lock.release()


def keep_layers() -> int:
    """How many dependency layers the user's cache keeps: $LAMBDASERVE_KEEP_LAYERS, else KEEP_LAYERS."""
    chosen = os.environ.get(KEEP_LAYERS_ENV, "").strip()
    if not chosen:
        return KEEP_LAYERS
    if not chosen.isdigit() or int(chosen) < 1:
        raise BuildError(f"{KEEP_LAYERS_ENV}={chosen!r} is not a whole number of layers to keep",
                         hint=f"Set it to 1 or more (default {KEEP_LAYERS}; a source and a sourceless "
                              "layer per stack), or unset it.")
    return int(chosen)


def _load(folder: Path, key: str, cached: bool = True) -> DependencyLayer:
    record = json.loads((folder / "layer.json").read_text(encoding="utf-8"))
    return _from_record(folder, key, record, cached)


def _from_record(folder: Path, key: str, record: dict[str, Any], cached: bool) -> DependencyLayer:
    record = json.loads(json.dumps(record))  # a copy the layer cannot share with its caller
    trimmed = TrimReport(removed=record["trimmed"]["removed_bytes"], files=record["trimmed"]["files"],
                         notes=record["trimmed"]["notes"])
    return DependencyLayer(key=key, root=folder / "site", part=folder / OWN_PART, cached=cached,
                           trimmed=trimmed, packages=[(n, v) for n, v in record["packages"]],
                           warnings=list(record["warnings"]), sourceless=bool(record.get("sourceless")),
                           id=record.get("id"), record=record)


def tree_members(root: Path, prefix: str = "") -> list[Member]:
    """Every file under ``root`` as a zip member (symlinks are followed: Lambda's unzip has none)."""
    members = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            members.append(Member(prefix + path.relative_to(root).as_posix(), source=path,
                                  executable=bool(path.stat().st_mode & 0o111)))
    return members


def install_dependencies(config: Config, requirements: Sequence[str], scratch: Path, *,
                         glibc: Glibc | None = None) -> Path:
    """The dependency folder for ``config``'s runtime (an image's /var/task), cached like the zip's.
    ``glibc``: the image base's, when it is not Lambda's.

    Matches build.image's DependencyInstaller; ``scratch`` is unused because layers live in the
    user's shared cache, shared by zip and image builds of every project.
    """
    fn = config.function
    cache = shared_cache()
    layer = dependency_layer(requirements, python=fn.python, architecture=fn.architecture,
                             cache_dir=cache, wheel_cache=cache / "wheels",
                             interpreter=find_interpreter(fn.python),
                             constraints=lock_use(config).constraints, glibc=glibc)
    _KEPT.append(layer)  # only its folder is handed on: hold it (layer_lock) while this process lives
    return layer.root


_KEPT: list[DependencyLayer] = []
