"""Every `lambdaserve.…` name, `*.py` path and source folder the docs and docstrings mention exists.

A module map that names a moved file sends the next reader to the wrong place; this keeps
docs/*.md, DEVELOPERS.md, README.md and every docstring of our Python files honest.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lambdaserve"
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "DEVELOPERS.md", ROOT / "README.md"]

_DOTTED = re.compile(r"(?<![\w./-])lambdaserve(?:\.[A-Za-z_]\w*)+")
_PY_PATH = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w-]+\.py)\b")
SOURCE_DIRS = ("lambdaserve", "tests", "benchmarks", "examples", "scripts", "docs")
_FOLDER = re.compile(r"(?<![\w./-])(?:" + "|".join(SOURCE_DIRS) + r")/(?:[\w.-]+/)*(?![\w.-])")
# Dotted words that end like a file name (lambdaserve.toml, lambdaserve.onnx.toml) are files.
_FILE_SUFFIXES = {"toml", "lock", "json", "yaml", "yml", "md", "txt", "log", "svg", "zip", "py", "onnx"}


def _docstrings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = [tree, *(n for n in ast.walk(tree)
                     if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef))]
    return [text for node in nodes if (text := ast.get_docstring(node))]


def _texts() -> list[tuple[str, Path, str]]:
    """(where, the folder relative paths start from, text) for every doc and docstring."""
    found = [(str(doc.relative_to(ROOT)), doc.parent, doc.read_text(encoding="utf-8")) for doc in DOCS]
    for module in sorted(p for folder in SOURCE_DIRS for p in (ROOT / folder).rglob("*.py")):
        if "vendor" in module.parts:
            continue
        found += [(str(module.relative_to(ROOT)), module.parent, text) for text in _docstrings(module)]
    return found


TEXTS = _texts()
# Placeholders in docstrings that explain a user's files ("the file pkg.py", "m.pyc stands for m.py").
_EXAMPLE_FILES = {"pkg.py", "m.py", "pkg/new.py", "price_predictor.py", "embed_predictor.py", "features.py"}


@cache
def _file_names() -> frozenset[str]:
    return frozenset(p.name for folder in SOURCE_DIRS for p in (ROOT / folder).rglob("*.py"))


@dataclass(frozen=True)
class _Imported:
    """A name a module imports from one of ours: what it names is looked up there."""

    dotted: str


def _imports(node: ast.Import | ast.ImportFrom) -> dict[str, ast.AST | _Imported]:
    if isinstance(node, ast.Import):
        return {a.asname: _Imported(a.name) if a.name.startswith("lambdaserve") else node
                for a in node.names if a.asname} | \
               {a.name.split(".")[0]: node for a in node.names if not a.asname}
    ours = node.level == 0 and (node.module or "").split(".")[0] == "lambdaserve"
    return {(a.asname or a.name): _Imported(f"{node.module}.{a.name}") if ours else node for a in node.names}


def _defined(body: list[ast.stmt]) -> dict[str, ast.AST | _Imported]:
    """The names a module's or a class's body defines: defs, classes, assignments (and the
    names an ``__all__`` lists, a lazy facade's exports)."""
    names: dict[str, ast.AST | _Imported] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update({t.id: node for t in targets if isinstance(t, ast.Name)})
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value:
                names.update({e.value: node for e in ast.walk(node.value)
                              if isinstance(e, ast.Constant) and isinstance(e.value, str)})
    return names


@cache
def _top_level_names(module: Path) -> dict[str, ast.AST | _Imported]:
    """What a module defines at its top (defs, classes, assignments, imports, lazy exports)."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    names = _defined(tree.body)
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update(_imports(node))
        elif isinstance(node, ast.If):  # if TYPE_CHECKING: imports
            for inner in node.body:
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    names.update(_imports(inner))
    return names


def _members(cls: ast.ClassDef) -> dict[str, ast.AST | _Imported]:
    """A class's own names: its defs and class attributes, and what its methods set on self."""
    names = _defined(cls.body)
    for node in ast.walk(cls):
        if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name) and node.value.id == "self"):
            names.setdefault(node.attr, node)
    return names


