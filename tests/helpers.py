"""Shared test helpers.

Under LAMBDASERVE_REQUIRE_ALL=1 (CI) nothing may skip: these helpers fail instead, and
tests/conftest.py turns any other skip into a failure, except a platform skip whose
reason starts with ``PLATFORM_SKIP`` (use ``skip_on_platform``).
"""

from __future__ import annotations

import fcntl
import importlib
import importlib.util
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import AnyStr, NoReturn

import pytest

REQUIRE_ALL = os.environ.get("LAMBDASERVE_REQUIRE_ALL") == "1"
PLATFORM_SKIP = "platform:"
# What tests build once and reuse across runs: Debian base images, pip's wheels. Dependency layers
# are the session's own (tests/conftest.py's session_user_cache), never an older run's.
CACHE = Path(os.environ.get("LAMBDASERVE_TEST_CACHE") or Path.home() / ".cache" / "lambdaserve-test")


@contextmanager
def cache_lock(name: str) -> Iterator[None]:
    """One builder of CACHE/``name`` at a time, across pytest-xdist workers and sessions: the
    second waits, then finds what the first built."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".{name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def require_tool(name: str) -> str:
    """The tool's path; skip if it is missing, or fail under LAMBDASERVE_REQUIRE_ALL=1 (CI)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if REQUIRE_ALL:
            pytest.fail(message + " (LAMBDASERVE_REQUIRE_ALL=1)")
        pytest.skip(message)
    return path


def require(condition: bool, why: str) -> None:
    """Skip (or fail under LAMBDASERVE_REQUIRE_ALL=1) unless ``condition`` holds."""
    if not condition:
        if REQUIRE_ALL:
            pytest.fail(why + " (LAMBDASERVE_REQUIRE_ALL=1)")
        pytest.skip(why)


def require_module(name: str) -> ModuleType:
    """The imported module; instead of ``pytest.importorskip``, which skips even in CI."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        message = f"needs the Python module {name}: {exc}"
        if REQUIRE_ALL:
            pytest.fail(message + " (LAMBDASERVE_REQUIRE_ALL=1)")
        pytest.skip(message)


def require_installed(*names: str) -> None:
    """At a module's top, instead of ``pytest.importorskip``: skip the module (a failure under
    LAMBDASERVE_REQUIRE_ALL=1, see tests/conftest.py) unless each module is installed, without
    importing it. Both xdist workers collect every test module, so an import here cost each of them
    the framework's import (skl2onnx and scikit-learn ~3 CPU-s) even where no test of it runs."""
    for name in names:
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"needs the Python module {name}", allow_module_level=True)


def skip_on_platform(why: str) -> NoReturn:
    """The one skip allowed under LAMBDASERVE_REQUIRE_ALL=1: the test cannot run on this OS or CPU."""
    pytest.skip(f"{PLATFORM_SKIP} {why}")


def stop_process(proc: subprocess.Popen[AnyStr], *, sig: int = signal.SIGTERM,
                 timeout: float = 30) -> AnyStr | None:
    """Stop a process a test started: ``sig`` (serve stops on SIGTERM or SIGINT as on Ctrl-C), then
    SIGKILL if it has not exited within ``timeout`` s, so no test leaves a server behind. Returns what
    it wrote to a piped stderr (None if stderr was not a pipe); reading the pipes while waiting keeps a
    chatty process from blocking on a full one."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[1]


def share_runtime_support(project: Path, python: str = "3.12") -> None:
    """Give ``project`` the awslambdaric folder (/var/runtime's stand-in) that serving or proving
    its zip runs with: the per-user one (build and serve --built already use it), made once per
    test session in the session's user cache (tests/conftest.py).

    It depends only on the Python version and the architecture, never on the project, and making
    it costs ~4 s of CPU with pip (python3.11, LAMBDASERVE_INSTALLER=pip), ~0.5 with uv. Paths
    that still keep it per project (the local cloud's deploys, cli/local_serve.py) get a link to
    it. A project left without it builds its own, as a user's first build does.
    """
    from lambdaserve.package.deps.interpreters import find_interpreter, runtime_support_dir
    from lambdaserve.package.deps.layer import shared_cache
    from lambdaserve.package.deps.platforms import MACHINE

    architecture = next(arch for arch, machine in MACHINE.items() if machine == os.uname().machine)
    # Concurrent makers (xdist workers) each stage their own copy and keep the first in place.
    folder = runtime_support_dir(python, architecture, shared_cache(), interpreter=find_interpreter(python))
    runtime = project / ".lambdaserve" / "cache" / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    (runtime / folder.name).symlink_to(folder, target_is_directory=True)
