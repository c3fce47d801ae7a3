"""Compile a folder's .py files with the TARGET Python into unchecked-hash .pyc files.

/var/task is read-only on Lambda, so a module without a valid .pyc is compiled again on
every cold start. Unchecked-hash pycs are used without even comparing them with the
source, and carry no timestamps, so the same source gives the same bytes. Tracebacks show
/var/task paths (``ddir``), not this machine's. PYTHONHASHSEED is fixed because set and
frozenset constants are marshalled in hash order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from lambdaserve.errors import BuildError
from lambdaserve.package.process import Runner, run_command, tail

if TYPE_CHECKING:  # interpreters imports this module
    from lambdaserve.package.deps.interpreters import Interpreter

_SCRIPT = """
import compileall, py_compile, sys
compileall.compile_dir(sys.argv[1], ddir=sys.argv[2], quiet=2, force=True, workers=int(sys.argv[3]),
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
"""


def pyc_path(source: Path, version: str) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.cpython-{version.replace('.', '')}.pyc"


def compile_tree(root: Path, interpreter: Interpreter, *, ddir: str = "/var/task",
                 runner: Runner = run_command) -> list[Path]:
    """Compile every .py under ``root``; return the sources that did not compile (syntax errors)."""
    sources = sorted(root.rglob("*.py"))
    if not sources:
        return []
    # Worker processes cost more than they save on a few files (a code-only rebuild).
    workers = str(max(1, min(os.cpu_count() or 1, 4))) if len(sources) > 200 else "1"
    done = runner([str(interpreter.path), "-s", "-c", _SCRIPT, str(root), ddir, workers],
                  env={"PYTHONHASHSEED": "0", "PYTHONPATH": ""}, timeout=1800)
    failed = [s for s in sources if not pyc_path(s, interpreter.minor).is_file()]
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
