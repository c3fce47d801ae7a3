"""The one context every check reads, built once; side effects come in as probes.

Probes are plain callables the CLI builds on cloud (identity, IAM simulation, stack state,
deployed access-log format), the emulator (a smoke run without /dev/shm, which also times
the cold start) and nothing else; a missing probe makes its check report "skipped".
Each probe runs at most once, however many checks read it.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lambdaserve.config import Config
from lambdaserve.config.requirements import installed_version
from lambdaserve.config.sources import user_code_files
from lambdaserve.errors import LambdaServeError


class ProbeUnavailable(LambdaServeError):
    """A probe cannot run here (no AWS access, not allowed): its checks report 'skipped'."""


@dataclass(frozen=True)
class SmokeRun:
    """One cold invoke of the function in the local Lambda (no /dev/shm, Lambda's limits)."""

    ok: bool
    output: str  # the function's log and error text, for the explain patterns
    init_ms: float | None = None  # REPORT's Init Duration
    duration_ms: float | None = None  # REPORT's Duration of the first request
    ran: str = ""  # what ran: the built zip, or the project folder in the dev venv (and why)


@dataclass(frozen=True)
class WheelInfo:
    name: str
    version: str
    glibc: tuple[int, int] | None  # the lowest glibc its tags accept; None: pure or not Linux
    platforms: tuple[str, ...] = ()  # the platform parts of its WHEEL tags


@dataclass(frozen=True)
class PackageInfo:
    """The last build's sizes, in bytes (Lambda's decimal MB)."""

    kind: Literal["zip", "image"]
    unzipped: int = 0
    zipped: int = 0
    image: int = 0


@dataclass
class Probes:
    identity: Callable[[], str] | None = None  # the caller's ARN; raises LambdaServeError with the fix
    simulate: Callable[[str, Sequence[str]], Sequence[str]] | None = None  # (arn, actions) -> denied
    stack_status: Callable[[], str | None] | None = None  # None: not deployed
    deployed_access_log: Callable[[], str | None] | None = None  # the stage's format; None: no logs
    smoke: Callable[[], SmokeRun] | None = None
    package: Callable[[], PackageInfo | None] | None = None  # None: nothing built yet
    wheels: Callable[[], Sequence[WheelInfo]] | None = None  # of the last dependency layer
    layer: Callable[[], Path | None] | None = None  # the last dependency layer's folder; None: not built
    runtime_glibc: tuple[int, int] | None = None  # of the target runtime's OS


@dataclass
class DoctorContext:
    project_dir: Path
    config: Config | None  # None: no lambdaserve.toml here (environment checks still run)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    euid: int = field(default_factory=os.geteuid)
    home: Path = field(default_factory=Path.home)
    root_home: Path = Path("/root")
    now: float = field(default_factory=time.time)
    python: tuple[int, int] = (sys.version_info.major, sys.version_info.minor)
    which: Callable[[str], str | None] = shutil.which
    installed: Callable[[str], str | None] = installed_version  # a distribution's release here, or None
    required_actions: Sequence[str] = ()  # the deployer policy's actions (from cloud/iam/policy.py)
    template_access_log: str | None = None  # the access-log format our template would deploy
    probes: Probes = field(default_factory=Probes)
    build_follows: bool = False  # deploy's preflight, before its build: build names what floats
    _memo: dict[str, Any] = field(default_factory=dict)

    def once(self, name: str, probe: Callable[[], Any]) -> Any:
        """The probe's answer (or the exception it raised), computed on first use only."""
        if name not in self._memo:
            try:
                self._memo[name] = ("ok", probe())
            except Exception as exc:  # kept and re-raised to every check that asks
                self._memo[name] = ("raised", exc)
        kind, value = self._memo[name]
        if kind == "raised":
            raise value
        return value

    def caller(self, identity: Callable[[], str]) -> str:
        """The caller's ARN for checks that need one; when there is none, they are skipped
        (the credentials check reports why, once)."""
        try:
            arn: str = self.once("identity", identity)
        except ProbeUnavailable:
            raise
        except LambdaServeError as exc:
            raise ProbeUnavailable(f"skipped: {exc.message.splitlines()[0]}") from exc
        return arn

    def smoke_run(self) -> SmokeRun | None:
        smoke = self.probes.smoke
        return None if smoke is None else self.once("smoke", smoke)

    def user_files(self) -> list[Path]:
        """The user's Python files that ship in the function, chosen as the package chooses them
        (config/sources.py): never lambdaserve's cache, a virtualenv, site-packages or build output."""
        if self.config is None:
            return []
        return [f.path for f in user_code_files(self.config) if f.path.suffix == ".py"]
