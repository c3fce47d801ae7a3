"""How the CLI turns a Config into the emulator's FunctionSpec: one place for serve and invoke."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lambdaserve.config import Config, runtime_env
from lambdaserve.emulator.execution import Function, FunctionSpec
from lambdaserve.emulator.sandbox import ContainerImage

if TYPE_CHECKING:
    from lambdaserve.emulator import Sandbox


def function_spec(config: Config, *, concurrency: int = 2, sandbox: Sandbox = "process",
                  task_root: Path | None = None, environment: dict[str, str] | None = None,
                  python: str | None = None, extra_pythonpath: tuple[Path, ...] = (),
                  binds: tuple[tuple[Path, str], ...] = (),
                  container: ContainerImage | None = None) -> FunctionSpec:
    """The spec of the local Lambda for this project (or for an extracted zip, or an image)."""
    spec = FunctionSpec(
        name=config.name,
        task_root=task_root or config.project_dir,
        environment=environment if environment is not None else runtime_env(config),
        memory_mb=config.function.memory,
        timeout_s=float(config.function.timeout),
        ephemeral_mb=config.function.ephemeral_storage,
        extra_pythonpath=extra_pythonpath,
        region=config.deploy.region or "us-east-1",
        concurrency=concurrency,
        sandbox=sandbox,
        binds=binds,
        container=container,
        # a published SnapStart version: init once, each new environment restored from it
        snapstart=config.function.snapstart and sandbox != "container",
    )
    return spec if python is None else dataclasses.replace(spec, python=python)


def snapstart_note(config: Config, spec: FunctionSpec) -> str | None:
    """What the banner says about how a SnapStart project's environments start, if it is one."""
    if spec.snapstart:
        return ("SnapStart: init runs once (then the before-snapshot hooks); each new execution "
                "environment is restored from that snapshot (a fork) and runs the after-restore hooks, "
                "so what init drew at random or opened is shared, as on Lambda. REPORT shows Restore "
                "Duration.")
    if config.function.snapstart:
        return ("SnapStart is on in lambdaserve.toml but not emulated in the container sandbox: every "
                "environment runs its own init here.")
    return None


def invoke_once(config: Config, payload: bytes, *, sandbox: Sandbox, log: Callable[[str], None],
                python: str | None = None, extra_pythonpath: tuple[Path, ...] = (),
                spec: FunctionSpec | None = None) -> tuple[bytes, str | None]:
    """One cold invoke through a real local Lambda; log lines (START..REPORT) go to ``log``.
    ``spec`` (a built zip's) replaces the project folder's."""
    spec = spec or function_spec(config, concurrency=1, sandbox=sandbox, python=python,
                                 extra_pythonpath=extra_pythonpath)
    note = snapstart_note(config, spec)
    if note is not None:
        log(note)
    with Function(spec, log_sink=log) as function:
        result = function.invoke(payload)
    return result.payload, result.function_error
