"""Run what was built: extract a built zip as a task root, with a Python of its target version.

Lambda's managed runtime puts awslambdaric in /var/runtime; here a cached folder of
awslambdaric installed for the artifact's Python plays that part (``extra_pythonpath``).
"""

from __future__ import annotations

import json
import platform
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lambdaserve.errors import BuildError
from lambdaserve.package.deps.interpreters import find_interpreter, runtime_support_dir
from lambdaserve.package.deps.platforms import MACHINE
from lambdaserve.package.process import Runner, run_command
from lambdaserve.package.sources import MODEL_DIR
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


def extract(zip_path: Path, dest: Path) -> Path:
    """Unpack ``zip_path`` into ``dest`` (replacing what was there) with the zip's file modes."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
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
            with zf.open(info) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            mode = (info.external_attr >> 16) & 0o777
            target.chmod(mode or 0o644)
    return dest


def prepare_artifact(zip_path: Path, dest: Path, *, cache_dir: Path, runner: Runner = run_command,
                     extract_zip: bool = True) -> ArtifactRun:
    """Extract the zip into ``dest`` and find what runs it: a Python of its version, awslambdaric.
    With ``extract_zip`` False, only say where and with what it would run."""
    info = artifact_info(zip_path)
    version, arch = info["python"], info["architecture"]
    if MACHINE.get(arch) != platform.machine():
        raise BuildError(f"{zip_path.name} is built for {arch}; this machine is {platform.machine()}",
                         hint="Build for this machine's architecture to run it locally "
                              "(function.architecture), or test it on Lambda.")
    interpreter = find_interpreter(version, runner=runner)
    support = runtime_support_dir(version, arch, cache_dir, interpreter=interpreter, runner=runner)
    marker = dest.with_name(dest.name + ".sha256")  # outside: the task root holds the zip only
    digest = file_sha256(zip_path) if extract_zip else ""
    if extract_zip and not (marker.is_file() and marker.read_text(encoding="utf-8") == digest):
        extract(zip_path, dest)
        marker.write_text(digest, encoding="utf-8")
    return ArtifactRun(task_root=dest, python=str(interpreter.path), extra_pythonpath=(support,),
                       python_version=version, architecture=arch)

