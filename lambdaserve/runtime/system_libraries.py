"""Lambda's OS and shared libraries: what the Python runtimes' OS carries, what it lacks, and
which libraries a package's ELF files need (DT_NEEDED), read with the stdlib only.

Like limits.py, a fact about the platform every layer reads: the build ships what the OS
lacks, the emulator's sandbox hides the host's copy of it, the doctor checks a package for it.
The ELF reader takes 64-bit little-endian objects only: what Lambda runs (x86_64 and arm64).
Anything else, or a file that is not ELF, needs nothing as far as this reader can tell.
"""

from __future__ import annotations

import fnmatch
import mmap
import os
import struct
from pathlib import Path

# On every Lambda Python runtime's OS (Amazon Linux 2 and 2023): glibc, the GCC runtime, zlib.
SYSTEM = frozenset({
    "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1",
    "libresolv.so.2", "libcrypt.so.1", "libnsl.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
    "libgcc_s.so.1", "libstdc++.so.6", "libz.so.1",
})
# Known to be missing there, with what they are.
KNOWN_MISSING = {"libgomp.so.1": "GCC's OpenMP runtime (LightGBM, some XGBoost and scikit-learn builds)"}
# A zip's folders on Lambda's LD_LIBRARY_PATH (/var/lang/lib:/lib64:/usr/lib64:/var/runtime:
# /var/runtime/lib:/var/task:/var/task/lib:/opt/lib): where a shipped library is found.
TASK_LIBRARY_DIRS = ("", "lib")


def library_path(task_root: str, before: str = "") -> str:
    """LD_LIBRARY_PATH ending as Lambda's does: ``before`` (the host's or a base image's own),
    then the task root, its lib/ and /opt/lib (a layer's lib/)."""
    head = [folder for folder in before.split(":") if folder]  # an empty entry would mean the cwd
    tail = [f"{task_root}/{sub}" if sub else task_root for sub in TASK_LIBRARY_DIRS]
    return ":".join([*head, *tail, "/opt/lib"])


_PT_LOAD, _PT_DYNAMIC = 1, 2
_DT_NULL, _DT_NEEDED, _DT_STRTAB = 0, 1, 5


def needed(path: Path) -> tuple[str, ...]:
    # Mapped, not read: only the headers' and the dynamic section's pages are touched (a
    # layer's shared objects are a hundred MB; a build asks after all of them).
    try:
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:  # ELFCLASS64, ELFDATA2LSB
                return ()
            try:
                return _needed(data)
            except (struct.error, IndexError, ValueError):
                return ()  # truncated or odd: the loader on Lambda will say more than we can
    except (OSError, ValueError, IndexError):  # unreadable, empty (nothing to map) or too short
        return ()


def _needed(data: mmap.mmap) -> tuple[str, ...]:
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads: list[tuple[int, int, int]] = []  # (vaddr, filesz, offset)
    dynamic: tuple[int, int] | None = None
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type == _PT_LOAD:
            loads.append((p_vaddr, p_filesz, p_offset))
        elif p_type == _PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return ()
    entries, strtab = [], None
    for pos in range(dynamic[0], dynamic[0] + dynamic[1], 16):
        tag, value = struct.unpack_from("<qQ", data, pos)
        if tag == _DT_NULL:
            break
        if tag == _DT_NEEDED:
            entries.append(value)
        elif tag == _DT_STRTAB:
            strtab = next(
                (value - vaddr + off for vaddr, size, off in loads if vaddr <= value < vaddr + size), None)
    if strtab is None:
        return ()
    return tuple(data[strtab + e : _end(data, strtab + e)].decode() for e in entries)


def _end(data: mmap.mmap, start: int) -> int:
    end = data.find(b"\0", start)
    if end < 0:
        raise ValueError("unterminated string")
    return end


def _objects(site: Path) -> tuple[list[Path], set[str]]:
    """The shared objects under ``site`` (files, sorted), and the names of those and their links:
    one walk of the tree (a build asks after a whole dependency layer)."""
    files, names = [], set()
    for folder, _dirs, found in os.walk(site):
        for name in found:
            if ".so" not in name or not fnmatch.fnmatchcase(name, "*.so*"):
                continue
            path = Path(folder, name)
            if path.is_symlink():
                names.add(name)
            elif path.is_file():
                files.append(path)
                names.add(name)
    return sorted(files), names


def missing_libraries(site: Path) -> dict[str, list[str]]:
    """Each library a shared object under ``site`` needs that neither ``site`` nor Lambda's OS
    carries, with the objects (relative paths) that need it."""
    libraries, carried = _objects(site)
    wanted: dict[str, list[str]] = {}
    for lib in libraries:
        for name in needed(lib):
            if name not in carried and name not in SYSTEM:
                wanted.setdefault(name, []).append(str(lib.relative_to(site)))
    return wanted
