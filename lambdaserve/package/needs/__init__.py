"""What a model needs to load and predict, found from the model itself (issue 15).

init pins it (``model_needs``); build refuses a package whose requirements miss it
(``check_model_needs``), before anything is installed.

pickle_refs.py  the globals a pickle/joblib/skops file names, read without loading it
resolve.py      modules -> pinned distributions with reasons; what requirements install
find.py         the entry points; trace_probe.py traces a custom predictor in a subprocess
local_code.py   the project's own modules the model needs, and whether the package ships them
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.package.needs.find import (
        Inspection,
        ModelNeeds,
        check_model_needs,
        config_model_needs,
        model_needs,
    )
    from lambdaserve.package.needs.local_code import unshipped, unshipped_problem
    from lambdaserve.package.needs.resolve import Need, unmapped_notes

_EXPORTS = {
    "Inspection": "lambdaserve.package.needs.find",
    "ModelNeeds": "lambdaserve.package.needs.find",
    "Need": "lambdaserve.package.needs.resolve",
    "check_model_needs": "lambdaserve.package.needs.find",
    "config_model_needs": "lambdaserve.package.needs.find",
    "model_needs": "lambdaserve.package.needs.find",
    "unmapped_notes": "lambdaserve.package.needs.resolve",
    "unshipped": "lambdaserve.package.needs.local_code",
    "unshipped_problem": "lambdaserve.package.needs.local_code",
}
__all__ = ["Inspection", "ModelNeeds", "Need", "check_model_needs", "config_model_needs", "model_needs",
           "unmapped_notes", "unshipped", "unshipped_problem"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
