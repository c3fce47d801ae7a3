"""`lambdaserve lock`: pin the dependencies of function.requirements to this environment's versions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from lambdaserve.config import Config, load_config
from lambdaserve.package.deps import Closure, Environment, environment_of, write_lock


def lock_project(config: Config, echo: Callable[[str], None] = click.echo,
                 env: Environment | None = None) -> Closure:
    """Write the project's lock from ``env`` (default: this Python's) and say what it pins."""
    fn = config.function
    env = env or Environment.this()
    found = write_lock(config.lock_file, fn.requirements, fn.python, fn.architecture, env)
    echo(f"wrote {config.lock_file} ({len(found.pins)} dependencies of function.requirements pinned to "
         f"the versions installed in the environment of {env.executable})")
    for pin in found.pins.values():
        echo(f"  {pin.requirement:<32} via {', '.join(pin.via)}")
    for name, via in found.missing.items():
        echo(f"note: {name} (via {', '.join(via) or '?'}) is not installed there, so it is not pinned: the "
             "resolver chooses its version at build")
    return found


@click.command("lock")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="The project folder or its lambdaserve.toml.")
@click.option("--python", "python", default=None, metavar="PATH",
              help="The Python of the environment the model was trained in (default: the one running "
                   "lambdaserve), e.g. .venv/bin/python when lambdaserve is installed elsewhere.")
def lock(config_path: Path, python: str | None) -> None:
    """Pin every dependency of function.requirements (scipy, threadpoolctl, ...) to the version installed
    in this Python, into lambdaserve.lock beside lambdaserve.toml: run it where the model was trained,
    and commit the file; build installs exactly those versions."""
    config = load_config(config_path)
    lock_project(config, env=environment_of(python) if python else None)


COMMANDS = [lock]
