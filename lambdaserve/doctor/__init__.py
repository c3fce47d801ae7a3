"""`lambdaserve doctor`: every classic Lambda deploy failure, found before it happens.

One check per module under ``checks/``, each returning ``Finding``s; ``registry.CHECKS``
lists them explicitly; one ``DoctorContext`` is built once for all of them. The doctor
never imports emulator, build or cloud: the CLI wires those in as probes (``Probes``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.doctor.checks.shared_libraries import KNOWN_MISSING, missing_libraries
    from lambdaserve.doctor.context import (
        DoctorContext,
        PackageInfo,
        Probes,
        ProbeUnavailable,
        SmokeRun,
        WheelInfo,
    )
    from lambdaserve.doctor.explanations import Explanation, explain
    from lambdaserve.doctor.finding import Check, Finding, Severity
    from lambdaserve.doctor.registry import CHECKS
    from lambdaserve.doctor.run import Report, run_checks

_EXPORTS = {
    "CHECKS": "lambdaserve.doctor.registry",
    "Check": "lambdaserve.doctor.finding",
    "DoctorContext": "lambdaserve.doctor.context",
    "Explanation": "lambdaserve.doctor.explanations",
    "Finding": "lambdaserve.doctor.finding",
    "KNOWN_MISSING": "lambdaserve.doctor.checks.shared_libraries",
    "PackageInfo": "lambdaserve.doctor.context",
    "ProbeUnavailable": "lambdaserve.doctor.context",
    "Probes": "lambdaserve.doctor.context",
    "Report": "lambdaserve.doctor.run",
    "Severity": "lambdaserve.doctor.finding",
    "SmokeRun": "lambdaserve.doctor.context",
    "WheelInfo": "lambdaserve.doctor.context",
    "explain": "lambdaserve.doctor.explanations",
    "missing_libraries": "lambdaserve.doctor.checks.shared_libraries",
    "run_checks": "lambdaserve.doctor.run",
}
__all__ = [
    "CHECKS",
    "Check",
    "DoctorContext",
    "Explanation",
    "Finding",
    "KNOWN_MISSING",
    "PackageInfo",
    "ProbeUnavailable",
    "Probes",
    "Report",
    "Severity",
    "SmokeRun",
    "WheelInfo",
    "explain",
    "missing_libraries",
    "run_checks",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
