"""The Python that trained (runs lambdaserve here) against the function's runtime."""

from __future__ import annotations

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, ok, skipped, warning


def run(ctx: DoctorContext) -> list[Finding]:
    if ctx.config is None:
        return [skipped("no project")]
    here = f"{ctx.python[0]}.{ctx.python[1]}"
    target = ctx.config.function.python
    if here != target:
        return [warning(f"this environment is Python {here}, the function runs python{target}: pickled "
                        "models and compiled code may not load across versions",
                        f'Set function.python = "{here}" if Lambda offers it, or test with `lambdaserve '
                        "invoke` (it runs the target Python).", file=str(ctx.config.source))]
    return [ok(f"Python {here} here and in the function")]


CHECK = Check("python-skew", "package", "Python version skew between training and the target", run)
