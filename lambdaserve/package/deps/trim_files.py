"""Trim an installed dependency folder: files a Lambda function never imports or loads.

Removed: tests/ (and test/ holding test_*.py) and code-free docs/ folders, C/C++/Cython headers and
sources, type stubs, static libraries, console scripts (their shebang names the build
host's Python), bytecode for other Pythons and pip's install records. Kept: *.dist-info
METADATA, WHEEL, entry points and licenses, so importlib.metadata still answers. Shared
objects are stripped with ``strip --strip-unneeded`` (each given an inode of its own first: uv
hard-links the installed files from its cache) except the bundled libraries under
``*.libs/``: stripping those breaks numpy (auditwheel's patched ELF files do not survive it).

A native library ``libX.so*`` that is not a Python extension, not under ``*.libs/``, and whose
name ``libX`` appears in no other file of the layer (no ELF NEEDED entry, no ctypes path in a
.py, no dlopen string) is never loaded, so it goes too: onnxruntime's wheel carries its C API
library (35 MB) that its Python binding does not use.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lambdaserve.package.deps.platforms import MACHINE
from lambdaserve.package.process import Runner, run_command
from lambdaserve.runtime.atomic import Replacing

PRUNED_DIRS = {"tests": "tests", "docs": "docs", "doc": "docs"}
PRUNED_SUFFIXES = {
    ".h": "headers and sources", ".hpp": "headers and sources", ".hh": "headers and sources",
    ".hxx": "headers and sources", ".c": "headers and sources", ".cc": "headers and sources",
    ".cpp": "headers and sources", ".pyx": "headers and sources", ".pxd": "headers and sources",
    ".pxi": "headers and sources", ".pyi": "type stubs",
    ".a": "static libraries",
}
RECORD_FILES = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
STRIP_BATCH = 200


@dataclass
class TrimReport:
    removed: dict[str, int] = field(default_factory=dict)  # category -> bytes
    files: dict[str, int] = field(default_factory=dict)  # category -> file count
    notes: list[str] = field(default_factory=list)
    # build.trim_unimported: the largest subpackages (or extension modules) left out, dotted -> bytes
    subpackages: list[tuple[str, int]] = field(default_factory=list)

    def add(self, category: str, size: int, count: int = 1) -> None:
        self.removed[category] = self.removed.get(category, 0) + size
        self.files[category] = self.files.get(category, 0) + count

    @property
    def total(self) -> int:
        return sum(self.removed.values())

    def to_dict(self) -> dict[str, object]:
        return {"removed_bytes": dict(sorted(self.removed.items())),
                "files": dict(sorted(self.files.items())), "notes": list(self.notes),
                "unimported_subpackages": [list(item) for item in self.subpackages]}


def _tree_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files), len(files)


def _pruned(folder: Path) -> bool:
    # "test" is also a plain word; take it only when it holds test modules (joblib/test).
    if folder.name == "test":
        return any(folder.glob("test_*.py"))
    # A docs folder with code is a package in use (botocore.docs builds boto3's docstrings).
    if PRUNED_DIRS.get(folder.name) == "docs":
        return not any(folder.rglob("*.py"))
    return folder.name in PRUNED_DIRS


def _suffix(name: str) -> str:
    """What Path(name).suffix gives, without a Path."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _category(rel: str, python_tag: str) -> str | None:
    """Why the file at ``rel`` (posix, relative to the layer) goes, or None if it stays."""
    parts = rel.split("/")
    name = parts[-1]
    if parts[0] == "bin":
        return "scripts"
    if _suffix(name) == ".pyc" and name.split(".")[-2] != python_tag:
        return "bytecode for other Pythons"
    if len(parts) > 1 and parts[-2].endswith(".dist-info") and name in RECORD_FILES:
        return "install records"
    if name.endswith((".pyx.tp", ".pxd.tp", ".pxi.tp")):  # Cython templates (scikit-learn)
        return "headers and sources"
    return PRUNED_SUFFIXES.get(_suffix(name))


