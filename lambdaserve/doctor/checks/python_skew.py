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
                        # invoke runs the project folder on this Python unless python{target} is
                        # installed with the requirements (cli/worker_python.py): the zip is sure
                        f'Set function.python = "{here}" if Lambda offers it, or run the model under '
                        f"python{target}: `lambdaserve build` proves the zip with it, and `lambdaserve "
                        "invoke --built` runs that zip.", file=str(ctx.config.source))]
    return [ok(f"Python {here} here and in the function")]


CHECK = Check("python-skew", "package", "Python version skew between training and the target", run)
