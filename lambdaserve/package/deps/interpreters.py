"""Find a Python of the target runtime's version on this machine, and its Lambda runtime support.

Artifacts built for python3.12 are compiled and run by a 3.12 interpreter, whatever Python
runs lambdaserve. Candidates are checked by running them, so a pyenv shim that is not
activated (it exits with "command not found") is skipped rather than trusted.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lambdaserve.errors import BuildError
from lambdaserve.package.deps.pip import default_pip, install_for_target, pip_version
from lambdaserve.package.deps.pycompile import compile_tree
from lambdaserve.package.process import Runner, run_command

_VERSION_CODE = "import sys, platform; print('%d.%d.%d' % sys.version_info[:3], platform.machine())"


@dataclass(frozen=True)
class Interpreter:
    path: Path
    version: str  # full, e.g. "3.12.1"
    machine: str  # e.g. "x86_64"

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])


def _patch_key(path: Path) -> tuple[int, ...]:
    # pyenv/uv folder names such as 3.12.10 or cpython-3.12.10-linux-x86_64-gnu
    match = re.search(r"3\.\d+\.(\d+)", path.as_posix())
    return (int(match.group(1)),) if match else (-1,)


def candidates(version: str, environ: Mapping[str, str], pyenv_root: Path | None = None) -> list[Path]:
    """Where a python<version> may live, most preferred first: PATH, pyenv, uv-managed.

    pyenv's own shims come after pyenv's versions: a shim only ever runs one of them, through
    a shell script that costs ~0.1 s a run, or fails when another version is selected.
    """
    exe = f"python{version}"
    home = Path(environ.get("HOME", "~")).expanduser()
    root = pyenv_root or Path(environ.get("PYENV_ROOT") or home / ".pyenv")
    found: list[Path] = []
    shims: list[Path] = []
    for folder in environ.get("PATH", "").split(os.pathsep):
        if folder and (Path(folder) / exe).is_file():
            (shims if Path(folder) == root / "shims" else found).append(Path(folder) / exe)
    pyenv = sorted((root / "versions").glob(f"{version}.*/bin/{exe}"), key=_patch_key, reverse=True)
    data = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    uv_root = Path(environ.get("UV_PYTHON_INSTALL_DIR") or data / "uv" / "python")
    uv = sorted(uv_root.glob(f"cpython-{version}.*/bin/{exe}"), key=_patch_key, reverse=True)
    return found + pyenv + shims + uv


def probe(path: Path, runner: Runner = run_command) -> Interpreter | None:
    """The interpreter at ``path`` if it runs, else None."""
    done = runner([str(path), "-c", _VERSION_CODE], timeout=30)
    parts = done.stdout.split()
    if done.returncode != 0 or len(parts) != 2:
        return None
    return Interpreter(path=path, version=parts[0], machine=parts[1])


def find_interpreter(version: str, *, environ: Mapping[str, str] | None = None,
                     runner: Runner = run_command, pyenv_root: Path | None = None) -> Interpreter:
    """A working python<version> (e.g. "3.12"), or BuildError with the command that installs one."""
    env = os.environ if environ is None else environ
    tried = candidates(version, env, pyenv_root)
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        tried.append(Path(sys.executable))
    for path in tried:
        found = probe(path, runner)
        if found is not None and found.minor == version:
            return found
    looked = ", ".join(str(p) for p in tried) or "nothing found on PATH, in pyenv or uv"
    raise BuildError(
        f"no working Python {version} interpreter on this machine (tried: {looked})",
        hint=f"Install one: `pyenv install {version}` or `uv python install {version}`; "
             f"then build again. Lambda's python{version} runtime needs .pyc files compiled "
             f"by Python {version}.")


# The runtime interface client Lambda's managed Python runtimes carry in /var/runtime.
AWSLAMBDARIC = "awslambdaric==4.2.2"


def runtime_support_dir(version: str, architecture: str, cache_root: Path, *,
                        interpreter: Interpreter | None = None, pip: list[str] | None = None,
                        runner: Runner = run_command) -> Path:
    """A folder holding awslambdaric built for python<version> (like /var/runtime), made once.

    With ``interpreter`` its modules are compiled too, as /var/runtime's are on Lambda.
    ``cache_root`` is the user's cache, shared by their projects and by builds running at once:
    each makes it in its own staging folder and renames it into place; a build that finds it
    made by another meanwhile keeps that one (workers may be running from it).
    """
    name = f"python{version}-{architecture}-{AWSLAMBDARIC.replace('==', '-')}"
    folder = cache_root / "runtime" / name
    if (folder / ".complete").is_file():
        return folder
    pip = pip or default_pip()
    pip_version(pip, runner)
    staging = folder.with_name(f".{name}.{os.getpid()}.partial")
    _remove(staging)
    install_for_target([AWSLAMBDARIC], staging, python=version, architecture=architecture,
                       wheel_cache=cache_root / "wheels", pip=pip, runner=runner)
    if interpreter is not None:
        compile_tree(staging, interpreter, ddir="/var/runtime", runner=runner)
    (staging / ".complete").write_text(AWSLAMBDARIC + "\n", encoding="utf-8")
    if folder.exists() and not (folder / ".complete").is_file():
        _remove(folder)  # left half-made by a build of an older lambdaserve
    try:
        staging.rename(folder)
    except OSError:  # made by another build meanwhile
        if not (folder / ".complete").is_file():
            raise
        _remove(staging)
    return folder


def _remove(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
