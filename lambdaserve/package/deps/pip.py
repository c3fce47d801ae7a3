"""pip, driven for the target runtime instead of the host: platform tags, Python version, wheels only.

A current pip is required: pip 23.x with ``--python-version`` checks Requires-Python against
the running interpreter and quietly picks older releases. Wheels are downloaded once into a
wheel cache folder, then installed from it with no index.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from lambdaserve.errors import BuildError
from lambdaserve.package.deps.platforms import platform_tags
from lambdaserve.package.process import Runner, run_command, tail

MIN_PIP = (26, 0)
PIP_TIMEOUT = 900.0


def default_pip() -> list[str]:
    return [sys.executable, "-m", "pip"]


def pip_version(pip: Sequence[str], runner: Runner = run_command) -> str:
    """The pip version, or BuildError if pip is missing or older than 26."""
    done = runner([*pip, "--version"], timeout=60)
    match = re.match(r"pip (\d+)\.(\d+)(\S*)", done.stdout)
    if done.returncode != 0 or not match:
        raise BuildError(f"pip does not run ({' '.join(pip)}): {tail(done.stderr or done.stdout, 3)}",
                         hint="Install pip into the environment that runs lambdaserve: "
                              "python -m ensurepip --upgrade.")
    found = (int(match.group(1)), int(match.group(2)))
    if found < MIN_PIP:
        raise BuildError(
            f"pip {match.group(1)}.{match.group(2)} is too old to resolve wheels for another Python",
            hint="Run `python -m pip install -U 'pip>=26'`: older pips with --python-version quietly "
                 "pick old releases.")
    return f"{found[0]}.{found[1]}{match.group(3)}"


def target_args(python: str, architecture: str, glibc: tuple[int, int] | None = None) -> list[str]:
    args = []
    for tag in platform_tags(python, architecture, glibc):
        args += ["--platform", tag]
    return args + ["--implementation", "cp", "--python-version", python, "--only-binary=:all:"]


def install_for_target(requirements: Sequence[str], target: Path, *, python: str, architecture: str,
                       wheel_cache: Path, pip: Sequence[str], runner: Runner = run_command,
                       no_deps: bool = False, constraints: Path | None = None,
                       glibc: tuple[int, int] | None = None) -> None:
    """Install ``requirements`` (and their dependencies, unless ``no_deps``, at the versions the
    ``constraints`` file pins) for the Lambda runtime (or an image base's ``glibc``) into ``target``."""
    if not requirements:
        target.mkdir(parents=True, exist_ok=True)
        return
    wheel_cache.mkdir(parents=True, exist_ok=True)
    common = target_args(python, architecture, glibc) + (["--no-deps"] if no_deps else []) \
        + (["--constraint", str(constraints)] if constraints else [])
    env = {"PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    download = runner([*pip, "download", "--dest", str(wheel_cache), "--find-links", str(wheel_cache),
                       *common, *requirements], env=env, timeout=PIP_TIMEOUT)
    if download.returncode != 0:
        raise _pip_error("resolve", requirements, python, architecture, download.stderr or download.stdout,
                         glibc)
    install = runner([*pip, "install", "--no-index", "--find-links", str(wheel_cache), "--target",
                      str(target), "--no-compile", "--no-warn-script-location", *common, *requirements],
                     env=env, timeout=PIP_TIMEOUT)
    if install.returncode != 0:
        raise _pip_error("install", requirements, python, architecture, install.stderr or install.stdout,
                         glibc)


def _pip_error(step: str, requirements: Sequence[str], python: str, architecture: str,
               output: str, glibc: tuple[int, int] | None = None) -> BuildError:
    hint = ("Check the pins exist for this Python and architecture on PyPI "
            f"(cp{python.replace('.', '')}, manylinux {architecture}), wheels only.")
    if python == "3.11" and glibc is None:
        hint += (" python3.11 runs on Amazon Linux 2 (glibc 2.26): packages that only ship "
                 "manylinux_2_28 wheels (recent numpy, onnxruntime, torch) cannot be installed; "
                 "set function.python = \"3.12\".")
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    return BuildError(f"pip could not {step} {', '.join(requirements)} for python{python} "
                      f"{architecture}:\n{tail(chr(10).join(errors) or output)}", hint=hint)


def pip_has_wheel(requirement: str, *, python: str, architecture: str, wheel_cache: Path,
                  pip: Sequence[str], runner: Runner = run_command) -> bool:
    """Would ``requirement`` alone install for the Lambda runtime (a wheel for its tags exists)?"""
    wheel_cache.mkdir(parents=True, exist_ok=True)
    done = runner([*pip, "download", "--dest", str(wheel_cache), "--find-links", str(wheel_cache),
                   "--no-deps", *target_args(python, architecture), requirement],
                  env={"PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}, timeout=PIP_TIMEOUT)
    return done.returncode == 0
