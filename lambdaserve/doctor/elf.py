"""The shared libraries an ELF file needs (its DT_NEEDED entries), read with the stdlib only.

64-bit little-endian objects only: what Lambda runs (x86_64 and arm64). Anything else, or a
file that is not ELF, needs nothing as far as this reader can tell.
"""

from __future__ import annotations

import struct
from pathlib import Path

_PT_LOAD, _PT_DYNAMIC = 1, 2
_DT_NULL, _DT_NEEDED, _DT_STRTAB = 0, 1, 5


def needed(path: Path) -> tuple[str, ...]:
    try:
        data = path.read_bytes()
    except OSError:
        return ()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:  # ELFCLASS64, ELFDATA2LSB
        return ()
    try:
        return _needed(data)
    except (struct.error, IndexError, ValueError):
        return ()  # truncated or odd: the loader on Lambda will say more than we can


def _needed(data: bytes) -> tuple[str, ...]:
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
    return tuple(data[strtab + e : data.index(b"\0", strtab + e)].decode() for e in entries)
