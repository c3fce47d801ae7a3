"""Check 5: access logs carry $context.integration.error, the only explanation of a bare 502."""

from __future__ import annotations

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, error, ok, warning

FIELDS = ("$context.integration.error", "$context.integrationErrorMessage")


def _carries(fmt: str) -> bool:
    return any(field in fmt for field in FIELDS)


def run(ctx: DoctorContext) -> list[Finding]:
    found: list[Finding] = []
    if ctx.template_access_log is not None:
        if _carries(ctx.template_access_log):
            found.append(ok("the template's access-log format carries $context.integration.error"))
        else:
            found.append(error("the template's access-log format lacks $context.integration.error: a bare "
                               "'Internal server error' would have no explanation anywhere",
                               "Add \"integrationError\": \"$context.integration.error\" to the format."))
    probe, status = ctx.probes.deployed_access_log, ctx.probes.stack_status
    if probe is not None and status is not None and ctx.once("stack_status", status) is not None:
        deployed = ctx.once("deployed_access_log", probe)
        if deployed is None:
            found.append(warning("the deployed stage has no access logs: a 502 'Internal server error' "
                                 "cannot be explained", "Redeploy with `lambdaserve deploy` (it sets them)."))
        elif not _carries(deployed):
            found.append(warning("the deployed stage's access-log format lacks $context.integration.error",
                                 "Redeploy with `lambdaserve deploy` to get lambdaserve's format."))
        else:
            found.append(ok("the deployed stage's access logs carry $context.integration.error"))
    return found


CHECK = Check("access-logs", "aws", "access-log format carrying $context.integration.error", run)
