"""Traces a custom predictor: run by `python -c` in the environment the model was trained in.

argv: the JSON file to write, optionally ``--sample FILE`` (a JSON object: the sample's column
name -> its first rows' values), then folders to put first on sys.path (the project, as
/var/task is on Lambda). The runtime's settings come from the LAMBDASERVE_* variables. It
loads the model through the runtime's own loader, predicts one zero row when the signature
gives every input's shape, then the sample's rows, and writes the top-level modules that load
and predict imported (everything the runtime itself imports is already loaded before the trace
starts). What init would otherwise load the model again for comes back too: the signature, the
framework versions, the answer's outputs on the sample, and a load failure's message and hint.

Who imported each module is recorded too (``importers``): the nearest frame of a third-party
module that asked for it (the stdlib's own frames are looked through), or "" for the project's
code, the runtime and this probe, and whether the statement sits in a ``try`` whose handler
catches ImportError (an optional import). needs/optional_imports.py decides from it which
modules were imported only because they happened to be installed here.
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
import linecache
import os
import sys
import sysconfig
import traceback
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

_OPTIONAL_CATCHES = frozenset({"ImportError", "ModuleNotFoundError"})
_TRY = (ast.Try, ast.TryStar) if sys.version_info >= (3, 11) else (ast.Try,)


def _failure(exc: BaseException, roots: list[str]) -> dict[str, Any]:
    """A load failure as the CLI shows it: the message, the hint, and the user's line that raised."""
    cause = exc.__cause__ or exc
    frames = traceback.extract_tb(cause.__traceback__)
    mine = [f for f in frames if any(Path(f.filename).is_relative_to(r) for r in roots)]
    where = ""
    if mine:
        frame = mine[-1]
        root = next(r for r in roots if Path(frame.filename).is_relative_to(r))
        where = f"{Path(frame.filename).relative_to(root).as_posix()}:{frame.lineno}"
    message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
    return {"message": message, "hint": getattr(exc, "hint", ""), "where": where}


