"""Shared libraries the package's compiled code needs that neither the package nor Lambda's OS carries.

A wheel built with auditwheel brings its libraries along (``<package>.libs/``); a few wheels
expect the system to have one: LightGBM's lib_lightgbm.so needs the OpenMP runtime
libgomp.so.1, which this machine may have (so everything works locally) and Lambda's base
does not ("libgomp.so.1: cannot open shared object file" at the first import).
"""

from __future__ import annotations

from pathlib import Path

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.elf import needed
from lambdaserve.doctor.finding import Check, Finding, error, ok, skipped, warning

# On every Lambda Python runtime's OS (Amazon Linux 2 and 2023): glibc, the GCC runtime, zlib.
SYSTEM = frozenset({
    "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1",
    "libresolv.so.2", "libcrypt.so.1", "libnsl.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
    "libgcc_s.so.1", "libstdc++.so.6", "libz.so.1",
})
# Known to be missing there, with what they are.
KNOWN_MISSING = {"libgomp.so.1": "GCC's OpenMP runtime (LightGBM, some XGBoost and scikit-learn builds)"}


def _libraries(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.so*") if p.is_file() and not p.is_symlink())


def missing_libraries(site: Path) -> dict[str, list[str]]:
    """Each library a shared object under ``site`` needs that neither ``site`` nor Lambda's OS
    carries, with the objects (relative paths) that need it."""
    libraries = _libraries(site)
    carried = {p.name for p in libraries} | {p.name for p in site.rglob("*.so*") if p.is_symlink()}
    wanted: dict[str, list[str]] = {}
    for lib in libraries:
        for name in needed(lib):
            if name not in carried and name not in SYSTEM:
                wanted.setdefault(name, []).append(str(lib.relative_to(site)))
    return wanted


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
                f"Ship {name} in the package (a folder on LD_LIBRARY_PATH, e.g. lib/ in an image), or use "
                "function.package = \"image\" with it installed (dnf install libgomp).",
            ))
        else:
            found.append(warning(f"{who} needs {name}, which the package does not carry; check that "
                                 f"Lambda's python{ctx.config.function.python} OS has it",
                                 "`lambdaserve serve --sandbox container` runs the function on the "
                                 "built image's own files."))
    return found or [ok("every shared library finds the libraries it needs")]


CHECK = Check("shared-libraries", "package",
              "shared libraries the package needs but neither it nor Lambda's OS carries", run)
