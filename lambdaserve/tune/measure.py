"""What one memory size's run measured, and the loop that runs every size.

The runner is injected: the CLI's measures in the local emulator (real awslambdaric workers
under the size's memory cap and CPU quota); tests may pass any other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from lambdaserve.tune.share import vcpus_for


@dataclass(frozen=True)
class CpuNote:
    """How the CPU share was enforced for a size, in words a report can print."""

    requested_vcpus: float
    applied_vcpus: float | None  # None: not enforced
    mechanism: str  # e.g. "cgroup1 cpu.cfs_quota_us", or "none"
    capped: bool  # the share exceeds the host's cores
    reason: str = ""

    @property
    def enforced(self) -> bool:
        return self.applied_vcpus is not None

    def describe(self, host_cpus: int) -> str:
        if not self.enforced:
            return f"NOT enforced ({self.reason})" if self.reason else "NOT enforced"
        if self.capped:
            return (f"capped at host: {self.applied_vcpus:g} of {self.requested_vcpus:.2f} vCPU "
                    f"({host_cpus} cores)")
        return f"{self.applied_vcpus:.3f} vCPU ({self.mechanism})"


@dataclass(frozen=True)
class SizeRun:
    memory_mb: int
    init_ms: tuple[float, ...]  # Init Duration of each fresh environment
    warm_ms: tuple[float, ...]  # Duration of each warm invocation
    cold_invoke_ms: tuple[float, ...]  # Duration of each environment's first invocation
    max_memory_mb: int
    errors: tuple[str, ...]  # the function errors seen (a size that ran out of memory, say)
    cpu: CpuNote


class Runner(Protocol):
    def __call__(self, memory_mb: int, vcpus: float, tick: Callable[[], None]) -> SizeRun:
        """Measure one size; call ``tick`` after each invocation (for a progress bar)."""
        ...


def run_sizes(sizes: Sequence[int], runner: Runner, tick: Callable[[], None] = lambda: None,
              on_size: Callable[[int], None] = lambda memory_mb: None) -> list[SizeRun]:
    """Each size in turn (never in parallel: they would share the host's cores)."""
    runs = []
    for memory_mb in sizes:
        on_size(memory_mb)
        runs.append(runner(memory_mb, vcpus_for(memory_mb), tick))
    return runs
