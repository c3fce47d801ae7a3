"""uv as the dependency installer: resolve and install wheels for the Lambda runtime in one step.

uv (a dependency of lambdaserve) resolves and installs several times faster than ``pip download`` +
``pip install``: it unpacks wheels in parallel and keeps its own download cache. It targets
another interpreter with ``--python-platform <machine>-manylinux_2_<glibc>`` (every manylinux
tag up to that glibc, manylinux2014 included) and ``--python-version``, and checks
Requires-Python against the target, not the host. It names no manylinux_2_26 target, so
python3.11 (Amazon Linux 2, glibc 2.26) stays with pip. Files are hard-linked from its cache
(uv copies them when the cache is on another file system): nothing the build does writes
into an installed file, but ``strip``, which rewrites a hard-linked file in place, so each
shared object gets its own copy before it is stripped (trim_files).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from lambdaserve.errors import BuildError
from lambdaserve.package.deps.platforms import MACHINE, RUNTIME_GLIBC, platform_tags
from lambdaserve.package.process import Runner, asked_once, run_command, tail

UV_TIMEOUT = 900.0


def find_uv() -> str | None:
    """The uv executable installed with lambdaserve (the ``uv`` package), else one on PATH."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def uv_version(uv: str, runner: Runner = run_command) -> str:
    """'uv 0.13.8', part of the dependency layer's key (asked once per process while the
    program is the same file: a build keys two layers)."""
    def ask() -> str:
        done = runner([uv, "--version"], timeout=60)
        match = re.match(r"uv (\d+\.\d+\.\d+)", done.stdout)
        if done.returncode != 0 or not match:
            raise BuildError(f"uv does not run ({uv}): {tail(done.stderr or done.stdout, 3)}",
                             hint="Reinstall lambdaserve (it pins uv), or set LAMBDASERVE_INSTALLER=pip.")
        return f"uv {match.group(1)}"

    return asked_once(_VERSIONS, runner, Path(uv), ask)


_VERSIONS: dict[tuple[object, ...], str] = {}  # uv_version's answers in this process


# The glibc minors uv 0.13 names as --python-platform targets (manylinux_2_17, _2_28, _2_31 ...).
UV_GLIBC_MINORS = frozenset({17, 28, *range(31, 41)})


def supports(python: str, architecture: str) -> bool:
    """Can uv target this runtime's glibc exactly? Not python3.11's 2.26 (Amazon Linux 2): its
    nearest uv target, 2_17, would skip manylinux_2_24/2_26 wheels pip takes, so pip does it."""
    platform_tags(python, architecture)  # the BuildError for a runtime Lambda does not offer
    return RUNTIME_GLIBC[python][1] in UV_GLIBC_MINORS


def python_platform(python: str, architecture: str, glibc: tuple[int, int] | None = None) -> str:
    """uv's target platform for a Lambda runtime, e.g. x86_64-manylinux_2_34 for python3.12
    (``glibc``: an image base's own)."""
    usable = supports(python, architecture)  # first: the BuildError for a runtime Lambda does not offer
    major, minor = glibc or RUNTIME_GLIBC[python]
    if not usable or minor not in UV_GLIBC_MINORS:
        raise BuildError(f"uv cannot target glibc {major}.{minor}", hint="Set LAMBDASERVE_INSTALLER=pip.")
    return f"{MACHINE[architecture]}-manylinux_{major}_{minor}"


def uv_args(python: str, architecture: str, glibc: tuple[int, int] | None = None) -> list[str]:
    return ["--python-platform", python_platform(python, architecture, glibc), "--python-version", python,
            "--only-binary", ":all:", "--link-mode", "hardlink", "--no-progress"]


def install_with_uv(requirements: Sequence[str], target: Path, *, python: str, architecture: str,
                    uv: str, runner: Runner = run_command, no_deps: bool = False,
                    constraints: Path | None = None, glibc: tuple[int, int] | None = None) -> None:
    """Install ``requirements`` (and their dependencies, unless ``no_deps``, at the versions the
    ``constraints`` file pins) for the Lambda runtime into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    if not requirements:
        return
    done = runner([uv, "pip", "install", "--target", str(target), *uv_args(python, architecture, glibc),
                   *(["--no-deps"] if no_deps else []),
                   *(["--constraints", str(constraints)] if constraints else []), *requirements],
                  env=_env(), timeout=UV_TIMEOUT)
    if done.returncode != 0:
        raise _uv_error(requirements, python, architecture, done.stderr or done.stdout)
    (target / ".lock").unlink(missing_ok=True)  # uv's lock on the target folder: not for Lambda


def uv_has_wheel(requirement: str, scratch: Path, *, python: str, architecture: str, uv: str,
                 runner: Runner = run_command) -> bool:
    """Would ``requirement`` alone install for the Lambda runtime (a wheel for its tags exists)?"""
    done = runner([uv, "pip", "install", "--dry-run", "--no-deps", "--target", str(scratch),
                   *uv_args(python, architecture), requirement], env=_env(), timeout=UV_TIMEOUT)
    return done.returncode == 0


def _env() -> dict[str, str]:
    return {"UV_PYTHON_DOWNLOADS": "never", **_pip_indexes()}


def _pip_indexes() -> dict[str, str]:
    """An index set up for pip (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL) is used by uv too."""
    out = {}
    if "PIP_INDEX_URL" in os.environ and "UV_DEFAULT_INDEX" not in os.environ:
        out["UV_DEFAULT_INDEX"] = os.environ["PIP_INDEX_URL"]
    if "PIP_EXTRA_INDEX_URL" in os.environ and "UV_INDEX" not in os.environ:
        out["UV_INDEX"] = os.environ["PIP_EXTRA_INDEX_URL"]
    return out


def _uv_error(requirements: Sequence[str], python: str, architecture: str, output: str) -> BuildError:
    hint = ("Check the pins exist for this Python and architecture on PyPI "
            f"(cp{python.replace('.', '')}, manylinux {architecture}), wheels only.")
    return BuildError(f"uv could not install {', '.join(requirements)} for python{python} "
                      f"{architecture}:\n{tail(output)}", hint=hint)
