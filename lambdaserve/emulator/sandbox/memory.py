"""The memory cap of an execution environment.

Lambda's cap is a cgroup: past it the kernel's OOM killer sends SIGKILL and the client reads
"Runtime exited with error: signal: killed". We use a memory cgroup when one is writable
(v2 ``memory.max``, else v1 ``memory.limit_in_bytes``), so the kernel kills exactly as there.
Otherwise a watchdog polls the worker's RSS and sends SIGKILL itself. RLIMIT_AS is not used:
it makes Python raise MemoryError instead of dying, and it breaks frameworks (torch,
onnxruntime) that reserve far more address space than they touch.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from lambdaserve.emulator.sandbox.cgroups import own_cgroup, write

if TYPE_CHECKING:
    from lambdaserve.emulator.sandbox.cpu import CpuCap

CGROUP_ROOT = Path("/sys/fs/cgroup")
_counter = itertools.count()


def _read(path: str) -> bytes:
    # Plain os calls: a small read per invocation, without pathlib's and io's extra syscalls.
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 16384)
    finally:
        os.close(fd)


def _field_kb(status: bytes, field: str) -> int:
    """A field of /proc/<pid>/status in kB (0 when absent)."""
    status = b"\n" + status
    try:
        start = status.index(b"\n" + field.encode() + b":") + len(field) + 2
        return int(status[start:status.index(b"\n", start)].split()[0])
    except (ValueError, IndexError):
        return 0


def read_rss_kb(pid: int, field: str = "VmRSS") -> int:
    try:
        return _field_kb(_read(f"/proc/{pid}/status"), field)
    except OSError:
        return 0


class MemoryCap:
    """One environment's cap."""

    def __init__(self, limit_mb: int, kind: str, cgroup: Path | None) -> None:
        self.limit_mb = limit_mb
        self.kind = kind  # cgroup2 | cgroup1 | watchdog
        self.cgroup = cgroup
        # peak_mb runs once per invocation: its files stay open and are re-read in place.
        self._fds: dict[str, int] = {}
        self._fds_lock = threading.Lock()
        self._closed = False
        self.cpu: CpuCap | None = None  # the CPU share's cgroup, joined and removed with this one
        self.killed_for_memory = False  # set by the watchdog when it kills

    def out_of_memory(self) -> bool:
        """Did the cap kill the worker? The kernel counts its OOM kills per cgroup."""
        if self.killed_for_memory or self.cgroup is None:
            return self.killed_for_memory
        name = "memory.events" if self.kind == "cgroup2" else "memory.oom_control"
        try:
            fields = dict(line.split() for line in self._pread(f"{self.cgroup}/{name}").decode().splitlines())
            return int(fields.get("oom_kill", "0")) > 0
        except (OSError, ValueError):
            return False

    def _pread(self, path: str) -> bytes:
        with self._fds_lock:
            if self._closed:
                raise OSError(f"{path}: the cap is closed")
            fd = self._fds.get(path)
            if fd is None:
                fd = self._fds[path] = os.open(path, os.O_RDONLY)
            return os.pread(fd, 16384, 0)

    def adopt(self, pid: int) -> bool:
        """Move a just-started worker into the cgroup (its later children follow it)."""
        joined = self.cgroup is None or write(self.cgroup / "cgroup.procs", str(pid))
        return joined and (self.cpu is None or self.cpu.adopt(pid))

    def _cgroup_bytes(self, name: str, field: str = "") -> int:
        """A cgroup file's number, or one ``field`` of memory.stat; 0 when unreadable."""
        assert self.cgroup is not None
        try:
            data = b"\n" + self._pread(f"{self.cgroup}/{name}")  # a field may be the first line
            if not field:
                return int(data)
            start = data.index(b"\n" + field.encode() + b" ") + len(field) + 2
            return int(data[start:data.index(b"\n", start)])
        except (OSError, ValueError):
            return 0

    def peak_mb(self, pid: int) -> int:
        """Max Memory Used, without the files the function wrote to /tmp (Lambda keeps them apart).

        A live worker: its VmHWM, or the cgroup's anonymous memory now (children included),
        whichever is larger; the cgroup's peak would count /tmp's page cache. A worker that died
        (killed at the cap): the cgroup's peak, which is what it died of."""
        try:
            hwm_mb = _field_kb(self._pread(f"/proc/{pid}/status"), "VmHWM") // 1024
        except OSError:  # the worker is gone
            hwm_mb = 0
        if self.cgroup is None:
            return hwm_mb
        v2 = self.kind == "cgroup2"
        if hwm_mb == 0:
            return self._cgroup_bytes("memory.peak" if v2 else "memory.max_usage_in_bytes") // (1024 * 1024)
        # The cgroup's usage (anon + page cache + kernel) is one counter, cheap to read; memory.stat
        # is made up on every read. Anon memory is part of usage, so usage at or under VmHWM (a
        # worker without children, its usual case) settles it without memory.stat.
        usage = self._cgroup_bytes("memory.current" if v2 else "memory.usage_in_bytes")
        if usage // (1024 * 1024) <= hwm_mb:
            return hwm_mb
        anon = self._cgroup_bytes("memory.stat", "anon" if v2 else "total_rss")
        return max(hwm_mb, anon // (1024 * 1024))

    def over_limit(self, pid: int) -> bool:
        """For the watchdog: is the worker's resident memory past the cap?"""
        return self.kind == "watchdog" and read_rss_kb(pid) > self.limit_mb * 1024

    def close(self) -> None:
        with self._fds_lock:
            self._closed = True
            fds, self._fds = list(self._fds.values()), {}
        for fd in fds:
            os.close(fd)
        if self.cpu is not None:
            self.cpu.close()
        if self.cgroup is not None:
            # A grandchild may linger a moment after SIGKILL; then the empty dir stays behind.
            with contextlib.suppress(OSError):
                self.cgroup.rmdir()


def _sweep(base: Path) -> None:
    """Remove the empty cgroups of emulators that died without closing (e.g. SIGKILLed)."""
    for stale in base.glob("lambdaserve-*-*"):
        owner = stale.name.split("-")[1]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            with contextlib.suppress(OSError):
                stale.rmdir()  # fails while a process is still inside: then it is not stale


def _try_cgroup(base: Path, limit_file: str, limit_mb: int, swap_file: str) -> Path | None:
    if not (base / "cgroup.procs").exists():
        return None
    _sweep(base)
    path = base / f"lambdaserve-{os.getpid()}-{next(_counter)}"
    try:
        path.mkdir()
    except OSError:
        return None
    if not write(path / limit_file, str(limit_mb * 1024 * 1024)):
        path.rmdir()
        return None
    write(path / swap_file, "0")  # no swap on Lambda; fine if the kernel has none either
    return path


def make_cap(limit_mb: int) -> MemoryCap:
    """The best cap this machine allows."""
    v2 = CGROUP_ROOT / own_cgroup("").lstrip("/")
    controllers = CGROUP_ROOT / "cgroup.controllers"
    if controllers.exists() and "memory" in controllers.read_text().split():
        path = _try_cgroup(v2, "memory.max", limit_mb, "memory.swap.max")
        if path is not None:
            return MemoryCap(limit_mb, "cgroup2", path)
    v1_root = CGROUP_ROOT / "memory"
    for base in (v1_root / own_cgroup("memory").lstrip("/"), v1_root):
        path = _try_cgroup(base, "memory.limit_in_bytes", limit_mb, "memory.swappiness")
        if path is not None:
            return MemoryCap(limit_mb, "cgroup1", path)
    return MemoryCap(limit_mb, "watchdog", None)
