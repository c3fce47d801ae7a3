"""A deterministic zip writer that can also copy already-compressed members from another zip.

Same members give the same bytes (with the same zlib): entries are sorted by name, every timestamp is
1980-01-01 00:00, modes are 0644 for files, 0755 for executables and directories, there are
no extra fields and deflate runs at a fixed level. Copying members raw from a cached part
(the dependency layer) makes a code-only rebuild cost a file copy, not a recompression.

Files are deflated on a thread per core, ahead of the writer (zlib lets go of the GIL while
it compresses), and written in name order: the same bytes as one thread would give, in about
half the time on two cores. A background write (``nice``) runs its threads at a lower
priority, so it only takes CPU that the build's critical path leaves idle.

Zips written at the same time from the same files can share their deflates (``Deflates``): a
fresh dependency layer's parts, written in the background, and the build's zip, which then
need not wait for the parts (nor for the files it does not ship).
"""

from __future__ import annotations

import collections
import contextlib
import os
import struct
import sys
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lambdaserve.errors import BuildError

# The iris zip (scikit-learn, trimmed, 150.8 MB unzipped): 56.8 MB at 2, 55.6 at 3 (+2.2 %) for
# three quarters of the CPU (2.21 vs 2.99 s); at 6 the layer took twice level 3's CPU for -7 %.
# Zipped size only decides direct upload (50 MB) or S3; Lambda's hard limit is the unzipped 250 MB.
LEVEL = 2
CHUNK = 1 << 20
DOS_TIME, DOS_DATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00:00, the zip format's epoch
BACKGROUND_NICE = 19  # CFS weight 15 against 1024: next to nothing of a core that is in use
_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s4B4H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_MAX_ENTRIES, _MAX_OFFSET = 0xFFFF, 0xFFFFFFFF


def lower_priority(by: int) -> None:
    """Raise the calling thread's nice value by ``by`` (Linux threads have their own; elsewhere a
    no-op, as setpriority would renice the whole process). Raising needs no privilege."""
    if by <= 0 or sys.platform != "linux":
        return
    tid = threading.get_native_id()
    with contextlib.suppress(OSError):  # a sandbox that forbids it: the write only yields less
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + by))


@dataclass(frozen=True)
class Member:
    """A file to put at ``name``: compressed from ``source``, or copied raw from ``part``."""

    name: str
    source: Path | None = None
    part: Path | None = None  # a zip written by this module holding ``name``
    executable: bool = False


@dataclass(frozen=True)
class _Entry:
    name: bytes
    method: int
    crc: int
    csize: int
    usize: int
    mode: int
    offset: int


def _flags(name: bytes) -> int:
    return 0x800 if not name.isascii() else 0  # bit 11: the name is UTF-8


def _write_local(out: BinaryIO, name: bytes, method: int, crc: int, csize: int, usize: int) -> None:
    out.write(_LOCAL.pack(b"PK\x03\x04", 20, _flags(name), method, DOS_TIME, DOS_DATE, crc, csize,
                          usize, len(name), 0))
    out.write(name)


_Deflated = tuple[int, int, list[bytes]]  # crc, uncompressed size, compressed chunks


def _deflate(source: Path) -> _Deflated:
    comp = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    crc = usize = 0
    chunks = []
    with source.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            crc = zlib.crc32(chunk, crc)
            usize += len(chunk)
            chunks.append(comp.compress(chunk))
    chunks.append(comp.flush())
    return crc, usize, chunks


class Deflates:
    """Files deflated by the zips written in this process with it, by file (inode, size, time):
    a file deflates to the same bytes whichever zip it goes in, so each is deflated once, by
    the first writer to reach it. A low-priority writer that reaches a file another is deflating
    waits for it; a normal-priority one deflates it too rather than wait on a low-priority thread
    (which a busy machine may not run for seconds). ``deflate_file``: how a file is deflated."""

    def __init__(self, deflate_file: Callable[[Path], _Deflated] | None = None) -> None:
        self._deflate_file = deflate_file or _deflate
        self._lock = threading.Lock()
        self._done: dict[tuple[int, ...], _Deflated] = {}
        self._running: dict[tuple[int, ...], threading.Event] = {}

    @property
    def files(self) -> int:
        """How many files were deflated."""
        with self._lock:
            return len(self._done)

    def deflate(self, source: Path, wait: bool = True) -> _Deflated:
        st = os.stat(source)
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        while True:
            with self._lock:
                if key in self._done:
                    return self._done[key]
                running = self._running.get(key)
                if running is None:
                    running = self._running[key] = threading.Event()
                    break
            if not wait:
                return self._deflate_file(source)  # the same bytes the other writer will have
            running.wait()  # then the result is there, or that writer failed and this one tries
        try:
            done = self._deflate_file(source)
            with self._lock:
                self._done[key] = done
            return done
        finally:
            with self._lock:
                del self._running[key]
            running.set()


def _write_deflated(out: BinaryIO, name: bytes, deflated: _Deflated, mode: int) -> _Entry:
    crc, usize, chunks = deflated
    offset = out.tell()
    csize = sum(len(c) for c in chunks)
    _write_local(out, name, zipfile.ZIP_DEFLATED, crc, csize, usize)
    for chunk in chunks:
        out.write(chunk)
    return _Entry(name, zipfile.ZIP_DEFLATED, crc, csize, usize, mode, offset)


