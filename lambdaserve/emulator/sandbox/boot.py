"""Boot a worker inside Lambda's filesystem view, then exec it (Linux, root; stdlib only).

Usage: python boot.py --tmp-mb N [--tmp-image FILE] [--bind SRC=DST]... [--keep PATH]...
       [--hide-library NAME]... [--root DIR] [--cwd DIR] -- COMMAND...

In a private mount namespace (nothing leaks to the host):
- namespace mode (no --root): each --bind puts a host folder read-only at DST (e.g. an extracted
  zip at /var/task; a missing DST under an existing parent is made in a tmpfs that mirrors the
  parent), each --hide-library NAME (libgomp.so.1: Lambda's OS lacks it) disappears from the
  host's library folders, so only a copy the package ships can load, then every mount becomes
  read-only (writes give EROFS, as in /var/task on Lambda);
- container mode (--root): DIR, an unpacked image, becomes / read-only, --bind DST paths are
  inside it, and it gets a fresh /proc, a read-only /sys and the rebuilt /dev below.
Then /tmp is a fresh disk of N MB: FILE (an ext4 image, unlinked once mounted) on a loop device,
so its pages are not the function's memory as a tmpfs's would be; without FILE, or when the loop
device cannot be had, a tmpfs of N MB. Each --keep PATH under /tmp (e.g. a project or venv there)
is bound back read-only at the same path, and /dev is rebuilt with only null, zero, full, random,
urandom and tty, so /dev/shm does not exist. Run by path, not imported, so any interpreter can
run it; the process keeps its pid, process group and cgroup across the exec.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import stat
import struct
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
LOOP_CTL_GET_FREE, LOOP_CONFIGURE, LO_FLAGS_AUTOCLEAR = 0x4C82, 0x4C0A, 4
LOOP_MAJOR = 7
_LIVE_TREES = ("/proc", "/sys", "/dev")
# open_tree(2) and move_mount(2) (Linux 5.2): the same numbers on x86_64 and arm64.
_OPEN_TREE, _MOVE_MOUNT = 428, 429
OPEN_TREE_CLONE, AT_RECURSIVE, MOVE_MOUNT_F_EMPTY_PATH = 1, 0x8000, 4
_LIBRARY_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
_HOST_FOLDER = ".lambdaserve-host"  # kernel views, not files a function writes

_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _syscall(number: int, *args: int | bytes) -> int:
    result = int(_libc.syscall(number, *args))
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"syscall {number}: {os.strerror(err)}")
    return result


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
    return path == tree or path.startswith(tree.rstrip("/") + "/")


def _read_only(top: str, skip: tuple[str, ...]) -> None:
    """Remount every mount at or below ``top`` read-only, keeping its other flags."""
    for point, options in sorted(set((p, tuple(o)) for p, o in _mounts())):
        if not _under(point, top) or any(_under(point, tree) for tree in skip):
            continue
        kept = 0
        for option in options:
            kept |= _KEPT_FLAGS.get(option, 0)
        _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)


def _mirror_in_tmpfs(folder: str) -> None:
    """Replace ``folder`` by a tmpfs holding the same entries (bound back), so new mount
    points can be made in it without writing to the host's filesystem."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    names = os.listdir(handle)
    mode = stat.S_IMODE(os.fstat(handle).st_mode)
    _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"size=64k,mode={mode:o}")
    for name in names:
        old, new = f"/proc/self/fd/{handle}/{name}", os.path.join(folder, name)
        if os.path.islink(old):
            os.symlink(os.readlink(old), new)
            continue
        if os.path.isdir(old):
            os.mkdir(new)
        else:
            open(new, "w").close()
        _mount(old, new, None, MS_BIND | MS_REC)
    os.close(handle)


def _library_folders() -> list[str]:
    """The host's library folders (the multiarch ones too), each once."""
    found: list[str] = []
    for top in _LIBRARY_DIRS:
        if not os.path.isdir(top):
            continue
        subs = sorted(os.path.join(top, d) for d in os.listdir(top) if d.endswith("-linux-gnu"))
        for folder in (top, *subs):
            real = os.path.realpath(folder)
            if os.path.isdir(real) and real not in found:
                found.append(real)
    return found


