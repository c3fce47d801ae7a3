"""Reproducible image layers: a sorted tar with fixed metadata, gzipped with mtime 0.

The same files give the same bytes, so the same digest, on every build and machine with
the same zlib: entries are sorted, mtime is 0, owner 0:0 with no names, modes are 0755
for directories and executables and 0644 otherwise. Parent directories are written
explicitly so unpackers never invent them with their own modes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal, Protocol

from lambdaserve.errors import BuildError
from lambdaserve.runtime.atomic import Replacing

GZIP_LEVEL = 6  # zlib's default: the usual size/speed trade-off
CACHE_VERSION = "1"


@dataclass(frozen=True)
class LayerEntry:
    """One member: ``source`` is None for a directory; ``link`` set for a symlink."""

    arcname: str  # relative, POSIX, no leading /
    source: Path | None = None
    link: str = ""
    executable: bool = False

    @property
    def is_dir(self) -> bool:
        return self.source is None and not self.link


LayerName = Literal["dependencies", "model", "code"]


@dataclass(frozen=True)
class Layer:
    digest: str  # of the gzip blob
    diff_id: str  # of the uncompressed tar
    size: int  # of the gzip blob
    path: Path  # the blob on disk
    name: LayerName  # for history and progress


def tree_entries(src: Path, dest: str) -> list[LayerEntry]:
    """Every file, symlink and directory under ``src``, placed under ``dest`` in the image."""
    if not src.is_dir():
        raise BuildError(f"{src} is not a directory", hint="Build the directory first, then the layer.")
    entries: list[LayerEntry] = []
    prefix = dest.strip("/")
    for root, dirs, files in os.walk(src):
        dirs.sort()
        rel_root = Path(root).relative_to(src)
        for name in sorted(dirs) + sorted(files):
            path = Path(root) / name
            arc = str(PurePosixPath(prefix, *rel_root.parts, name))
            if path.is_symlink():
                entries.append(LayerEntry(arc, link=os.readlink(path)))
            elif path.is_dir():
                entries.append(LayerEntry(arc))
            elif path.is_file():
                entries.append(LayerEntry(arc, source=path, executable=bool(path.stat().st_mode & 0o111)))
    return entries


def with_parents(entries: Iterable[LayerEntry]) -> list[LayerEntry]:
    """Entries plus every parent directory, sorted, without duplicates (the last one wins)."""
    by_name: dict[str, LayerEntry] = {}
    for entry in entries:
        parts = PurePosixPath(entry.arcname.strip("/")).parts
        for i in range(1, len(parts)):
            by_name.setdefault("/".join(parts[:i]), LayerEntry("/".join(parts[:i])))
        by_name[entry.arcname.strip("/")] = entry
    return [by_name[name] for name in sorted(by_name)]


def fingerprint(entries: list[LayerEntry]) -> str:
    """A cheap key for the layer cache: names, sizes and mtimes, not contents."""
    h = hashlib.sha256(CACHE_VERSION.encode())
    for e in entries:
        st = e.source.stat() if e.source is not None else None
        h.update(json.dumps([e.arcname, e.link, e.executable, st.st_size if st else -1,
                             st.st_mtime_ns if st else -1, str(e.source or "")]).encode())
    return h.hexdigest()


class _Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class _Hashing(io.RawIOBase):
    """Pass-through writer that hashes and counts what goes through it."""

    def __init__(self, inner: _Writable) -> None:
        self.inner, self.sha, self.count = inner, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.inner.write(data)
        self.sha.update(data)
        self.count += len(data)
        return len(data)

    def tell(self) -> int:
        return self.count


def _tarinfo(entry: LayerEntry) -> tarfile.TarInfo:
    info = tarfile.TarInfo(entry.arcname + ("/" if entry.is_dir else ""))
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    if entry.link:
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, entry.link, 0o777
    elif entry.is_dir:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    else:
        assert entry.source is not None
        info.size = entry.source.stat().st_size
        info.mode = 0o755 if entry.executable else 0o644
    return info


def write_layer(entries: Iterable[LayerEntry], blobs_dir: Path, name: LayerName) -> Layer:
    """Write the layer blob into ``blobs_dir`` (named by its digest) and describe it."""
    blobs_dir.mkdir(parents=True, exist_ok=True)
    blob = Replacing(blobs_dir / name)  # renamed to its digest once written
    with blob as partial, open(partial, "wb") as raw:
        compressed = _Hashing(raw)
        with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0,
                           compresslevel=GZIP_LEVEL) as gz:
            plain = _Hashing(gz)
            with tarfile.open(fileobj=plain, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for entry in with_parents(entries):
                    info = _tarinfo(entry)
                    if info.isreg():
                        assert entry.source is not None
                        with open(entry.source, "rb") as fh:
                            tar.addfile(info, fh)
                    else:
                        tar.addfile(info)
        digest = "sha256:" + compressed.sha.hexdigest()
        blob.target = blobs_dir / digest.split(":", 1)[1]
    return Layer(digest=digest, diff_id="sha256:" + plain.sha.hexdigest(), size=compressed.count,
                 path=blob.target, name=name)


def cached_layer(entries: list[LayerEntry], blobs_dir: Path, cache_file: Path, name: LayerName) -> Layer:
    """``write_layer`` unless the same inputs (by name, size, mtime) already made a blob here."""
    key = fingerprint(with_parents(entries))
    cache: dict[str, dict[str, str | int]] = {}
    if cache_file.is_file():
        try:
            cache = json.loads(cache_file.read_text())
        except ValueError:
            cache = {}  # a torn cache file only costs a rebuild
    hit = cache.get(key)
    if hit is not None:
        path = blobs_dir / str(hit["digest"]).split(":", 1)[1]
        if path.is_file() and path.stat().st_size == hit["size"]:
            return Layer(str(hit["digest"]), str(hit["diff_id"]), int(hit["size"]), path, name)
    layer = write_layer(entries, blobs_dir, name)
    cache = {k: v for k, v in cache.items() if (blobs_dir / str(v["digest"]).split(":", 1)[1]).is_file()}
    cache[key] = {"digest": layer.digest, "diff_id": layer.diff_id, "size": layer.size}
    cache_file.write_text(json.dumps(cache, indent=1, sort_keys=True))
    return layer
