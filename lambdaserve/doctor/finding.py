"""What a check reports: a severity, a message and the fix (cog's doctor shape)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from lambdaserve.doctor.context import DoctorContext


class Severity(StrEnum):
    ERROR = "error"  # the deploy or the function will fail: non-zero exit
    WARNING = "warning"  # likely trouble; exit stays 0
    OK = "ok"
    SKIPPED = "skipped"  # the check could not run here (no project, no AWS, no smoke run)


@dataclass(frozen=True)
class Finding:
    severity: Severity
    message: str
    hint: str = ""
    file: str | None = None
    line: int | None = None
    check: str = ""

    def where(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "severity": self.severity.value, "message": self.message,
                "hint": self.hint, "file": self.file, "line": self.line}

    def named(self, check: str) -> Finding:
        return replace(self, check=check)


def error(message: str, hint: str = "", **where: Any) -> Finding:
    return Finding(Severity.ERROR, message, hint, **where)


def warning(message: str, hint: str = "", **where: Any) -> Finding:
    return Finding(Severity.WARNING, message, hint, **where)


def ok(message: str) -> Finding:
    return Finding(Severity.OK, message)


def skipped(message: str) -> Finding:
    return Finding(Severity.SKIPPED, message)


CheckGroup = Literal["environment", "aws", "code", "package", "performance"]


@dataclass(frozen=True)
class Check:
    name: str
    group: CheckGroup
    description: str
    run: Callable[[DoctorContext], list[Finding]]
    local: bool = True  # needs neither AWS nor a smoke run: deploy's preflight runs these
