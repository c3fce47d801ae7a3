"""Lambda's OS and shared libraries: what the Python runtimes' OS carries, what it lacks, and
which libraries a package's ELF files need (DT_NEEDED), read with the stdlib only.

Like limits.py, a fact about the platform every layer reads: the build ships what the OS
lacks, the emulator's sandbox hides the host's copy of it, the doctor checks a package for it.
The ELF reader takes 64-bit little-endian objects only: what Lambda runs (x86_64 and arm64).
Anything else, or a file that is not ELF, needs nothing as far as this reader can tell; a file that
says it is ELF64 but is cut short or inconsistent is a BuildError naming it, with the fix.
"""

from __future__ import annotations

import fnmatch
import os
import struct
from pathlib import Path
from typing import BinaryIO

from lambdaserve.errors import BuildError

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
_EHDR, _PHDR, _DYN = 64, 56, 16  # ELF64 sizes: file header, program header, dynamic entry
_TABLE_MAX = 1 << 20  # a real object's program headers and dynamic section are a few KiB
_NAME_MAX = 4096  # a library name longer than this is no name


class _Damaged(Exception):
    """The file says it is ELF64 but its headers do not hold together."""


def needed(path: Path) -> tuple[str, ...]:
    """The libraries (DT_NEEDED) a 64-bit little-endian ELF object names; () for a file that is not
    one (a linker script or a data file named *.so*) or a static one.

    Read, not mapped: a file truncated while mapped raises SIGBUS on the next touch of a page past
    its end, which kills the build; a read returns short, and only the header, the program headers,
    the dynamic section and the names are read (a layer's shared objects are a hundred MB).
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(_EHDR)
            if head[:4] != b"\x7fELF":
                return ()
            if len(head) < 6:
                raise _Damaged(f"{len(head)} bytes, shorter than the ELF identification")
            if head[4] != 2 or head[5] != 1:  # not ELFCLASS64, ELFDATA2LSB
                return ()
            if len(head) < _EHDR:
                raise _Damaged(f"{len(head)} bytes, shorter than an ELF64 header ({_EHDR})")
            return _needed(fh, head)
    except _Damaged as exc:
        raise BuildError(f"{path} is a damaged shared object: {exc}",
                         hint="It was cut short or changed while being read: reinstall the package "
                              "it belongs to (run `lambdaserve build` again; a layer made by hand: "
                              "reinstall that wheel).") from None
    except OSError as exc:
        raise BuildError(f"cannot read {path} to check the libraries it needs: {exc.strerror or exc}",
                         hint="Check the file's permissions, then build again.") from None


def _read(fh: BinaryIO, offset: int, size: int, what: str) -> bytes:
    if size > _TABLE_MAX:
        raise _Damaged(f"its {what} would be {size} bytes")
    fh.seek(offset)
    data = fh.read(size)
    if len(data) != size:
        raise _Damaged(f"its {what} ({size} bytes at {offset}) run past the end of the file")
    return data


def _needed(fh: BinaryIO, head: bytes) -> tuple[str, ...]:
    phoff, = struct.unpack_from("<Q", head, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
    if phnum and phentsize < _PHDR:
        raise _Damaged(f"program headers of {phentsize} bytes, not {_PHDR}")
    table = _read(fh, phoff, phnum * phentsize, "program headers")
    loads: list[tuple[int, int, int]] = []  # (vaddr, filesz, offset)
    dynamic: tuple[int, int] | None = None
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIQQQQ", table, i * phentsize)
        if p_type == _PT_LOAD:
            loads.append((p_vaddr, p_filesz, p_offset))
        elif p_type == _PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return ()  # statically linked: it needs nothing
    section = _read(fh, dynamic[0], dynamic[1] - dynamic[1] % _DYN, "dynamic section")
    entries, strtab = [], None
    for pos in range(0, len(section), _DYN):
        tag, value = struct.unpack_from("<qQ", section, pos)
        if tag == _DT_NULL:
            break
        if tag == _DT_NEEDED:
            entries.append(value)
        elif tag == _DT_STRTAB:
            strtab = next(
                (value - vaddr + off for vaddr, size, off in loads if vaddr <= value < vaddr + size), None)
    if not entries:
        return ()
    if strtab is None:
        raise _Damaged("it names libraries but its string table is in no loaded segment")
    return tuple(_name(fh, strtab + e) for e in entries)


def _name(fh: BinaryIO, offset: int) -> str:
    fh.seek(offset)
    chunk = fh.read(_NAME_MAX)
    end = chunk.find(b"\0")
    if end < 0:
        raise _Damaged(f"a library name at {offset} runs past the end of the file" if len(chunk) < _NAME_MAX
                       else f"a library name at {offset} is longer than {_NAME_MAX} bytes")
    return chunk[:end].decode(errors="replace")


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
