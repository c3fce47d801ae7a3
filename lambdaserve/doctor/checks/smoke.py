"""Check 6b: load and predict once in the local Lambda (no /dev/shm); explain what failed.

The probe runs the built zip when there is one, and the project folder in the dev venv
otherwise; every finding says which (``SmokeRun.ran``), since only the zip is what ships.
"""

from __future__ import annotations

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.explanations import explain
from lambdaserve.doctor.finding import Check, Finding, error, ok, skipped, warning


def run(ctx: DoctorContext) -> list[Finding]:
    result = ctx.smoke_run()
    if result is None:
        # --smoke is the default: without a project there is nothing to run, else --no-smoke said so
        return [skipped("no project to run" if ctx.config is None else "no smoke run (--no-smoke)")]
    ran = f" [ran {result.ran}]" if result.ran else ""
    if result.ok:
        if "[Errno 38]" in result.output:  # joblib and friends catch it and fall back to one core
            return [warning("the function works, but something caught '[Errno 38] Function not implemented' "
                            f"(no /dev/shm) and fell back, e.g. joblib to serial mode{ran}",
                            "Use n_jobs=1 or threads in the model and code, so the fallback is not paid at "
                            "every request.")]
        return [ok(f"the model loads and predicts in the local Lambda (no /dev/shm, Lambda's limits){ran}")]
    causes = explain(result.output)
    tail = result.output.strip().splitlines()[-1:] or ["(no output)"]
    if causes:
        first = causes[0]
        return [error(f"the smoke run failed: {first.cause} (saw: {first.matched!r}){ran}", first.fix)]
    golden = [line for line in result.output.splitlines() if line.startswith("golden request ")]
    if golden:
        return [error(f"the smoke run failed: {golden[0][:300]}{ran}",
                      "The package answers differently from what `lambdaserve build` recorded: build again, "
                      "and compare with `lambdaserve invoke --built`.")]
    return [error(f"the smoke run failed: {tail[0][:300]}{ran}",
                  "Run `lambdaserve invoke --data ...` to see the whole log.")]


CHECK = Check("smoke", "code", "one cold invoke in the local Lambda without /dev/shm", run, local=False)
