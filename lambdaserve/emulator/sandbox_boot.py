"""Boot a worker inside Lambda's filesystem view, then exec it (Linux, root; stdlib only).

Usage: python sandbox_boot.py EPHEMERAL_MB PYTHON -m awslambdaric HANDLER

In a private mount namespace: every mount becomes read-only (writes give EROFS, as in
/var/task on Lambda), /tmp is a fresh tmpfs of EPHEMERAL_MB, and /dev is rebuilt with only
null, zero, full, random, urandom and tty, so /dev/shm does not exist. Run by path, not
imported, so any worker interpreter can run it.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator

CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME = 16384, 1 << 18, 1 << 21
MNT_DETACH = 2
_KEPT_FLAGS = {
    "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC,
    "noatime": MS_NOATIME, "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME,
}
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_LIVE_TREES = ("/proc", "/sys", "/dev")  # kernel views, not files a function writes

_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(
        _libc.mount(
            source.encode() if source else None, target.encode(),
            fstype.encode() if fstype else None, ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def _unescape(field: str) -> str:
    return field.encode().decode("unicode_escape")  # mountinfo writes spaces as \040


def _mounts() -> Iterator[tuple[str, list[str]]]:
    with open("/proc/self/mountinfo") as info:
        for line in info:
            fields = line.split()
            yield _unescape(fields[4]), fields[5].split(",")


def _under(path: str, tree: str) -> bool:
    return path == tree or path.startswith(tree + "/")


def _read_only_everywhere() -> None:
    for point, options in sorted(set((p, tuple(o)) for p, o in _mounts())):
        if any(_under(point, tree) for tree in _LIVE_TREES):
            continue
        kept = 0
        for option in options:
            kept |= _KEPT_FLAGS.get(option, 0)
        _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)


def _rebuild_dev() -> None:
    old = "/tmp/.lambdaserve-dev"
    os.mkdir(old)
    _mount("/dev", old, None, MS_BIND | MS_REC)
    _mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    for name in _DEVICES:
        if os.path.exists(os.path.join(old, name)):
            open(os.path.join("/dev", name), "w").close()
            _mount(os.path.join(old, name), os.path.join("/dev", name), None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join("/dev", name))
    _check(_libc.umount2(old.encode(), MNT_DETACH), f"umount {old}")
    os.rmdir(old)
    _mount(None, "/dev", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC)


def main(argv: list[str]) -> None:
    ephemeral_mb, command = int(argv[1]), argv[2:]
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we do leaks to the host
    _read_only_everywhere()
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={ephemeral_mb}m,mode=1777")
    _rebuild_dev()
    os.execv(command[0], command)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except OSError as exc:
        sys.stderr.write(f"lambdaserve sandbox: {exc}\n")
        sys.exit(70)
