"""The function's own code is compiled once per content and interpreter, in the user's cache.

A new project ships the same runtime as the last one: its build links the compiled tree instead
of starting the target Python to compile it again. Anything that changes the bytes (a file's
content, the interpreter) is a new tree; a tree that disappears underneath is compiled afresh.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.config.sources import SourceFile
from lambdaserve.errors import BuildError
from lambdaserve.package.deps.interpreters import Interpreter
from lambdaserve.package.deps.pycompile import pyc_path
from lambdaserve.package.process import run_command
from lambdaserve.package.zip import code_cache


class Counting:
    """run_command, counting the target-Python runs (one per compile)."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, args: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.runs += 1
        return run_command(args, **kwargs)


def _files(root: Path, body: str = "X = 1\n") -> list[SourceFile]:
    (root / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text(body)
    (root / "page.txt").write_text("not python\n")
    return [SourceFile("lambdaserve/__init__.py", root / "pkg" / "__init__.py"),
            SourceFile("lambdaserve/runtime/mod.py", root / "pkg" / "mod.py"),
            SourceFile("lambdaserve/vendor/page.txt", root / "page.txt")]


def _names(paths: list[Path], staging: Path) -> set[str]:
    return {p.relative_to(staging).as_posix() for p in paths}


def test_a_second_project_links_the_compiled_tree_without_compiling(tmp_path, py312: Interpreter):
    files, runner, cache = _files(tmp_path / "src"), Counting(), tmp_path / "cache"
    first = code_cache.compiled_code(files, tmp_path / "a", py312, runner, cache)
    assert runner.runs == 1
    second = code_cache.compiled_code(files, tmp_path / "b", py312, runner, cache)
    assert runner.runs == 1  # linked from the cache
    assert _names(first, tmp_path / "a") == _names(second, tmp_path / "b")
    pyc = pyc_path(tmp_path / "b" / "lambdaserve" / "runtime" / "mod.py", py312.minor)
    assert pyc in second
    same = pyc_path(tmp_path / "a" / "lambdaserve" / "runtime" / "mod.py", py312.minor)
    assert pyc.read_bytes() == same.read_bytes()
    assert code_cache.COMPLETE not in {p.name for p in second}


def test_a_changed_file_or_another_interpreter_compiles_a_tree_of_its_own(tmp_path, py312: Interpreter):
    runner, cache = Counting(), tmp_path / "cache"
    code_cache.compiled_code(_files(tmp_path / "src"), tmp_path / "a", py312, runner, cache)
    changed = _files(tmp_path / "src", "X = 2\n")
    code_cache.compiled_code(changed, tmp_path / "a", py312, runner, cache)
    assert runner.runs == 2
    other = Interpreter(py312.path, py312.version + "-other", py312.machine)
    assert code_cache.code_key(changed, other) != code_cache.code_key(changed, py312)
    assert len([p for p in cache.iterdir() if (p / code_cache.COMPLETE).is_file()]) == 2


def test_a_syntax_error_is_a_build_error_and_nothing_is_kept(tmp_path, py312: Interpreter):
    files, cache = _files(tmp_path / "src", "def broken(:\n"), tmp_path / "cache"
    with pytest.raises(BuildError, match="cannot compile lambdaserve/runtime/mod.py"):
        code_cache.compiled_code(files, tmp_path / "a", py312, run_command, cache)
    assert not cache.exists() or not any(cache.iterdir())  # no tree, no half-made folder


def test_a_kept_tree_missing_a_file_is_not_linked_half_but_compiled_afresh(tmp_path, py312: Interpreter):
    files, runner, cache = _files(tmp_path / "src"), Counting(), tmp_path / "cache"
    code_cache.compiled_code(files, tmp_path / "a", py312, runner, cache)
    tree = cache / code_cache.code_key(files, py312)
    pyc_path(tree / "lambdaserve" / "runtime" / "mod.py", py312.minor).unlink()  # as a prune midway would
    got = code_cache.compiled_code(files, tmp_path / "b", py312, runner, cache)
    assert runner.runs == 2
    assert pyc_path(tmp_path / "b" / "lambdaserve" / "runtime" / "mod.py", py312.minor) in got


def test_only_the_most_recently_used_trees_are_kept(tmp_path, py312: Interpreter):
    cache = tmp_path / "cache"
    keys = []
    for n in range(code_cache.KEEP + 1):
        files = _files(tmp_path / f"src{n}", f"X = {n}\n")
        code_cache.compiled_code(files, tmp_path / "a", py312, run_command, cache)
        keys.append(code_cache.code_key(files, py312))
        os.utime(cache / keys[-1] / code_cache.COMPLETE, ns=(n * 10**9, n * 10**9))  # used in this order
    kept = {p.name for p in cache.iterdir() if (p / code_cache.COMPLETE).is_file()}
    assert kept == set(keys[1:])  # the least recently used one went


def test_a_linked_file_edited_in_place_is_not_shipped_by_the_next_build(tmp_path, py312: Interpreter):
    # The staging files are the cache's inodes: an edit there (an editor following a traceback
    # into .lambdaserve/cache/code keeps the link by writing in place) must not reach later builds.
    files, runner, cache = _files(tmp_path / "src"), Counting(), tmp_path / "cache"
    code_cache.compiled_code(files, tmp_path / "a", py312, runner, cache)
    with open(tmp_path / "a" / "lambdaserve" / "runtime" / "mod.py", "r+") as fh:  # in place
        fh.write("X = 666  # edited\n")
    code_cache.compiled_code(files, tmp_path / "b", py312, runner, cache)
    assert (tmp_path / "b" / "lambdaserve" / "runtime" / "mod.py").read_text() == "X = 1\n"
    code_cache.compiled_code(files, tmp_path / "c", py312, runner, cache)  # the tree made afresh
    assert (tmp_path / "c" / "lambdaserve" / "runtime" / "mod.py").read_text() == "X = 1\n"
    assert runner.runs == 3  # the first, the one that found the edit, the tree made again
    code_cache.compiled_code(files, tmp_path / "d", py312, runner, cache)
    assert runner.runs == 3  # and linked again after


def test_a_prune_leaves_another_builds_tree_that_is_not_renamed_yet(tmp_path, py312: Interpreter):
    # A maker writes COMPLETE into its own dot folder and then renames it: a prune in between
    # must not take it (its rename would then fail and fail that build).
    cache = tmp_path / "cache"
    code_cache.compiled_code(_files(tmp_path / "src"), tmp_path / "a", py312, run_command, cache)
    making = cache / f".{'0' * 32}.4242.partial"
    making.mkdir()
    (making / code_cache.COMPLETE).write_text("")
    (cache / "stray-file").write_text("")  # not a tree either
    code_cache.compiled_code(_files(tmp_path / "src2", "X = 2\n"), tmp_path / "b", py312, run_command,
                             cache)
    code_cache._prune(cache, keep=1, spare=cache / "none")
    assert (making / code_cache.COMPLETE).is_file()
    assert (cache / "stray-file").is_file()
    assert sum(1 for p in cache.iterdir() if not p.name.startswith(".") and p.is_dir()) == 0


def test_a_project_on_another_file_system_copies_the_tree_instead_of_compiling(tmp_path, py312: Interpreter):
    other = Path("/dev/shm")
    if not other.is_dir() or other.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs a second file system: /dev/shm as a tmpfs")
    files, runner, cache = _files(tmp_path / "src"), Counting(), tmp_path / "cache"
    code_cache.compiled_code(files, tmp_path / "a", py312, runner, cache)
    with tempfile.TemporaryDirectory(dir=other) as project:
        got = code_cache.compiled_code(files, Path(project) / "code", py312, runner, cache)
        assert runner.runs == 1  # no hard link across file systems: copied, not compiled again
        assert pyc_path(Path(project) / "code" / "lambdaserve" / "runtime" / "mod.py", py312.minor) in got


def test_a_cache_that_cannot_be_written_compiles_in_the_build_folder(tmp_path, py312: Interpreter):
    files, runner = _files(tmp_path / "src"), Counting()
    blocked = tmp_path / "a-file"
    blocked.write_text("")  # the user cache sits below a file: every write there fails (even as root)
    made = code_cache.compiled_code(files, tmp_path / "a", py312, runner, blocked / "cache")
    assert runner.runs >= 1
    assert pyc_path(tmp_path / "a" / "lambdaserve" / "runtime" / "mod.py", py312.minor) in made
