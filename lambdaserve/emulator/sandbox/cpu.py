"""The CPU share of an execution environment, as a CFS bandwidth quota.

Lambda gives a function CPU in proportion to its memory (1,769 MB = one vCPU), but an
on-demand init runs on a full vCPU. We reproduce both with a cgroup of its own per
environment: the quota is ``max(share, init_vcpus)`` while the worker initialises and the
share once it is ready. cgroup v2 writes ``cpu.max``; a host whose cpu controller is still on
v1 (hybrid hierarchies) writes ``cpu.cfs_quota_us``. Where neither is writable the cap says so
(``kind == "none"`` with a reason): callers must never report such a run as throttled.

A quota is a ceiling, not a reservation: on a loaded host the worker may get less. Shares
above the host's cores cannot be granted and are reported as capped (``capped`` is True).
"""

from __future__ import annotations

import contextlib
import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lambdaserve.emulator.sandbox.cgroups import own_cgroup, write

CGROUP_ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000  # the kernel's default CFS period
_counter = itertools.count()


def host_cpus() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


CgroupKind = Literal["cgroup2", "cgroup1"]


@dataclass(frozen=True)
class CpuLimit:
    """What a cap does, for reports."""

    requested_vcpus: float
    applied_vcpus: float | None  # the quota after init; None when nothing is enforced
    kind: CgroupKind | Literal["none"]
    capped: bool  # the share exceeds the host's cores: the quota is the host's
    reason: str = ""  # why nothing is enforced

    @property
    def enforced(self) -> bool:
        return self.applied_vcpus is not None


class CpuCap:
    """One environment's CPU cgroup."""

    def __init__(self, limit: CpuLimit, cgroup: Path | None, init_vcpus: float | None) -> None:
        self.limit = limit
        self.cgroup = cgroup
        self._init_vcpus = init_vcpus

    def _set(self, vcpus: float) -> bool:
        if self.cgroup is None:
            return False
        quota = max(1000, int(vcpus * PERIOD_US))  # the kernel refuses quotas under 1 ms
        if self.limit.kind == "cgroup2":
            return write(self.cgroup / "cpu.max", f"{quota} {PERIOD_US}")
        return (write(self.cgroup / "cpu.cfs_period_us", str(PERIOD_US))
                and write(self.cgroup / "cpu.cfs_quota_us", str(quota)))

    def adopt(self, pid: int) -> bool:
        """Move a just-started worker in (its later children follow), on the init quota."""
        if self.cgroup is None or self.limit.applied_vcpus is None:
            return True
        first = max(self.limit.applied_vcpus, self._init_vcpus or 0.0)
        return self._set(first) and write(self.cgroup / "cgroup.procs", str(pid))

    def init_done(self) -> None:
        """The worker asked for its first invocation: from now on it runs on its share."""
        if self.limit.applied_vcpus is not None and self._init_vcpus is not None:
            self._set(self.limit.applied_vcpus)

    def throttled_periods(self) -> int:
        """How many CFS periods the quota stopped the worker in (0 when unknown)."""
        if self.cgroup is None:
            return 0
        try:
            stat = (self.cgroup / "cpu.stat").read_text().split()
        except OSError:
            return 0
        pairs = dict(zip(stat[::2], stat[1::2], strict=False))
        return int(pairs.get("nr_throttled", 0))

    def close(self) -> None:
        if self.cgroup is not None:
            with contextlib.suppress(OSError):  # a lingering grandchild keeps it a moment
                self.cgroup.rmdir()


def _sweep(base: Path) -> None:
    """Remove the empty cgroups of emulators that died without closing."""
    for stale in base.glob("lambdaserve-cpu-*-*"):
        owner = stale.name.split("-")[2]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            with contextlib.suppress(OSError):
                stale.rmdir()


def _mkdir(base: Path) -> Path | None:
    if not (base / "cgroup.procs").exists():
        return None
    _sweep(base)
    path = base / f"lambdaserve-cpu-{os.getpid()}-{next(_counter)}"
    try:
        path.mkdir()
    except OSError:
        return None
    return path


def _candidates(root: Path) -> list[tuple[CgroupKind, Path]]:
    found: list[tuple[CgroupKind, Path]] = []
    controllers = root / "cgroup.controllers"  # a pure v2 mount
    if controllers.exists() and "cpu" in controllers.read_text().split():
        found.append(("cgroup2", root / own_cgroup("").lstrip("/")))
    v1 = root / "cpu"
    if (v1 / "cpu.cfs_quota_us").exists():
        own = v1 / own_cgroup("cpu").lstrip("/")
        found.append(("cgroup1", own))
        if own != v1:
            found.append(("cgroup1", v1))
    return found


def make_cpu_cap(vcpus: float, *, init_vcpus: float | None = 1.0, root: Path = CGROUP_ROOT) -> CpuCap:
    """The best CPU cap this machine allows for a share of ``vcpus``; ``init_vcpus`` is the
    init phase's floor (None: the share applies to the init too); ``root`` is where the
    cgroup filesystems are mounted."""
    cores = host_cpus()
    capped = vcpus > cores
    applied = min(vcpus, float(cores))
    init = min(init_vcpus, float(cores)) if init_vcpus is not None else None
    for kind, base in _candidates(root):
        path = _mkdir(base)
        if path is None:
            continue
        cap = CpuCap(CpuLimit(vcpus, applied, kind, capped), path, init)
        if cap._set(applied):
            return cap
        path.rmdir()
    reason = ("no writable cgroup with the cpu controller (cgroup v2 cpu.max or v1 "
              "cpu.cfs_quota_us); run as root on Linux with the cpu controller delegated")
    return CpuCap(CpuLimit(vcpus, None, "none", capped, reason), None, None)
