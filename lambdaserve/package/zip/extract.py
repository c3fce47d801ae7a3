"""Run what was built: extract a built zip as a task root, with a Python of its target version.

Lambda's managed runtime puts awslambdaric in /var/runtime; here a cached folder of
awslambdaric installed for the artifact's Python plays that part (``extra_pythonpath``).

A run that mounts the task root read-only (build's proof, in the namespace sandbox) may take
files from ``trees``, folders that hold the zip's files at the same names (the cached dependency
layer the zip's parts were written from, the compiled code): each is hard-linked instead of
unzipped only when its size, executable bit and CRC-32 are the zip entry's own, so the run reads
the bytes that ship; anything else is unzipped. Inflating a stack's ~150 MB cost more than the
check. A file's CRC-32 is read once and kept beside its tree (TREE.crc.json) by size,
modification time and inode, as make would: a file written since is read again. Such a tree
is never handed to a run that could write through the links.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import platform
import shutil
import stat
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lambdaserve.errors import BuildError
from lambdaserve.package.deps.interpreters import find_interpreter, runtime_support_dir
from lambdaserve.package.deps.platforms import MACHINE
from lambdaserve.package.process import Runner, run_command
from lambdaserve.package.sources import MODEL_DIR
from lambdaserve.runtime.atomic import replace_text
from lambdaserve.runtime.digest import file_sha256


@dataclass(frozen=True)
class ArtifactRun:
    task_root: Path
    python: str  # the interpreter's path
    extra_pythonpath: tuple[Path, ...]
    python_version: str  # the runtime's, e.g. "3.12"
    architecture: str

    @property
    def model_dir(self) -> Path:
        return self.task_root / MODEL_DIR


def artifact_info(zip_path: Path) -> dict[str, str]:
    """The target Python and architecture recorded in a zip built by lambdaserve."""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            info = json.loads(zf.comment.decode("utf-8") or "{}")
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BuildError(f"{zip_path} is not a zip built by lambdaserve ({exc})",
                         hint="Build one with `lambdaserve build --package zip`.") from exc
    if not isinstance(info, dict) or "python" not in info or "architecture" not in info:
        raise BuildError(f"{zip_path} does not say which Python it was built for",
                         hint="Build it with `lambdaserve build --package zip`.")
    return {str(k): str(v) for k, v in info.items()}


def extract(zip_path: Path, dest: Path, trees: Sequence[Path] = ()) -> Path:
    """Unpack ``zip_path`` into ``dest`` (replacing what was there) with the zip's file modes;
    a file of ``trees`` that is the entry's (``_Tree.linked``) is hard-linked instead (read-only runs)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    linkable = [_Tree(tree) for tree in trees]
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name = PurePosixPath(info.filename)
            if name.is_absolute() or ".." in name.parts:
                raise BuildError(f"{zip_path} holds an unsafe path: {info.filename}",
                                 hint="Only run zips built by lambdaserve.")
            target = dest.joinpath(*name.parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            mode = (info.external_attr >> 16) & 0o777
            if any(tree.linked(info, target, mode) for tree in linkable):
                continue
            with zf.open(info) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            target.chmod(mode or 0o644)
    for tree in linkable:
        tree.save()
    return dest


class _Tree:
    """A folder whose files ``extract`` may link, with the CRC-32 of each file read so far."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.record = root.with_name(root.name + ".crc.json")
        try:
            known = json.loads(self.record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        self.known: dict[str, list[int]] = known if isinstance(known, dict) else {}
        self.changed = False
        self.apart = False  # on another file system than the task root: nothing can be linked

    def linked(self, info: zipfile.ZipInfo, target: Path, mode: int) -> bool:
        """Hard-link the tree's file at ``target`` if it holds the entry's bytes (size and CRC-32)
        with its executable bit; False (nothing done) otherwise."""
        if self.apart:
            return False
        source = os.path.join(self.root, info.filename)
        try:
            found = os.stat(source)
            if not stat.S_ISREG(found.st_mode) or found.st_size != info.file_size \
                    or bool(found.st_mode & 0o111) != bool(mode & 0o111) \
                    or self._crc(info.filename, source, found) != info.CRC:
                return False
            os.link(source, target)
        except OSError as exc:  # gone meanwhile, or another file system
            self.apart = exc.errno == errno.EXDEV
            return False
        return True

    def _crc(self, rel: str, source: str, found: os.stat_result) -> int:
        signature = [found.st_size, found.st_mtime_ns, found.st_ino]
        kept = self.known.get(rel)
        if isinstance(kept, list) and len(kept) == 4 and kept[:3] == signature:
            return int(kept[3])
        crc = 0
        with open(source, "rb") as fh:
            while chunk := fh.read(1 << 20):
                crc = zlib.crc32(chunk, crc)
        self.known[rel] = [*signature, crc]
        self.changed = True
        return crc

    def save(self) -> None:
        if not self.changed:
            return
        # written whole, then renamed: two builds at once each leave a whole record
        with contextlib.suppress(OSError):  # a read-only cache: the CRCs are read again next time
            replace_text(self.record, json.dumps(self.known))


def prepare_artifact(zip_path: Path, dest: Path, *, cache_dir: Path, runner: Runner = run_command,
                     extract_zip: bool = True, trees: Sequence[Path] = (), read_only: bool = False,
                     sha256: str | None = None) -> ArtifactRun:
    """Extract the zip into ``dest`` and find what runs it: a Python of its version, awslambdaric.
    With ``extract_zip`` False, only say where and with what it would run. ``read_only``: the run
    mounts ``dest`` read-only, so a task root with links (from ``trees``, see the module's doc)
    may be made or taken; otherwise the zip is unzipped. ``sha256``: the zip's, if known."""
    info = artifact_info(zip_path)
    version, arch = info["python"], info["architecture"]
    if MACHINE.get(arch) != platform.machine():
        raise BuildError(f"{zip_path.name} is built for {arch}; this machine is {platform.machine()}",
                         hint="Build for this machine's architecture to run it locally "
                              "(function.architecture), or test it on Lambda.")
    interpreter = find_interpreter(version, runner=runner)
    support = runtime_support_dir(version, arch, cache_dir, interpreter=interpreter, runner=runner)
    marker = dest.with_name(dest.name + ".sha256")  # outside: the task root holds the zip only
    digest = (sha256 or file_sha256(zip_path)) if extract_zip else ""
    # A tree with links in it is taken only by a run that may have them (read-only).
    accepted = {digest, f"{digest} linked"} if read_only else {digest}
    if extract_zip and not (marker.is_file() and marker.read_text(encoding="utf-8") in accepted):
        marker.unlink(missing_ok=True)  # until the tree is whole
        linking = trees if read_only else ()
        extract(zip_path, dest, linking)
        marker.write_text(f"{digest} linked" if linking else digest, encoding="utf-8")
    return ArtifactRun(task_root=dest, python=str(interpreter.path), extra_pythonpath=(support,),
                       python_version=version, architecture=arch)

