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
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lambdaserve.errors import BuildError
from lambdaserve.package.deps.pip import default_pip, install_for_target, pip_version
from lambdaserve.package.deps.pycompile import compile_tree
from lambdaserve.package.deps.uv import find_uv, install_with_uv
from lambdaserve.package.deps.uv import supports as uv_supports
from lambdaserve.package.process import Runner, asked_once, run_command

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
    """The interpreter at ``path`` if it runs, else None. A build asks several times (the
    layer, the zip, the proof): the answer is kept for this process while the file is the same."""
    def ask() -> Interpreter | None:
        done = runner([str(path), "-c", _VERSION_CODE], timeout=30)
        parts = done.stdout.split()
        return None if done.returncode != 0 or len(parts) != 2 else Interpreter(path, parts[0], parts[1])

    return asked_once(_PROBED, runner, path, ask)


_PROBED: dict[tuple[object, ...], Interpreter | None] = {}  # probe's answers here (never a None)


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


AUTO = "auto"  # runtime_support_dir's uv: decided as for the dependency layers


def runtime_support_dir(version: str, architecture: str, cache_root: Path, *,
                        interpreter: Interpreter | None = None, pip: list[str] | None = None,
                        runner: Runner = run_command, uv: str | None = AUTO) -> Path:
    """A folder holding awslambdaric built for python<version> (like /var/runtime), made once.

    Installed by ``uv`` (default: the uv the dependency layers would use; None: pip) unless
    ``pip`` is given.
    With ``interpreter`` its modules are compiled too, as /var/runtime's are on Lambda.
    ``cache_root`` is the user's cache, shared by their projects and by builds running at once:
    each makes it in its own staging folder and renames it into place; a build that finds it
    made by another meanwhile keeps that one (workers may be running from it). Within this
    process, a caller that finds it being made (``start_runtime_support``) waits for that.
    """
    name = f"python{version}-{architecture}-{AWSLAMBDARIC.replace('==', '-')}"
    folder = cache_root / "runtime" / name
    if (folder / ".complete").is_file():
        return folder
    with _MAKING_LOCK:
        making = _MAKING.get(folder)
        if making is None:
            if (folder / ".complete").is_file():  # made by a caller that finished since we looked
                return folder
            making = _MAKING[folder] = Future()
            mine = True
        else:
            mine = False
    if not mine:
        return making.result()
    try:
        if uv == AUTO:
            uv = _uv_for(version, architecture) if pip is None else None
        made = _make_runtime_support(folder, version, architecture, cache_root, interpreter, pip, uv, runner)
        making.set_result(made)
        return made
    except BaseException as exc:
        making.set_exception(exc)
        raise
    finally:
        with _MAKING_LOCK:
            _MAKING.pop(folder, None)


# The runtime support folders this process is making, so a second caller waits for the first.
_MAKING: dict[Path, Future[Path]] = {}
_MAKING_LOCK = threading.Lock()


def start_runtime_support(version: str, architecture: str, cache_root: Path, *,
                          interpreter: Interpreter | None = None) -> Future[Path]:
    """``runtime_support_dir`` on a thread of its own: a build makes awslambdaric for its proof's
    run while it installs and trims, instead of after the zip is written."""
    # uv is found here, not on the thread: find_uv reads sysconfig, whose first use is not
    # thread-safe (a build running it on two threads at once crashed with EXE None).
    uv = _uv_for(version, architecture)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambdaserve-runtime-support")
    future = pool.submit(runtime_support_dir, version, architecture, cache_root, interpreter=interpreter,
                         uv=uv)
    pool.shutdown(wait=False)  # the thread ends with the task
    return future


def _make_runtime_support(folder: Path, version: str, architecture: str, cache_root: Path,
                          interpreter: Interpreter | None, pip: list[str] | None, uv: str | None,
                          runner: Runner) -> Path:
    name = folder.name
    staging = folder.with_name(f".{name}.{os.getpid()}.partial")
    _remove(staging)
    if uv is not None and pip is None:  # as the layers: uv installs in a fraction of pip's time
        install_with_uv([AWSLAMBDARIC], staging, python=version, architecture=architecture, uv=uv,
                        runner=runner)
    else:
        pip = pip or default_pip()
        pip_version(pip, runner)
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


def _uv_for(version: str, architecture: str) -> str | None:
    """uv, when the dependency layers would use it for this runtime (layer._installer's rule)."""
    if os.environ.get("LAMBDASERVE_INSTALLER", "uv") == "pip" or not uv_supports(version, architecture):
        return None
    return find_uv()


def _remove(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