def _ahead(pool: ThreadPoolExecutor, sources: list[Path], window: int,
           deflate: Callable[[Path], _Deflated] = _deflate) -> Iterator[_Deflated]:
    """Each source deflated, in order, at most ``window`` files ahead of the writer (bounded memory)."""
    pending: collections.deque[Future[_Deflated]] = collections.deque()
    todo = iter(sources)
    for source in todo:
        pending.append(pool.submit(deflate, source))
        if len(pending) >= window:
            break
    while pending:
        done = pending.popleft().result()
        nxt = next(todo, None)
        if nxt is not None:
            pending.append(pool.submit(deflate, nxt))
        yield done


def _copy_raw(out: BinaryIO, name: bytes, part: BinaryIO, info: zipfile.ZipInfo, mode: int) -> _Entry:
    part.seek(info.header_offset)
    header = part.read(_LOCAL.size)
    name_len, extra_len = struct.unpack("<2H", header[26:30])
    part.seek(info.header_offset + _LOCAL.size + name_len + extra_len)
    offset = out.tell()
    _write_local(out, name, info.compress_type, info.CRC, info.compress_size, info.file_size)
    left = info.compress_size
    while left:
        chunk = part.read(min(CHUNK, left))
        if not chunk:
            raise BuildError(f"cached package part is truncated at {info.filename}",
                             hint="Delete .lambdaserve/cache and build again.")
        out.write(chunk)
        left -= len(chunk)
    return _Entry(name, info.compress_type, info.CRC, info.compress_size, info.file_size, mode, offset)


def _directories(names: Iterable[str]) -> set[str]:
    dirs: set[str] = set()
    for name in names:
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:depth]) + "/")
    return dirs


def write_zip(path: Path, members: Iterable[Member], comment: str = "", nice: int = 0,
              deflates: Deflates | None = None) -> dict[str, int]:
    """Write ``members`` (plus their parent directories) sorted by name; return each file's size.

    ``nice``: how much to lower the deflate threads' priority (the caller's thread is its own).
    ``deflates``: deflate each file through it, sharing the work with other zips that do.
    """
    by_name: dict[str, Member] = {}
    for member in members:
        if member.name in by_name:
            raise BuildError(f"two files want the same place in the zip: {member.name}",
                             hint="Rename your module so it does not shadow a dependency or lambdaserve.")
        by_name[member.name] = member
    names = sorted(set(by_name) | _directories(by_name))
    if len(names) > _MAX_ENTRIES:
        raise BuildError(f"the zip would hold {len(names)} entries; this writer stops at {_MAX_ENTRIES}",
                         hint='Use package = "image" for dependencies this large.')
    parts: _Parts = {}
    entries: list[_Entry] = []
    sources = [m.source for n in names if (m := by_name.get(n)) is not None and m.part is None
               and m.source is not None]
    workers = min(os.cpu_count() or 1, 8)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lambdaserve-deflate",
                              initializer=lower_priority, initargs=(nice,))
    shared = deflates
    deflated = _ahead(pool, sources, window=4 * workers, deflate=_deflate if shared is None
                      else lambda source: shared.deflate(source, wait=nice > 0))
    try:
        with path.open("wb") as out:
            for name in names:
                raw = name.encode("utf-8")
                found = by_name.get(name)
                if found is None:  # a directory
                    entries.append(_Entry(raw, zipfile.ZIP_STORED, 0, 0, 0, 0o040755, out.tell()))
                    _write_local(out, raw, zipfile.ZIP_STORED, 0, 0, 0)
                    continue
                member = found
                mode = 0o100755 if member.executable else 0o100644
                if member.part is not None:
                    part_fh, infos = _open_part(parts, member.part)
                    entries.append(_copy_raw(out, raw, part_fh, infos[name], mode))
                elif member.source is not None:
                    entries.append(_write_deflated(out, raw, next(deflated), mode))
            _write_central(out, entries, comment.encode("utf-8"))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for opened, _ in parts.values():
            opened.close()
    return {e.name.decode("utf-8"): e.usize for e in entries if not e.mode & 0o040000}


_Parts = dict[Path, tuple[BinaryIO, dict[str, zipfile.ZipInfo]]]


def _open_part(parts: _Parts, path: Path) -> tuple[BinaryIO, dict[str, zipfile.ZipInfo]]:
    if path not in parts:
        fh: BinaryIO = path.open("rb")
        parts[path] = (fh, {info.filename: info for info in zipfile.ZipFile(fh).infolist()})
    return parts[path]


def _write_central(out: BinaryIO, entries: list[_Entry], comment: bytes) -> None:
    start = out.tell()
    for e in entries:
        attr = (e.mode << 16) | (0x10 if e.mode & 0o040000 else 0)
        out.write(_CENTRAL.pack(b"PK\x01\x02", 20, 3, 20, 0, _flags(e.name), e.method, DOS_TIME,
                                DOS_DATE, e.crc, e.csize, e.usize, len(e.name), 0, 0, 0, 0, attr, e.offset))
        out.write(e.name)
    end = out.tell()
    if end > _MAX_OFFSET:
        raise BuildError("the zip is over 4 GiB", hint='Use package = "image".')
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), end - start, start, len(comment)))
    out.write(comment)


def part_members(part: Path) -> list[Member]:
    """The files of a zip written by ``write_zip``, as members copied raw into another zip."""
    with zipfile.ZipFile(part) as zf:
        return [Member(info.filename, part=part, executable=bool((info.external_attr >> 16) & 0o111))
                for info in zf.infolist() if not info.filename.endswith("/")]