def _hide_libraries(names: list[str]) -> None:
    """Every host file of these libraries (libgomp.so, libgomp.so.1, libgomp.so.1.0.0) is gone from
    the view: each folder holding one becomes a tmpfs of symlinks into a bind of the original,
    without them (two mounts, however many files the folder holds)."""
    stems = tuple(name.split(".so")[0] + ".so" for name in names)
    for folder in _library_folders():
        entries = os.listdir(folder)
        if not any(e.startswith(stems) for e in entries):
            continue
        mode = stat.S_IMODE(os.stat(folder).st_mode)
        # A detached copy of the folder's mount, taken before the tmpfs covers it: a bind through
        # /proc/self/fd would follow the path to the tmpfs on top.
        tree = _syscall(_OPEN_TREE, -100, folder.encode(), OPEN_TREE_CLONE | AT_RECURSIVE | os.O_CLOEXEC)
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"size=4m,mode={mode:o}")
        host = os.path.join(folder, _HOST_FOLDER)
        os.mkdir(host)
        _syscall(_MOVE_MOUNT, tree, b"", -100, host.encode(), MOVE_MOUNT_F_EMPTY_PATH)
        os.close(tree)
        for entry in entries:
            if not entry.startswith(stems):
                os.symlink(os.path.join(_HOST_FOLDER, entry), os.path.join(folder, entry))


def _bind(source: str, target: str, mirrored: set[str]) -> None:
    if not os.path.isdir(target):
        parent = os.path.dirname(target.rstrip("/"))
        if parent not in mirrored:
            _mirror_in_tmpfs(parent)
            mirrored.add(parent)
        os.mkdir(target)
    _mount(source, target, None, MS_BIND | MS_REC)


