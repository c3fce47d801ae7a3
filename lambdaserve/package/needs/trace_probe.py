"""Traces a custom predictor: run by `python -c` in the environment the model was trained in.

argv: the JSON file to write, then folders to put first on sys.path (the project, as
/var/task is on Lambda). The runtime's settings come from the LAMBDASERVE_* variables. It
loads the model through the runtime's own loader, predicts one zero row when the signature
gives every input's shape, and writes the top-level modules that load and predict imported
(everything the runtime itself imports is already loaded before the trace starts).
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any


def main(argv: list[str]) -> int:
    sys.path[:0] = argv[2:]
    from lambdaserve.runtime.formats import zero_inputs
    from lambdaserve.runtime.loaders import load_model
    from lambdaserve.runtime.settings import RuntimeSettings

    before = set(sys.modules)
    result: dict[str, Any] = {"loaded": False, "predicted": False, "error": ""}
    try:
        model = load_model(RuntimeSettings.from_env())
        result["loaded"] = True
        zero = zero_inputs(model.signature)
        if zero is not None:
            model.predict(zero)
            result["predicted"] = True
    except BaseException:  # noqa: BLE001 (reported to init or build, which decide)
        result["error"] = traceback.format_exc()[-3000:]
    tops = {name.split(".", 1)[0] for name in set(sys.modules) - before}
    # Only modules read from files: extension modules register synthetic ones (cython_runtime).
    result["modules"] = sorted(t for t in tops if getattr(sys.modules.get(t), "__file__", None)
                               or getattr(sys.modules.get(t), "__path__", None))
    with open(argv[1], "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