def _walk(root: Path) -> tuple[list[str], list[str]]:
    """(folders, other entries) under ``root`` as posix paths relative to it, symlinks to folders
    among the entries and not followed. os.walk and str: a layer has thousands of files, and the
    trim runs on the cold build's critical path."""
    folders: list[str] = []
    entries: list[str] = []
    base = str(root)
    for folder, dirs, files in os.walk(base):
        rel = os.path.relpath(folder, base).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        for name in dirs:
            (entries if os.path.islink(os.path.join(folder, name)) else folders).append(prefix + name)
        entries += [prefix + name for name in files]
    return folders, entries


def trim_tree(root: Path, *, python: str, architecture: str, runner: Runner = run_command,
              strip_tool: str | None = None, strip: bool = True) -> TrimReport:
    """Trim ``root`` in place and report the bytes removed per category.

    ``strip=False`` leaves the shared objects to ``strip_shared_objects``, which touches
    nothing but them: the caller can compile the .py files meanwhile.
    """
    report = TrimReport()
    python_tag = "cpython-" + python.replace(".", "")
    folders, _ = _walk(root)
    # Deepest first (a docs/ inside a tests/ is counted as docs), never a top-level folder.
    candidates = [rel for rel in sorted(folders, key=lambda r: r.split("/"), reverse=True)
                  if "/" in rel and _pruned(root / rel)]
    imported = _imported_tests(root, candidates)
    for rel in candidates:
        folder = root / rel
        if rel not in imported and folder.is_dir():
            size, count = _tree_size(folder)
            report.add(PRUNED_DIRS.get(folder.name, "tests"), size, count)
            shutil.rmtree(folder)
    _, entries = _walk(root)
    for rel in entries:
        category = _category(rel, python_tag)
        if category is not None:
            path = os.path.join(root, rel)
            report.add(category, os.lstat(path).st_size)
            os.unlink(path)
    _remove_unreferenced_libraries(root, report, entries)
    _remove_empty_dirs(root)
    if strip:
        strip_shared_objects(root, report, architecture, runner, strip_tool)
    return report


def _imported_tests(root: Path, candidates: list[str]) -> set[str]:
    """The test packages among ``candidates`` that code outside them imports by name: numpy 2.2's
    numpy.testing imports numpy._core.tests._natype, so that tests/ is part of the library."""
    dotted = {rel.replace("/", "."): rel for rel in candidates
              if PRUNED_DIRS.get(rel.rsplit("/", 1)[-1]) != "docs"}
    if not dotted:
        return set()
    # Each name ends in its folder's name ("tests", "test"): find those endings (a literal the
    # regex engine searches for fast), then compare the whole name backwards from each. One
    # alternation of every name, tried at every byte, cost seconds on a scikit-learn layer.
    by_last: dict[bytes, list[bytes]] = {}
    for name in dotted:
        by_last.setdefault(name.rsplit(".", 1)[1].encode(), []).append(name.encode())
    endings = re.compile(rb"\.(" + b"|".join(re.escape(last) for last in sorted(by_last)) + rb")(?!\w)")
    inside = tuple(rel + "/" for rel in dotted.values())
    found: set[str] = set()
    for rel in _walk(root)[1]:
        if rel.endswith(".py") and not rel.startswith(inside):
            with open(os.path.join(root, rel), "rb") as fh:
                found.update(_names_at(fh.read(), endings, by_last))
    return {dotted[name] for name in found}


def _names_at(text: bytes, endings: re.Pattern[bytes], by_last: dict[bytes, list[bytes]]) -> set[str]:
    """The names in ``text`` as whole dotted names (no name character or dot before, no name
    character after) that end where ``endings`` matches."""
    found = set()
    for match in endings.finditer(text):
        end = match.end()
        for name in by_last[match.group(1)]:
            start = end - len(name)
            if start >= 0 and text[start:end] == name and (start == 0 or text[start - 1] not in _NAME_OR_DOT):
                found.add(name.decode())
    return found


