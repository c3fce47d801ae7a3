"""Running external tools (pip, strip, a target Python) through one injectable runner.

Tests pass their own runner to count or refuse calls instead of patching subprocess.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from lambdaserve.errors import BuildError

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def inherited_env() -> dict[str, str]:
    """This process's variables without lambdaserve's own: a smoke run in the target Python must
    see exactly the artifact's LAMBDASERVE_* settings, never ones left in the caller's shell."""
    return {k: v for k, v in os.environ.items() if not k.startswith("LAMBDASERVE_")}


def run_command(args: Sequence[str], *, env: Mapping[str, str] | None = None,
                cwd: Path | None = None, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``args`` and capture its output; a missing program answers 127, one that cannot run 126."""
    full_env = {**inherited_env(), **(env or {})}
    try:
        return subprocess.run(list(args), env=full_env, cwd=cwd, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except FileNotFoundError as exc:
        return subprocess.CompletedProcess(list(args), 127, "", str(exc))
    except OSError as exc:  # not executable, and the like
        return subprocess.CompletedProcess(list(args), 126, "", str(exc))
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"{args[0]} did not finish within {timeout:.0f} s",
                         hint="Check your network or the tool itself, then build again.") from exc


def tail(text: str, lines: int = 15) -> str:
    """The last lines of a tool's output, for error messages."""
    return "\n".join(text.strip().splitlines()[-lines:])


def binary_identity(path: Path) -> tuple[object, ...] | None:
    """A program file's path and identity (inode, size, time), for keeping what it answered to
    a version query while it is the same file; None for a script (a pyenv shim runs another
    Python as the folder or the environment changes) or what cannot be read."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"\x7fELF":
                return None
            info = os.fstat(fh.fileno())
    except OSError:
        return None
    return (str(path), info.st_ino, info.st_size, info.st_mtime_ns)


Answer = TypeVar("Answer")


def asked_once(kept: dict[tuple[object, ...], Answer], runner: Runner, program: Path,
               ask: Callable[[], Answer]) -> Answer:
    """``ask()``'s answer about ``program`` (its version, say), kept in ``kept`` for this process
    while the program is the same file (binary_identity) and asked through the same runner; an
    answer of None, or a script's, is asked again every time."""
    identity = binary_identity(program)
    key = (runner, identity)
    if identity is not None and key in kept:
        return kept[key]
    found = ask()
    if identity is not None and found is not None:
        kept[key] = found
    return found
