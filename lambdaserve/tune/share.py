"""The CPU a memory size buys on Lambda."""

from __future__ import annotations

from lambdaserve.errors import UsageError
from lambdaserve.runtime.limits import MB_PER_VCPU
from lambdaserve.runtime.limits import MEMORY_MAX_MB as MAX_MB
from lambdaserve.runtime.limits import MEMORY_MIN_MB as MIN_MB

DEFAULT_SIZES = (128, 256, 512, 1024, 1769, 3008, 5120, 10240)


def vcpus_for(memory_mb: int) -> float:
    """The vCPU share of ``memory_mb`` (0.072 at 128 MB, 1.0 at 1,769 MB, 5.79 at 10,240 MB)."""
    return memory_mb / MB_PER_VCPU


def parse_sizes(text: str) -> tuple[int, ...]:
    """'512,1024' -> (512, 1024), sorted and checked against Lambda's range."""
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError as exc:
        raise UsageError(f"--memory {text!r} is not a list of whole megabytes",
                         hint="Pass sizes in MB separated by commas, e.g. 512,1024,1769.") from exc
    bad = [s for s in sizes if not MIN_MB <= s <= MAX_MB]
    if not sizes or bad:
        raise UsageError(f"--memory {text!r}: Lambda allows {MIN_MB}-{MAX_MB} MB",
                         hint=f"Use sizes between {MIN_MB} and {MAX_MB} MB, e.g. 512,1024,1769.")
    return tuple(sizes)
