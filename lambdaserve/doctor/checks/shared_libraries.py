"""Shared libraries the package's compiled code needs that neither the package nor Lambda's OS carries.

A wheel built with auditwheel brings its libraries along (``<package>.libs/``); a few wheels
expect the system to have one: LightGBM's lib_lightgbm.so needs the OpenMP runtime
libgomp.so.1, which this machine may have (so everything works locally) and Lambda's base
does not ("libgomp.so.1: cannot open shared object file" at the first import). `build` ships
it in lib/ (package/deps/system_libs.py); a layer made before that, or by hand, does not.
"""

from __future__ import annotations

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, error, ok, skipped, warning
from lambdaserve.runtime.system_libraries import KNOWN_MISSING, missing_libraries

__all__ = ["CHECK", "KNOWN_MISSING", "missing_libraries"]


def run(ctx: DoctorContext) -> list[Finding]:
    if ctx.config is None or ctx.probes.layer is None:
        return [skipped("no dependency layer to read (run `lambdaserve build`)")]
    site = ctx.once("layer", ctx.probes.layer)
    if site is None:
        return [skipped("no dependency layer to read (run `lambdaserve build`)")]
    wanted = missing_libraries(site)
    found: list[Finding] = []
    for name, users in sorted(wanted.items()):
        who = ", ".join(users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
        if name in KNOWN_MISSING:
            found.append(error(
                f"{who} needs {name} ({KNOWN_MISSING[name]}), which the package does not carry and "
                f"Lambda's python{ctx.config.function.python} OS does not have: "
                f"'{name}: cannot open shared object file' at the first import",
                f"Rebuild with `lambdaserve build`, which ships {name} in the package's lib/ (on Lambda's "
                "LD_LIBRARY_PATH), or use function.package = \"image\" with it installed "
                "(dnf install libgomp).",
            ))
        else:
            found.append(warning(f"{who} needs {name}, which the package does not carry; check that "
                                 f"Lambda's python{ctx.config.function.python} OS has it",
                                 "`lambdaserve serve --sandbox container` runs the function on the "
                                 "built image's own files."))
    return found or [ok("every shared library finds the libraries it needs")]


CHECK = Check("shared-libraries", "package",
              "shared libraries the package needs but neither it nor Lambda's OS carries", run)
