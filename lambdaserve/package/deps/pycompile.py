"""Compile a folder's .py files with the TARGET Python into unchecked-hash .pyc files.

/var/task is read-only on Lambda, so a module without a valid .pyc is compiled again on
every cold start. Unchecked-hash pycs are used without even comparing them with the
source, and carry no timestamps, so the same source gives the same bytes. Tracebacks show
/var/task paths (``ddir``), not this machine's. PYTHONHASHSEED is fixed because set and
frozenset constants are marshalled in hash order.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from lambdaserve.errors import BuildError
from lambdaserve.package.process import Runner, run_command, tail

if TYPE_CHECKING:  # interpreters imports this module
    from lambdaserve.package.deps.interpreters import Interpreter

# compile_file is what compile_dir calls for each file; ddir is the file's folder at /var/task.
_SCRIPT = """
import compileall, os, py_compile, sys
root, ddir = sys.argv[1], sys.argv[2]
mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
with open(sys.argv[3], encoding="utf-8", errors="surrogateescape") as listing:
    names = listing.read().splitlines()
for rel in names:
    compileall.compile_file(os.path.join(root, rel), ddir=os.path.join(ddir, os.path.dirname(rel)),
                            quiet=2, force=True, invalidation_mode=mode)
"""
MANY = 200  # below this many files, one process: more processes cost more to start than they save
# A .pyc's bytes can depend on what its process compiled before (marshal flags objects by their
# reference count, and interned strings outlive the module that interned them), so a large tree
# is always cut into the same SLICES, whatever the machine's cores; at most one runs per core.
SLICES = 4


def compile_recipe() -> str:
    """What, besides the sources and the interpreter, decides a compiled tree's bytes."""
    return f"{_SCRIPT}\n{MANY} {SLICES} PYTHONHASHSEED=0"


def pyc_path(source: Path, version: str) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.cpython-{version.replace('.', '')}.pyc"


def slices(root: Path, sources: list[Path], count: int) -> list[list[str]]:
    """``sources`` (relative to ``root``) in ``count`` lists of about equal bytes, largest first."""
    loads = [0] * count
    names: list[list[str]] = [[] for _ in range(count)]
    for source in sorted(sources, key=lambda p: (-p.stat().st_size, p)):
        lightest = loads.index(min(loads))
        loads[lightest] += source.stat().st_size
        names[lightest].append(source.relative_to(root).as_posix())
    return [chunk for chunk in names if chunk]


def compile_tree(root: Path, interpreter: Interpreter, *, ddir: str = "/var/task",
                 runner: Runner = run_command, stop: threading.Event | None = None) -> list[Path]:
    """Compile every .py under ``root``; return the sources that did not compile (syntax errors).

    A large tree is split between SLICES target-Python processes, up to one per core at a
    time: the same split on every machine, so the same bytes (compileall's worker pool handed
    files to whichever worker was free). They are this process's children, so their CPU time
    is counted, where the pool's workers' was not.

    A caller that runs this in a thread sets ``stop`` when Ctrl-C reaches it: no further slice
    starts (the thread would otherwise compile the whole tree before the build can stop, ~15 s).
    """
    stop = stop or threading.Event()
    sources = sorted(root.rglob("*.py"))
    if not sources:
        return []
    count = SLICES if len(sources) > MANY else 1

    def run(listing: Path) -> subprocess.CompletedProcess[str]:
        if stop.is_set():
            raise BuildError("compiling .pyc was stopped", hint="Build again.")
        return runner([str(interpreter.path), "-s", "-c", _SCRIPT, str(root), ddir, str(listing)],
                      env={"PYTHONHASHSEED": "0", "PYTHONPATH": ""}, timeout=1800)

    # The names go in files, not argv: a large tree's would pass the kernel's argument limit.
    with tempfile.TemporaryDirectory(prefix="lambdaserve-pyc-") as tmp:
        listings = []
        for number, names in enumerate(slices(root, sources, count)):
            listings.append(Path(tmp, f"{number}.txt"))
            listings[-1].write_text("\n".join(names) + "\n", encoding="utf-8",
                                     errors="surrogateescape")
        cores = max(1, min(os.cpu_count() or 1, count))
        with ThreadPoolExecutor(max_workers=cores, thread_name_prefix="lambdaserve-pyc") as pool:
            runs = list(pool.map(run, listings))  # map cancels the queued slices if one raises
    failed = [s for s in sources if not pyc_path(s, interpreter.minor).is_file()]
    for done in runs:
        if done.returncode != 0:
            raise BuildError(f"Python {interpreter.version} could not compile {root}: {tail(done.stderr)}",
                             hint=f"Check that it runs: {interpreter.path} -c 'import compileall'.")
    return failed


def make_sourceless(root: Path, version: str) -> tuple[int, int]:
    """Replace every compiled .py under ``root`` by its legacy-location .pyc; (source bytes, files) removed.

    Moves and unlinks names only, never writes into a file, so ``root`` may be hard links into
    another tree. A .py without a .pyc (it did not compile for ``version``) stays as source.
    """
    removed = count = 0
    for source in sorted(root.rglob("*.py")):
        compiled = pyc_path(source, version)
        if not source.is_file() or source.is_symlink() or not compiled.is_file():
            continue
        removed += source.stat().st_size
        count += 1
        os.replace(compiled, source.with_suffix(".pyc"))
        source.unlink()
    for cache in sorted(root.rglob("__pycache__"), reverse=True):
        if cache.is_dir() and not any(cache.iterdir()):
            cache.rmdir()
    return removed, count
