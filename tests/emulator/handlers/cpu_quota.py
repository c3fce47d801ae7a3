"""Reports the CPU quota of the cgroup it runs in, at init and per invocation."""

import os
from pathlib import Path


def _read(path):
    return Path(path).read_text()


def _quota():
    """(quota_us, period_us) of this process's CPU cgroup, or None when it has none."""
    for line in _read("/proc/self/cgroup").splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers == "" and os.path.exists(f"/sys/fs/cgroup{path}/cpu.max"):
            quota, period = _read(f"/sys/fs/cgroup{path}/cpu.max").split()
            if quota != "max":
                return int(quota), int(period)
        if "cpu" in controllers.split(","):
            base = f"/sys/fs/cgroup/cpu{path}"
            quota = int(_read(f"{base}/cpu.cfs_quota_us"))
            if quota > 0:
                return quota, int(_read(f"{base}/cpu.cfs_period_us"))
    return None


AT_INIT = _quota()


def handler(event, context):
    return {"init": AT_INIT, "invoke": _quota()}
