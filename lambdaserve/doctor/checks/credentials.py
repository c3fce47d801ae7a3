"""Check 1b: credentials exist and are not expired (the probe says where boto3 looked)."""

from __future__ import annotations

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, ok, skipped


def run(ctx: DoctorContext) -> list[Finding]:
    if ctx.probes.identity is None:
        return [skipped("AWS credentials not checked (offline)")]
    arn = ctx.once("identity", ctx.probes.identity)  # a LambdaServeError becomes the error finding
    return [ok(f"AWS credentials valid: {arn}")]


CHECK = Check("credentials", "aws", "AWS credentials present and unexpired", run, local=False)
