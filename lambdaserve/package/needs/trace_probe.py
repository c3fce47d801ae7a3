"""Traces a custom predictor: run by `python -c` in the environment the model was trained in.

argv: the JSON file to write, optionally ``--sample FILE`` (a JSON object: the sample's column
name -> its first rows' values), then folders to put first on sys.path (the project, as
/var/task is on Lambda). The runtime's settings come from the LAMBDASERVE_* variables. It
loads the model through the runtime's own loader, predicts one zero row when the signature
gives every input's shape, then the sample's rows, and writes the top-level modules that load
and predict imported (everything the runtime itself imports is already loaded before the trace
starts). What init would otherwise load the model again for comes back too: the signature, the
framework versions, the answer's outputs on the sample, and a load failure's message and hint.
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig
import traceback
from pathlib import Path
from typing import Any


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
    answer = None
    if result["loaded"] and sample is not None:
        failed, answer = _sample_call(model, sample)
        result.update(failed)
        result["predicted"] = result["predicted"] or answer is not None  # predict's imports are traced
    tops = {name.split(".", 1)[0] for name in set(sys.modules) - before}
    result["modules"] = sorted(t for t in tops if _own_module(t))
    if answer is not None:  # after the trace: describing the answer imports numpy, the predictor did not
        from lambdaserve.runtime.signature import answer_spec

        result["sample_outputs"] = [answer_spec(str(k), v).to_dict() for k, v in answer.items()]
    with open(argv[1], "w", encoding="utf-8") as fh:
        json.dump(result, fh, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
