"""`lambdaserve doctor`: every classic Lambda deploy failure, found before it happens.

One check per module under ``checks/``, each returning ``Finding``s; ``registry.CHECKS``
lists them explicitly; one ``DoctorContext`` is built once for all of them. The doctor
never imports emulator, build or cloud: the CLI wires those in as probes (``Probes``).
"""

from lambdaserve.doctor.context import (
           DoctorContext,
           PackageInfo,
           Probes,
           ProbeUnavailable,
           SmokeRun,
           WheelInfo,
)
from lambdaserve.doctor.finding import Check, Finding, Severity
from lambdaserve.doctor.run import Report, run_checks

__all__ = ["Check", "DoctorContext", "Finding", "PackageInfo", "ProbeUnavailable", "Probes", "Report",
           "Severity", "SmokeRun", "WheelInfo", "run_checks"]
