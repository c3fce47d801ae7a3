"""The function's own code (the runtime, the try-it page's files, a custom predictor's module)
compiled for the target Python, kept in the user's cache by content.

Every project ships the same runtime, so a new project (or a rebuild whose code did not change)
links the compiled tree made before into its own staging folder instead of starting the target
Python to compile it again: on a new project's build that compile was on the critical path.
The key is the content of every file and its name in the zip, the interpreter and the compile
step itself (pycompile's script and slicing), so the same key gives the same bytes as compiling
afresh. Builds running at once each compile in a folder of their own and rename it into place;
the first one in wins and the others keep theirs out.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from lambdaserve.config.sources import SourceFile
from lambdaserve.errors import BuildError
from lambdaserve.package.deps import pycompile
from lambdaserve.package.deps.interpreters import Interpreter
from lambdaserve.package.process import Runner
from lambdaserve.runtime.digest import file_sha256

KEEP = 16  # compiled trees kept per user: a few lambdaserve versions and predictors' edits
COMPLETE = ".complete"  # written last: a tree without it is half made and never used


def compiled_code(files: Sequence[SourceFile], staging: Path, interpreter: Interpreter, runner: Runner,
                  cache: Path) -> list[Path]:
    """``files`` compiled by ``interpreter`` and laid out in ``staging`` (made afresh): linked from
    the tree kept in ``cache`` under their content's key, made there first if it is not; the
    files of ``staging``, sorted."""
    digests = {item.name: file_sha256(item.path) for item in files}  # the key's, and the check's
    tree = cache / code_key(files, interpreter, digests)
    if staging.exists():
        shutil.rmtree(staging)
    try:
        if not (tree / COMPLETE).is_file():
            _make(tree, files, interpreter, runner)
        _link_tree(tree, staging)
        os.utime(tree / COMPLETE)  # recently used: the last to be pruned
        whole = _check_whole(files, staging, interpreter, digests)
    except OSError:  # pruned by another build meanwhile, or the cache can't be written (read-only,
        whole = None  # full): compile here, as with no cache
    if whole is False:  # a linked file was written in place: the kept tree is not what its key says
        shutil.rmtree(tree, ignore_errors=True)  # the next build makes it afresh
    if not whole:
        shutil.rmtree(staging, ignore_errors=True)
        _copy_and_compile(files, staging, interpreter, runner)
    return sorted(p for p in staging.rglob("*") if p.is_file())


def code_key(files: Sequence[SourceFile], interpreter: Interpreter,
             digests: Mapping[str, str] | None = None) -> str:
    """``digests``: each file's sha256 by its name in the zip, if already read."""
    digest = hashlib.sha256()
    for part in (str(interpreter.path), interpreter.version, interpreter.machine, pycompile.compile_recipe()):
        digest.update(part.encode() + b"\0")
    for item in sorted(files, key=lambda f: f.name):
        sha = digests[item.name] if digests is not None else file_sha256(item.path)
        digest.update(item.name.encode() + b"\0" + bytes.fromhex(sha))
    return digest.hexdigest()[:32]


def _make(tree: Path, files: Sequence[SourceFile], interpreter: Interpreter, runner: Runner) -> None:
    staging = tree.with_name(f".{tree.name}.{os.getpid()}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _copy_and_compile(files, staging, interpreter, runner)
        (staging / COMPLETE).write_text("", encoding="utf-8")
        try:
            staging.rename(tree)
        except OSError:  # made by another build meanwhile (or a half-made one is in the way)
            if not (tree / COMPLETE).is_file():
                shutil.rmtree(tree, ignore_errors=True)
                staging.rename(tree)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _prune(tree.parent, keep=KEEP, spare=tree)


def _copy_and_compile(files: Sequence[SourceFile], staging: Path, interpreter: Interpreter,
                      runner: Runner) -> None:
    for item in files:
        dest = staging / item.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.path, dest)
    failed = pycompile.compile_tree(staging, interpreter, runner=runner)
    if failed:
        names = ", ".join(p.relative_to(staging).as_posix() for p in failed)
        raise BuildError(f"Python {interpreter.version} cannot compile {names}",
                         hint=f"Fix the syntax for python{interpreter.minor}: run "
                              f"{interpreter.path} -m py_compile on it to see the error.")


def _link_tree(tree: Path, staging: Path) -> None:
    for folder, _dirs, names in os.walk(tree):
        rel = os.path.relpath(folder, tree)
        os.makedirs(os.path.join(staging, rel), exist_ok=True)
        for name in names:
            if not (rel == "." and name == COMPLETE):
                _link(os.path.join(folder, name), os.path.join(staging, rel, name))


def _link(source: str, dest: str) -> None:
    """A hard link, or a copy where there can be none: a project on another file system than
    the user's cache (a second disk, a container's volume) would otherwise compile every build."""
    try:
        os.link(source, dest)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise  # gone (pruned meanwhile): the caller compiles afresh
        shutil.copy2(source, dest)


def _check_whole(files: Sequence[SourceFile], staging: Path, interpreter: Interpreter,
                 digests: Mapping[str, str]) -> bool:
    """FileNotFoundError unless every file and every .py's .pyc is there (a walk over a tree
    another build pruned meanwhile skips what is gone without a word); False if a file's content
    is not its source's. The staging folder is the project's and its files are the cache's own
    inodes: a user who follows a traceback into it and edits the file there (an editor keeps a
    hard link by writing in place) changes the kept tree for every later build with that key."""
    for item in files:
        source = staging / item.name
        if not source.is_file() or (source.suffix == ".py" and not pycompile.pyc_path(
                source, interpreter.minor).is_file()):
            raise FileNotFoundError(source)
        if file_sha256(source) != digests[item.name]:
            return False
    return True


def _prune(cache: Path, *, keep: int, spare: Path) -> None:
    """All but the ``keep`` most recently used trees (and ``spare``, just made). Another build's
    folder being made (a dot name) is not a tree yet, though its COMPLETE is written before its
    rename; a tree another build prunes meanwhile is passed over."""
    used: dict[Path, int] = {}
    for tree in cache.iterdir():
        if tree != spare and not tree.name.startswith("."):
            with contextlib.suppress(OSError):  # not a tree, or pruned by another build
                used[tree] = (tree / COMPLETE).stat().st_mtime_ns
    for old in sorted(used, key=used.__getitem__, reverse=True)[max(0, keep - 1):]:
        shutil.rmtree(old, ignore_errors=True)
