"""What a worker is started with, per sandbox: checks, argv, variables and folder.

    process     the host's filesystem, as is
    namespace   the host's filesystem read-only, /tmp a capped disk of its own (tmp_disk.py), no
                /dev/shm, optional binds
                (e.g. an extracted zip at /var/task, so its variables are the deployed ones)
    container   an unpacked image as / (container.py), the image's own command
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lambdaserve.emulator.execution.function import FunctionSpec
from lambdaserve.emulator.execution.worker_process import (
    SANDBOX_BOOT,
    SHIM_DIR,
    lambda_variables,
    worker_argv,
    worker_environment,
)
from lambdaserve.emulator.sandbox.container import check_image, container_argv, container_environment
from lambdaserve.emulator.sandbox.tmp_disk import fresh_image
from lambdaserve.errors import EmulatorError
from lambdaserve.runtime.system_libraries import KNOWN_MISSING

SANDBOXES = ("process", "namespace", "container")


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    env: dict[str, str]
    cwd: Path  # on the host, before the sandbox boots


def visible_path(path: Path, binds: tuple[tuple[Path, str], ...]) -> str:
    """Where the worker sees ``path``: under a bind's target if a bind holds it."""
    resolved = path.resolve()
    for source, target in binds:
        src = source.resolve()
        if resolved == src or src in resolved.parents:
            return str(PurePosixPath(target) / resolved.relative_to(src).as_posix())
    return str(path)


def _needs_linux_root(what: str) -> None:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        raise EmulatorError(
            f"the {what} sandbox needs Linux and root (it mounts a private filesystem view)",
            hint="Run as root (e.g. in a container), or use --sandbox process.",
        )


def check_spec(spec: FunctionSpec) -> None:
    """Refuse a spec that cannot run, before any worker starts."""
    if spec.sandbox not in SANDBOXES:
        raise EmulatorError(f"unknown sandbox {spec.sandbox!r}", hint="Use process, namespace or container.")
    if spec.snapstart and spec.sandbox == "container":
        raise EmulatorError("SnapStart runs locally in the process or namespace sandbox only",
                            hint="Use --sandbox namespace (or process) for a SnapStart function.")
    if spec.sandbox == "container":
        if spec.container is None:
            raise EmulatorError("the container sandbox needs an image to run",
                                hint="Build one (lambdaserve build --package image), then "
                                     "lambdaserve serve --sandbox container.")
        check_image(spec.container)
        return
    if not spec.task_root.is_dir():
        raise EmulatorError(f"task root {spec.task_root} is not a folder",
                            hint="Run from the project folder.")
    if spec.binds and spec.sandbox != "namespace":
        raise EmulatorError("binding folders into the worker's view needs the namespace sandbox",
                            hint="Use --sandbox namespace.")
    if spec.sandbox == "namespace":
        _needs_linux_root("namespace")


def kept_folders(spec: FunctionSpec, python: str) -> tuple[str, ...]:
    """What the worker reads from the host: the namespace sandbox binds back those under /tmp."""
    import lambdaserve

    interpreter = Path(python)
    folders = [spec.task_root, SHIM_DIR, *spec.extra_pythonpath,
               Path(lambdaserve.__file__).resolve().parent.parent,  # an editable checkout
               interpreter.parent.parent, Path(sys.prefix)]  # the worker's and our venv
    return tuple(dict.fromkeys(str(p.resolve()) for p in folders))


def launch(spec: FunctionSpec, *, python: str, py_version: str, log_stream: str,
           module: str = "awslambdaric") -> Launch:
    """argv, variables and host folder of a new worker (AWS_LAMBDA_RUNTIME_API comes later);
    ``python`` is spec.python resolved to its executable, ``module`` what it runs with -m."""
    if spec.sandbox == "container":
        assert spec.container is not None
        lambda_vars = lambda_variables(name=spec.name, memory_mb=spec.memory_mb, region=spec.region,
                                       runtime_api="", log_stream=log_stream)
        return Launch(container_argv(spec.container, SANDBOX_BOOT, spec.ephemeral_mb, SHIM_DIR,
                                     tmp_image=fresh_image(spec.ephemeral_mb)),
                      container_environment(spec.container, lambda_vars, spec.environment),
                      spec.container.rootfs)
    task_root = visible_path(spec.task_root, spec.binds)
    env = worker_environment(
        name=spec.name, task_root=task_root, handler=spec.handler, memory_mb=spec.memory_mb,
        region=spec.region, py_version=py_version, runtime_api="", log_stream=log_stream,
        user_env=spec.environment,
        pythonpath=tuple(visible_path(p, spec.binds) for p in spec.extra_pythonpath),
    )
    moved = task_root != str(spec.task_root)
    image = fresh_image(spec.ephemeral_mb) if spec.sandbox == "namespace" else None
    # Lambda's OS lacks them: the host's copies would let a package that does not ship them load here.
    argv = worker_argv(python, spec.handler, spec.sandbox, spec.ephemeral_mb, binds=spec.binds,
                       cwd=task_root if moved else "", keep=kept_folders(spec, python), tmp_image=image,
                       module=module, hide_libraries=tuple(sorted(KNOWN_MISSING)))
    return Launch(argv, env, spec.task_root)