def _rebuild_dev(dev: str, staging: str) -> None:
    os.mkdir(staging)
    _mount("/dev", staging, None, MS_BIND | MS_REC)
    _mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    for name in _DEVICES:
        if os.path.exists(os.path.join(staging, name)):
            open(os.path.join(dev, name), "w").close()
            _mount(os.path.join(staging, name), os.path.join(dev, name), None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    _check(_libc.umount2(staging.encode(), MNT_DETACH), f"umount {staging}")
    os.rmdir(staging)
    _mount(None, dev, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC)


def _loop_config(backing: int) -> bytes:
    # struct loop_config { u32 fd; u32 block_size; struct loop_info64 info; u64 reserved[8]; }, with
    # only info.lo_flags set: AUTOCLEAR frees the device when /tmp is unmounted (the namespace ends).
    info = struct.pack("=5Q4I64s64s32s2Q", 0, 0, 0, 0, 0, 0, 0, 0, LO_FLAGS_AUTOCLEAR, b"", b"", b"", 0, 0)
    return struct.pack("=II", backing, 0) + info + bytes(64)


def _attach_loop(backing: int) -> tuple[str, int]:
    """A free loop device holding the open image ``backing`` and an fd on it (closed once mounted)."""
    control = os.open("/dev/loop-control", os.O_RDWR)
    try:
        for _ in range(32):  # another process may take the free device first
            number = fcntl.ioctl(control, LOOP_CTL_GET_FREE)
            device = f"/dev/loop{number}"
            if not os.path.exists(device):
                os.mknod(device, stat.S_IFBLK | 0o660, os.makedev(LOOP_MAJOR, number))
            fd = os.open(device, os.O_RDWR)
            try:
                fcntl.ioctl(fd, LOOP_CONFIGURE, _loop_config(backing))
                return device, fd
            except OSError as exc:
                os.close(fd)
                if exc.errno != errno.EBUSY:
                    raise
        raise OSError(errno.EBUSY, "no free loop device")
    finally:
        os.close(control)


def _open_image(image: str) -> int:
    """The image, opened and unlinked at once (before / turns read-only): nothing to clean up."""
    if not image:
        return -1
    try:
        return os.open(image, os.O_RDWR)
    except OSError as exc:
        sys.stderr.write(f"lambdaserve sandbox: cannot open the /tmp image ({exc})\n")
        return -1
    finally:
        with contextlib.suppress(OSError):
            os.unlink(image)


def _mount_tmp(target: str, tmp_mb: int, image: int) -> None:
    """/tmp of ``tmp_mb`` MB: the open image on a loop device, else a tmpfs (said on stderr)."""
    if image >= 0:
        try:
            device, fd = _attach_loop(image)
            try:
                _mount(device, target, "ext4", MS_NOSUID | MS_NODEV, "noinit_itable")
            finally:
                os.close(fd)
            os.chmod(target, 0o1777)
            os.rmdir(os.path.join(target, "lost+found"))  # Lambda's /tmp starts empty
            return
        except OSError as exc:
            sys.stderr.write(f"lambdaserve sandbox: /tmp as a disk failed ({exc}); it is a tmpfs, "
                             "whose files count as the function's memory\n")
        finally:
            os.close(image)
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m,mode=1777")


def _host_view(binds: list[tuple[str, str]], keep: list[str], tmp_mb: int, image: int,
               hidden: list[str]) -> None:
    if hidden:
        _hide_libraries(hidden)
    mirrored: set[str] = set()
    for source, target in binds:
        _bind(source, target, mirrored)
    _read_only("/", _LIVE_TREES)
    # Folders the worker needs that the fresh /tmp would hide: hold them open, then bind them back.
    wanted = sorted(p for p in set(keep) if _under(p, "/tmp") and p != "/tmp" and os.path.isdir(p))
    outermost = [p for p in wanted if not any(p != q and _under(p, q) for q in wanted)]
    held = [(path, os.open(path, os.O_PATH)) for path in outermost]
    _mount_tmp("/tmp", tmp_mb, image)
    for path, handle in held:
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
        _read_only(path, ())
        os.close(handle)
    _rebuild_dev("/dev", "/tmp/.lambdaserve-dev")


def _container_view(root: str, binds: list[tuple[str, str]], tmp_mb: int, image: int) -> None:
    _mount(root, root, None, MS_BIND | MS_REC)  # a mount of its own, so it can be read-only
    for source, target in binds:
        _mount(source, root + target, None, MS_BIND | MS_REC)
    _read_only(root, ())
    _mount_tmp(root + "/tmp", tmp_mb, image)
    try:
        _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:  # a kernel that refuses a new proc here: the host's, as a bind
        _mount("/proc", root + "/proc", None, MS_BIND | MS_REC)
    if os.path.isdir(root + "/sys"):
        _mount("/sys", root + "/sys", None, MS_BIND | MS_REC)
        _read_only(root + "/sys", ())
    _rebuild_dev(root + "/dev", root + "/tmp/.lambdaserve-dev")
    os.chroot(root)
    os.chdir("/")


def main(argv: list[str]) -> None:
    split = argv.index("--")
    options, command = argv[1:split], argv[split + 1:]
    tmp_mb, image, root, cwd, binds, keep, hidden = 512, "", "", "", [], [], []
    for name, value in zip(options[::2], options[1::2], strict=True):
        if name == "--tmp-mb":
            tmp_mb = int(value)
        elif name == "--tmp-image":
            image = value
        elif name == "--root":
            root = os.path.realpath(value)
        elif name == "--cwd":
            cwd = value
        elif name == "--hide-library":
            hidden.append(value)
        elif name == "--keep":
            keep.append(os.path.realpath(value))
        elif name == "--bind":
            source, _, target = value.partition("=")
            binds.append((source, target))
        else:
            raise OSError(22, f"unknown option {name}")
    image_fd = _open_image(image)
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we do leaks to the host
    if root:
        _container_view(root, binds, tmp_mb, image_fd)
    else:
        _host_view(binds, keep, tmp_mb, image_fd, hidden)
    if cwd:
        os.chdir(cwd)
    os.execvp(command[0], command)  # PATH is the worker's (the image's, in a container)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except OSError as exc:
        sys.stderr.write(f"lambdaserve sandbox: {exc}\n")
        sys.exit(70)
