"""/tmp on a small disk of its own for the namespace sandbox, as Lambda's ephemeral storage.

A tmpfs /tmp keeps its files in memory, and the kernel charges those pages to the memory cgroup
of the process that wrote them: 300 MB written to /tmp by a 256 MB function was an OOM kill, and
every byte counted in Max Memory Used. Lambda keeps the two apart. Here each environment gets a
sparse ext4 image of ``ephemeral_mb`` (made once per size with mkfs.ext4, then copied), which the
sandbox boot attaches to a loop device and mounts at /tmp: its page cache can be written back and
reclaimed, so it never kills the function, and the size cap holds (ENOSPC past it).

The images live on a disk-backed folder (never a tmpfs, which would bring the problem back);
the boot unlinks each image once mounted, so nothing is left behind but the empty template each
size is copied from (sparse: a few hundred KB on disk), kept for the next process.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

_MIB = 1024 * 1024
_counter = itertools.count()
_lock = threading.Lock()
_templates: dict[int, Path] = {}
_FORMAT = "v1"  # bump when _mkfs's options change: older templates are then left unused


def _mount_fstype(path: Path) -> str:
    """The filesystem type of the mount holding ``path`` (from /proc/self/mountinfo)."""
    best, fstype = "", ""
    target = str(path.resolve())
    with open("/proc/self/mountinfo") as info:
        for line in info:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            after = fields[fields.index("-") + 1]
            inside = target == point or target.startswith(point.rstrip("/") + "/")
            if inside and len(point) >= len(best):
                best, fstype = point, after
    return fstype


def images_dir() -> Path | None:
    """Where images go: LAMBDASERVE_TMP_DISK_DIR, else ~/.cache/lambdaserve/tmp-disks; None when
    that is not a disk (a tmpfs) or cannot be made."""
    chosen = os.environ.get("LAMBDASERVE_TMP_DISK_DIR")
    folder = Path(chosen) if chosen else Path.home() / ".cache" / "lambdaserve" / "tmp-disks"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if _mount_fstype(folder) in ("tmpfs", "ramfs", ""):
            return None
    except OSError:
        return None
    return folder


def _sweep(folder: Path) -> None:
    """Images of emulators that died before their boot could unlink them."""
    for stale in folder.glob("*.img"):
        owner = stale.name.split("-")[0]
        if owner.isdigit() and int(owner) != os.getpid() and not Path(f"/proc/{owner}").exists():
            with contextlib.suppress(OSError):
                stale.unlink()


def _overhead_bytes(image: Path) -> int:
    """What ext4's own structures take from the image (statfs leaves them out of its size)."""
    out = subprocess.run(["dumpe2fs", "-h", str(image)], capture_output=True, text=True, check=True).stdout
    fields = dict(re.findall(r"^([A-Za-z ]+):\s+(\S+)", out, re.MULTILINE))
    return int(fields["Overhead clusters"]) * int(fields["Block size"])


def _mkfs(image: Path, size: int) -> None:
    with open(image, "wb") as out:
        out.truncate(size)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-b", "4096", "-m", "0", "-O", "^has_journal",
                    "-E", "lazy_itable_init=1,nodiscard,root_owner=0:0", str(image)],
                   capture_output=True, check=True)


def _template(folder: Path, ephemeral_mb: int) -> Path:
    """An image whose usable size (as statfs reports it) is ``ephemeral_mb`` MB, made once per
    folder and kept there for every later process (three mkfs.ext4 and dumpe2fs runs each
    emulator start paid before): made under this process's name, then renamed into place."""
    with _lock:
        found = _templates.get(ephemeral_mb)
        if found is not None and found.exists():
            return found
        image = folder / f"template-{ephemeral_mb}-{_FORMAT}.img"  # no pid: _sweep keeps it
        if not image.is_file():
            _sweep(folder)
            making = folder / f"{os.getpid()}-template-{ephemeral_mb}.img"
            size = ephemeral_mb * _MIB
            for _ in range(4):  # a bigger image has a little more overhead: converge on the size
                _mkfs(making, size)
                usable = size - _overhead_bytes(making)
                if usable >= ephemeral_mb * _MIB:
                    break
                size += ephemeral_mb * _MIB - usable + 4096
            making.replace(image)  # whole or not at all; two processes at once make equal images
        _templates[ephemeral_mb] = image
        return image


def _sparse_copy(source: Path, target: Path) -> None:
    """Copy only the written parts of a sparse image (a few hundred KB of a 512 MB file)."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        size = os.fstat(src.fileno()).st_size
        dst.truncate(size)
        offset = 0
        while offset < size:
            try:
                start = os.lseek(src.fileno(), offset, os.SEEK_DATA)
            except OSError:  # ENXIO: no data past offset
                break
            end = os.lseek(src.fileno(), start, os.SEEK_HOLE)
            src.seek(start)
            dst.seek(start)
            left = end - start
            while left > 0:
                data = src.read(min(left, 1 << 20))
                dst.write(data)
                left -= len(data)
            offset = end


def fresh_image(ephemeral_mb: int) -> Path | None:
    """A new /tmp image for one environment, or None when this machine cannot make one
    (no mkfs.ext4 or dumpe2fs, or no disk-backed folder): then /tmp stays a tmpfs."""
    if shutil.which("mkfs.ext4") is None or shutil.which("dumpe2fs") is None:
        return None
    folder = images_dir()
    if folder is None:
        return None
    try:
        template = _template(folder, ephemeral_mb)
        image = folder / f"{os.getpid()}-{next(_counter)}.img"
        _sparse_copy(template, image)
    except (OSError, subprocess.CalledProcessError, KeyError, ValueError):
        return None
    return image
