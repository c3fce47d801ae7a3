"""Check 7: the measured cold start against Lambda's 10 s init limit and API Gateway's 29 s."""

from __future__ import annotations

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, error, ok, skipped, warning

INIT_LIMIT_MS = 10_000  # on-demand init; past it Lambda re-runs init inside the first invoke
GATEWAY_LIMIT_MS = 29_000  # API Gateway's integration timeout
MARGIN = 0.7  # warn from 70 %: Lambda's CPU and disk differ from this machine's
FIX = ("Raise function.memory (CPU grows with it), ship .pyc (lambdaserve build does), drop unused "
       "requirements, or export the model to ONNX (onnxruntime imports in ~0.1 s).")


def run(ctx: DoctorContext) -> list[Finding]:
    result = ctx.smoke_run()
    if result is None or ctx.config is None:
        return [skipped("cold start not measured (pass --smoke)")]
    if result.init_ms is None:
        return [skipped("cold start not measured: the smoke run reported no Init Duration")]
    memory = ctx.config.function.memory
    total = result.init_ms + (result.duration_ms or 0.0)
    where = f"measured locally for {memory} MB"
    if total > GATEWAY_LIMIT_MS:
        return [error(f"cold start {total / 1000:.1f} s (init + first request, {where}) is over API "
                      "Gateway's 29 s: the first caller gets 504 'Endpoint request timed out'", FIX)]
    if result.init_ms > INIT_LIMIT_MS:
        return [error(f"init {result.init_ms / 1000:.1f} s ({where}) is over Lambda's 10 s init limit: "
                      "INIT_REPORT ... Status: timeout, then init re-runs inside the first request", FIX)]
    if result.init_ms > INIT_LIMIT_MS * MARGIN:
        return [warning(f"init {result.init_ms / 1000:.1f} s ({where}) is close to Lambda's 10 s limit", FIX)]
    return [ok(f"init {result.init_ms / 1000:.2f} s, first request {(result.duration_ms or 0) / 1000:.2f} s "
               f"({where}): within 10 s and 29 s")]


CHECK = Check("cold-start", "performance", "measured init vs the 10 s init and 29 s gateway limits", run,
              local=False)
