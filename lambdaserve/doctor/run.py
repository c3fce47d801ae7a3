"""Run the registry's checks over one context, each isolated from the others' failures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lambdaserve.doctor.context import DoctorContext, ProbeUnavailable
from lambdaserve.doctor.finding import Check, Finding, Severity
from lambdaserve.errors import LambdaServeError


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    def to_dict(self) -> dict[str, object]:
        return {"errors": len(self.errors), "warnings": len(self.warnings),
                "findings": [f.to_dict() for f in self.findings]}


def run_checks(ctx: DoctorContext, checks: Sequence[Check], *, local_only: bool = False) -> Report:
    findings: list[Finding] = []
    for check in checks:
        if local_only and not check.local:
            continue
        try:
            found = check.run(ctx)
        except ProbeUnavailable as exc:
            found = [Finding(Severity.SKIPPED, exc.message, exc.hint)]
        except LambdaServeError as exc:  # a probe explained its own failure
            found = [Finding(Severity.ERROR, exc.message, exc.hint)]
        except Exception as exc:  # a broken check must not hide the others' findings
            found = [Finding(Severity.WARNING, f"the check itself failed: {type(exc).__name__}: {exc}",
                             "Report this as a lambdaserve bug; the other checks still ran.")]
        findings += [f.named(check.name) for f in found]
    return Report(tuple(findings))