def _sample_call(model: Any, rows: dict[str, list[Any]]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The model's answer to the sample's rows, or why there is none; the columns it is given are
    the ones the model takes (its own names matched as init's complete_signature does)."""
    from lambdaserve.runtime.loaders.base import user_columns

    sig = model.signature
    own = tuple(c.name for c in sig.columns) or tuple(sig.feature_names or ())
    names = list(user_columns(own, rows).values()) if own else list(rows)
    if any(name is None for name in names):
        return {}, None  # init stops on the missing column before it would read an answer
    inputs = {str(name): rows[str(name)] for name in names}
    try:
        return {}, model.predict(inputs)
    except Exception as exc:  # noqa: BLE001 (init says the predictor failed on the sample)
        rows_given = len(next(iter(inputs.values()), []))
        return {"sample_error": f"{type(exc).__name__}: {exc}", "sample_rows": rows_given}, None


def _own_module(top: str) -> bool:
    """A top-level module a requirement could provide. Not: synthetic ones extension modules
    register (cython_runtime), another module's alias (scipy's Cython modules also register as
    _cyutility, _csparsetools; decimal as _decimal), the stdlib's generated _sysconfigdata_*."""
    module = sys.modules.get(top)
    file = getattr(module, "__file__", None) or ""
    if not file and not getattr(module, "__path__", None):
        return False
    if str(getattr(module, "__name__", top)).split(".", 1)[0] != top:
        return False
    stdlib = sysconfig.get_paths()["stdlib"]
    return not (file.startswith(stdlib + os.sep) and "-packages" + os.sep not in file)


@functools.cache
def _guarded(filename: str, line: int) -> bool:
    """Whether the statement at ``line`` sits in the body of a ``try`` with a handler that lets
    an ImportError go (only the statements around the line are looked into)."""
    body = _parsed(filename)
    while True:
        node = next((n for n in body if n.lineno <= line <= (n.end_lineno or n.lineno)), None)
        if node is None:
            return False
        if isinstance(node, _TRY) and node.body and node.body[0].lineno <= line <= (
                node.body[-1].end_lineno or 0) and any(_optional_handler(h) for h in node.handlers):
            return True
        body = [child for field in ("body", "orelse", "finalbody", "handlers", "cases")
                for child in getattr(node, field, None) or ()]


@functools.cache
def _parsed(filename: str) -> list[ast.stmt]:
    try:
        return ast.parse(Path(filename).read_bytes()).body
    except (OSError, SyntaxError, ValueError):
        return []  # no source to read: not known to be optional


def _optional_handler(handler: ast.ExceptHandler) -> bool:
    """Catches ImportError and goes on without the module: a handler that raises makes it required."""
    raises = any(isinstance(n, ast.Raise) for n in ast.walk(handler))
    return _catches_import_error(handler.type) and not raises


def _catches_import_error(kind: ast.expr | None) -> bool:
    if kind is None:
        return True
    if isinstance(kind, ast.Tuple):
        return any(_catches_import_error(k) for k in kind.elts)
    name = kind.id if isinstance(kind, ast.Name) else kind.attr if isinstance(kind, ast.Attribute) else ""
    return name in _OPTIONAL_CATCHES


class _Importers:
    """Who asked for each top-level module during the trace: every import statement (through
    ``__import__``, even of a module already loaded) and every first import (a meta path
    finder, which also sees importlib.import_module). Whether a library's imports are optional
    is read from the source after the trace, only for the modules it loaded."""

    def __init__(self, roots: list[str], loaded: set[str]) -> None:
        self._roots = [os.path.abspath(r) + os.sep for r in roots]
        # loaded before the trace (the runtime's own imports) or the stdlib's: never a need
        self._skip = {name.split(".", 1)[0] for name in loaded} | set(sys.stdlib_module_names)
        self._sites: dict[tuple[str, str], dict[tuple[str, int], None]] = {}  # (module, importer) -> where
        self._import = builtins.__import__
        self._asked: set[tuple[str, CodeType, int]] = set()

    def __enter__(self) -> _Importers:
        builtins.__import__ = self._statement
        sys.meta_path.insert(0, self)
        return self

    def __exit__(self, *exc: object) -> None:
        builtins.__import__ = self._import
        sys.meta_path.remove(self)

    def _statement(self, name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
                   level: int = 0) -> Any:
        if level == 0 and name:  # on every import statement: the common case returns at once
            top = name.partition(".")[0]
            if top not in self._skip:
                self._record(top, sys._getframe(1))
        return self._import(name, globals, locals, fromlist, level)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if "." not in fullname:
            self._record(fullname, sys._getframe(1))
        return None  # the other finders find it

    def _record(self, top: str, frame: FrameType | None) -> None:
        if top in self._skip or frame is None:
            return
        asked = (top, frame.f_code, frame.f_lineno)  # a function's import runs at every call
        if asked in self._asked:
            return
        self._asked.add(asked)
        module = filename = ""
        while frame is not None:  # past this recorder's, importlib's and the stdlib's own frames
            module = str(frame.f_globals.get("__name__") or "").split(".", 1)[0]
            filename = frame.f_code.co_filename
            if not (filename.startswith("<frozen") or module in sys.stdlib_module_names
                    or frame.f_code in _RECORDER_CODES):
                break
            frame = frame.f_back
        if frame is None or module in ("__main__", "lambdaserve") or any(
                filename.startswith(r) for r in self._roots):
            self._sites.setdefault((top, ""), {})  # the project's code, the runtime or this probe
        elif module != top:  # not a package importing its own parts
            self._sites.setdefault((top, module), {})[(filename, frame.f_lineno)] = None

    def records(self, modules: set[str]) -> list[list[Any]]:
        """[module, importer ("" for the project), optional, file:line] for the loaded ``modules``:
        optional when every statement of that importer asking for it is guarded (``_guarded``)."""
        found = []
        for (top, importer), sites in sorted(self._sites.items()):
            if top not in modules:
                continue
            where = [f"{f}:{line}" for f, line in sites]
            # a statement at column 0 is in no try: checked first, without parsing anything
            optional = bool(importer) and all(linecache.getline(f, line)[:1].isspace() for f, line in sites) \
                and all(_guarded(f, line) for f, line in sites)
            found.append([top, importer, optional, where[0] if where else ""])
        return found


_RECORDER_CODES = frozenset({_Importers._statement.__code__, _Importers.find_spec.__code__})


def main(argv: list[str]) -> int:
    sample: dict[str, list[Any]] | None = None
    roots = argv[2:]
    if roots[:1] == ["--sample"]:
        sample = json.loads(Path(roots[1]).read_text(encoding="utf-8"))
        roots = roots[2:]
    sys.path[:0] = roots
    from lambdaserve.runtime.formats import zero_inputs
    from lambdaserve.runtime.loaders import load_model
    from lambdaserve.runtime.settings import RuntimeSettings

    before = set(sys.modules)
    result: dict[str, Any] = {"loaded": False, "predicted": False, "error": ""}
    importers = _Importers(roots, before)
    answer = None
    with importers:
        try:
            model = load_model(RuntimeSettings.from_env())
            result["loaded"] = True
            result["signature"] = model.signature.to_dict()
            result["versions"] = model.versions()
            zero = zero_inputs(model.signature)
            if zero is not None:
                model.predict(zero)
                result["predicted"] = True
        except BaseException as exc:  # noqa: BLE001 (reported to init or build, which decide)
            result["error"] = traceback.format_exc()[-3000:]
            result["failure"] = _failure(exc, roots)  # of load, or of predict on a zero row
        if result["loaded"] and sample is not None:
            failed, answer = _sample_call(model, sample)
            result.update(failed)
            result["predicted"] = result["predicted"] or answer is not None  # predict's imports are traced
    tops = {name.split(".", 1)[0] for name in set(sys.modules) - before}
    result["modules"] = sorted(t for t in tops if _own_module(t))
    result["importers"] = importers.records(set(result["modules"]))
    if answer is not None:  # after the trace: describing the answer imports numpy, the predictor did not
        from lambdaserve.runtime.signature import answer_spec

        result["sample_outputs"] = [answer_spec(str(k), v).to_dict() for k, v in answer.items()]
    with open(argv[1], "w", encoding="utf-8") as fh:
        json.dump(result, fh, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
