"""Size the frameworks' thread pools to the CPUs this process really has, before they are imported.

Lambda shows 2+ CPUs even to a 128 MB function, whose share is a fraction of one: CPU is
proportional to memory (1,769 MB = one vCPU). Oversized OpenMP/BLAS pools then just contend.
Multiprocessing is never used: Lambda has no /dev/shm, so its locks, queues and pools fail.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path

from lambdaserve.runtime.limits import MB_PER_VCPU

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
)


def _read(path: str) -> str | None:
    try:  # bytes.decode("ascii") is built in; a text file's "ascii" codec is a module import at init
        return Path(path).read_bytes().decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _cgroup_limit(read: Callable[[str], str | None]) -> int | None:
    """CPUs allowed by the cgroup quota (v2 cpu.max, else v1 cfs quota), or None if unlimited."""
    v2 = read("/sys/fs/cgroup/cpu.max")
    if v2:
        parts = v2.split()
        if len(parts) == 2 and parts[0] != "max":
            try:
                return max(1, math.ceil(int(parts[0]) / int(parts[1])))
            except (ValueError, ZeroDivisionError):
                return None
        return None
    quota, period = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), read("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
    try:
        if quota and period and int(quota) > 0:
            return max(1, math.ceil(int(quota) / int(period)))
    except (ValueError, ZeroDivisionError):
        return None
    return None


def available_cpus(
    environ: Mapping[str, str] | None = None,
    read: Callable[[str], str | None] = _read,
    affinity: Callable[[], int] | None = None,
) -> int:
    """The smallest of: CPUs we may run on, the cgroup quota, and Lambda's memory-based share."""
    env = os.environ if environ is None else environ
    if affinity is not None:
        count = affinity()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count() or 1
    limits = [count]
    quota = _cgroup_limit(read)
    if quota is not None:
        limits.append(quota)
    memory = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
    if memory.isdigit():
        limits.append(max(1, math.ceil(int(memory) / MB_PER_VCPU)))
    return max(1, min(limits))


def configure_threads(environ: MutableMapping[str, str] | None = None, cpus: int | None = None) -> int:
    """Set the thread variables the user left unset; returns the count. Call before framework imports."""
    env = os.environ if environ is None else environ
    count = cpus if cpus is not None else available_cpus(env)
    for name in THREAD_VARS:
        env.setdefault(name, str(count))
    # joblib (scikit-learn's n_jobs) otherwise starts process pools that need /dev/shm.
    env.setdefault("JOBLIB_MULTIPROCESSING", "0")
    return count
