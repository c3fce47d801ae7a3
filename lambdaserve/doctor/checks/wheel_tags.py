"""Every installed wheel's platform tags against the target runtime (glibc, machine, OS)."""

from __future__ import annotations

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, error, ok, skipped

MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}


def run(ctx: DoctorContext) -> list[Finding]:
    if ctx.config is None or ctx.probes.wheels is None:
        return [skipped("no dependency layer to read (run `lambdaserve build`)")]
    wheels = ctx.once("wheels", ctx.probes.wheels)
    if not wheels:
        return [skipped("no dependency layer to read (run `lambdaserve build`)")]
    fn = ctx.config.function
    have, machine = ctx.probes.runtime_glibc, MACHINES[fn.architecture]
    found: list[Finding] = []
    for wheel in wheels:
        binary = [p for p in wheel.platforms if p != "any"]
        if binary and not any(p.startswith(("manylinux", "linux")) for p in binary):
            found.append(error(f"{wheel.name} {wheel.version} is built for {binary[0]}, not Linux: "
                               "'No module named ...' or 'invalid ELF header' on Lambda",
                               "Rebuild with `lambdaserve build` (it installs for the Lambda platform)."))
        elif binary and not any(p.endswith(machine) for p in binary):
            found.append(error(f"{wheel.name} {wheel.version} is built for {binary[0]}, not {machine}",
                               "Rebuild with `lambdaserve build` for function.architecture."))
        elif have is not None and wheel.glibc is not None and wheel.glibc > have:
            found.append(error(f"{wheel.name} {wheel.version} needs glibc {wheel.glibc[0]}.{wheel.glibc[1]}; "
                               f"python{fn.python}'s OS has {have[0]}.{have[1]}: "
                               f"'GLIBC_{wheel.glibc[0]}.{wheel.glibc[1]} not found'",
                               'Use function.python = "3.12" (Amazon Linux 2023, glibc 2.34).'))
    return found or [ok(f"{len(wheels)} wheels load on python{fn.python} {fn.architecture}")]


CHECK = Check("wheel-tags", "package", "glibc/manylinux tags of every wheel vs the target runtime", run)
