"""Check 3: simulate the deployer policy's actions against the caller; list what is denied."""

from __future__ import annotations

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, error, ok, skipped


def run(ctx: DoctorContext) -> list[Finding]:
    identity, simulate = ctx.probes.identity, ctx.probes.simulate
    if identity is None or simulate is None or not ctx.required_actions:
        return [skipped("IAM permissions not simulated (offline or no project)")]
    arn = ctx.caller(identity)
    denied = sorted(ctx.once("simulate", lambda: simulate(arn, ctx.required_actions)))
    if denied:
        shown = ", ".join(denied[:12]) + (f" and {len(denied) - 12} more" if len(denied) > 12 else "")
        return [error(f"{arn} may not perform {len(denied)} of the {len(ctx.required_actions)} actions "
                      f"a deploy needs: {shown}",
                      "Attach the policy `lambdaserve policy` prints to this user or role.")]
    return [ok(f"{arn} may perform all {len(ctx.required_actions)} deploy actions")]


CHECK = Check("iam", "aws", "the deployer policy simulated against the caller", run, local=False)
