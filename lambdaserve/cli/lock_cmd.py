"""`lambdaserve lock`: pin the dependencies of function.requirements to this environment's versions."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from lambdaserve.config import Config, load_config
from lambdaserve.package.deps import Closure, write_lock


def _stderr(line: str) -> None:
    click.echo(line)


def lock_project(config: Config, echo: Callable[[str], None] = _stderr) -> Closure:
    """Write the project's lock from this environment and say what it pins."""
    fn = config.function
    found = write_lock(config.lock_file, fn.requirements, fn.python, fn.architecture)
    echo(f"wrote {config.lock_file} ({len(found.pins)} dependencies of function.requirements pinned to "
         f"the versions installed in the environment of {sys.executable})")
    for pin in found.pins.values():
        echo(f"  {pin.requirement:<32} via {', '.join(pin.via)}")
    for name, via in found.missing.items():
        echo(f"note: {name} (via {', '.join(via) or '?'}) is not installed here, so it is not pinned: the "
             "resolver chooses its version at build")
    return found


@click.command("lock")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="The project folder or its lambdaserve.toml.")
def lock(config_path: Path) -> None:
    """Pin every dependency of function.requirements (scipy, threadpoolctl, ...) to the version installed
    in this Python, into lambdaserve.lock beside lambdaserve.toml: run it where the model was trained,
    and commit the file; build installs exactly those versions."""
    lock_project(load_config(config_path))


COMMANDS = [lock]