def _below_resolves(found: ast.AST | _Imported, rest: list[str]) -> bool:
    """``rest``, the names below ``found``, exist: a class's members, or what one of our
    imports names; anything else has no names we can show exist without importing it."""
    if not rest:
        return True
    if isinstance(found, _Imported):
        return _dotted_resolves(".".join([found.dotted, *rest]))
    if isinstance(found, ast.ClassDef):
        member = _members(found).get(rest[0])
        return member is not None and _below_resolves(member, rest[1:])
    return False


def _module_file(dotted: str) -> Path | None:
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _dotted_resolves(dotted: str) -> bool:
    """Without importing: a module file, then names defined in it (a class's own names for a.B.c)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = _module_file(".".join(parts[:cut]))
        if module is None:
            continue
        rest = parts[cut:]
        if not rest:
            return True
        found = _top_level_names(module).get(rest[0])
        if found is None:
            return False
        if isinstance(found, _Imported) and len(rest) == 1:
            return True  # the import itself is checked where it runs
        return _below_resolves(found, rest[1:])
    return False


def _path_resolves(ref: str, start: Path) -> bool:
    if ref in _EXAMPLE_FILES:
        return True
    if "/" not in ref:
        return ref in _file_names()
    bases = [ROOT, PACKAGE, *(p for p in (start, *start.parents) if p.is_relative_to(ROOT))]
    if any((base / ref).is_file() for base in bases):
        return True
    # docs/architecture.md names files relative to the package its section is about
    return any(p.as_posix().endswith("/" + ref) for p in PACKAGE.rglob(Path(ref).name))


def _references(pattern: re.Pattern[str]) -> list[tuple[str, Path, str]]:
    return sorted({(where, start, m.group(0)) for where, start, text in TEXTS
                   for m in pattern.finditer(text)})


def test_the_texts_are_found_and_mention_modules_and_paths():
    assert len(DOCS) >= 3 and all(doc.is_file() for doc in DOCS)
    assert len(_references(_DOTTED)) > 20 and len(_references(_PY_PATH)) > 20  # the scan sees them


@pytest.mark.parametrize(("where", "start", "dotted"),
                         [r for r in _references(_DOTTED) if r[2].rsplit(".", 1)[1] not in _FILE_SUFFIXES],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_lambdaserve_name_resolves(where: str, start: Path, dotted: str) -> None:
    assert _dotted_resolves(dotted), f"{where} names {dotted}, which does not exist"


@pytest.mark.parametrize(("where", "start", "ref"), _references(_PY_PATH),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_py_path_resolves(where: str, start: Path, ref: str) -> None:
    assert _path_resolves(ref, start), f"{where} names {ref}, which does not exist"


def _folder_resolves(ref: str) -> bool:
    return (ROOT / ref).is_dir()


@pytest.mark.parametrize(("where", "start", "folder"), _references(_FOLDER),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_source_folder_resolves(where: str, start: Path, folder: str) -> None:
    assert _folder_resolves(folder), f"{where} names {folder}, which does not exist"


def test_a_stale_reference_is_caught():
    assert not _dotted_resolves("lambdaserve.aws")  # the module lives in lambdaserve.cloud now
    assert not _dotted_resolves("lambdaserve.errors.NoSuchError")
    assert not _dotted_resolves("lambdaserve.errors.LambdaServeError.no_such_member")
    assert not _dotted_resolves("lambdaserve.runtime.atomic.Replacing.__exit__.kind")  # a function's
    assert not _dotted_resolves("lambdaserve.cli.main.exit_code.code")
    # named through an import: looked up where it comes from
    assert not _dotted_resolves("lambdaserve.runtime.s3_model.Replacing.no_such_member")
    assert not _dotted_resolves("lambdaserve.runtime.s3_model.Path.parent")  # not ours: cannot be shown
    assert not _path_resolves("lambdaserve/aws.py", ROOT)
    said = "built by lambdaserve/build/zip.py, once in lambdaserve/build/ (tests/package/)"
    assert [m.group(0) for m in _FOLDER.finditer(said)] == ["lambdaserve/build/", "tests/package/"]
    assert not _folder_resolves("lambdaserve/build/") and _folder_resolves("tests/package/")
    assert _path_resolves("cloud/aws.py", PACKAGE) and _dotted_resolves("lambdaserve.errors.LambdaServeError")
    assert _dotted_resolves("lambdaserve.runtime.s3_model.Replacing.target")  # set in __init__
    assert _dotted_resolves("lambdaserve.runtime.atomic.Replacing.__exit__")
