"""The two cgroup file operations the memory cap and the CPU share both need."""

from __future__ import annotations

from pathlib import Path


def own_cgroup(controller: str) -> str:
    """This process's path in the hierarchy holding ``controller`` ('' is v2's unified one)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return "/"
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if (controller == "" and controllers == "") or (controller and controller in controllers.split(",")):
            return path
    return "/"


def write(path: Path, value: str) -> bool:
    """Write a cgroup file; False where the kernel or the hierarchy refuses (the caller says so)."""
    try:
        path.write_text(value)
        return True
    except OSError:
        return False