_NAME_OR_DOT = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def _remove_unreferenced_libraries(root: Path, report: TrimReport, entries: list[str]) -> None:
    """``entries``: the tree's files as ``_walk`` listed them (those trimmed since are skipped)."""
    named = sorted(root / rel for rel in entries
                   if (name := rel.rsplit("/", 1)[-1]).startswith("lib") and ".so" in name[3:])
    candidates = {p: p.name.split(".so")[0] for p in named
                  if p.is_file() and not p.is_symlink() and (p.suffix == ".so" or ".so." in p.name)
                  and ".cpython-" not in p.name and ".abi3." not in p.name
                  and not is_bundled_lib(p, root) and _is_elf(p)}
    if not candidates:
        return
    # libX followed by anything but a name character: "libX.so", "libX" + ext, not "libX_extra".
    names = sorted({re.escape(stem.encode()) for stem in candidates.values()})
    pattern = re.compile(b"(" + b"|".join(names) + b")(?![A-Za-z0-9_])")
    referenced: dict[str, set[Path]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            for found in set(pattern.findall(path.read_bytes())):
                referenced.setdefault(found.decode(), set()).add(path)
    for path, stem in candidates.items():
        if not referenced.get(stem, set()) - {path}:
            report.add("unreferenced native libraries", path.stat().st_size)
            path.unlink()


def _remove_empty_dirs(root: Path) -> None:
    for folder, _dirs, _files in os.walk(root, topdown=False):  # children before their parents
        if folder != str(root) and not os.listdir(folder):
            os.rmdir(folder)


def default_strip_tool(architecture: str, which: Callable[[str], str | None] = shutil.which) -> str | None:
    """``strip`` if it handles the target's ELF files (same machine), else the cross strip, else None."""
    machine = MACHINE[architecture]
    if platform.machine() == machine:
        return which("strip")
    return which(f"{machine}-linux-gnu-strip")


def is_bundled_lib(path: Path, root: Path) -> bool:
    return any(part.endswith(".libs") for part in path.relative_to(root).parts[:-1])


def strip_shared_objects(root: Path, report: TrimReport, architecture: str, runner: Runner = run_command,
                         strip_tool: str | None = None) -> None:
    """``strip --strip-unneeded`` every shared object under ``root`` but the bundled ``*.libs/``."""
    tool = strip_tool if strip_tool is not None else default_strip_tool(architecture)
    objects = [p for p in sorted(root.rglob("*.so*")) if p.is_file() and not p.is_symlink()
               and (p.suffix == ".so" or ".so." in p.name) and not is_bundled_lib(p, root)
               and _is_elf(p)]
    if not objects:
        return
    if not tool:  # None or "" (the caller says there is none)
        report.notes.append(f"no strip tool for {architecture}: {len(objects)} shared objects "
                            "left unstripped")
        return
    for path in objects:
        _own_copy(path)
    before = {p: p.stat().st_size for p in objects}
    # One strip process per core: each file is stripped on its own, so the split changes nothing.
    workers = max(1, min(os.cpu_count() or 1, 8))
    size = max(1, min(STRIP_BATCH, -(-len(objects) // workers)))
    batches = [objects[start:start + size] for start in range(0, len(objects), size)]

    def strip(batch: list[Path]) -> int:
        if runner([tool, "--strip-unneeded", *map(str, batch)], timeout=600).returncode == 0:
            return 0
        # strip stops at a file it cannot handle; retry one by one to strip the others.
        return sum(runner([tool, "--strip-unneeded", str(p)], timeout=120).returncode != 0 for p in batch)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lambdaserve-strip") as pool:
        failed = sum(pool.map(strip, batches))
    saved = sum(size - p.stat().st_size for p, size in before.items())
    report.add("stripped shared objects", saved, len(objects) - failed)
    if failed:
        report.notes.append(f"strip could not handle {failed} shared objects; they are kept as they were")


def _own_copy(path: Path) -> None:
    """Give a hard-linked file (uv links the installed files from its cache) an inode of its
    own: strip rewrites a file with several links in place, which would strip uv's cache."""
    if path.stat().st_nlink > 1:
        with Replacing(path) as fresh:
            shutil.copy2(path, fresh)


def _is_elf(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"\x7fELF"
