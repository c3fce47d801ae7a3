"""`lambdaserve` entry point: the group, error rendering and exit codes."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

from lambdaserve import __version__
from lambdaserve.errors import ConfigError, LambdaServeError, RequestError, RequestRefusedError

# Exit codes: 0 ok; 1 a lambdaserve error, or an invoke whose function failed (function error,
# 5xx); 2 usage (click's); 3 a config error; 4 an invoke the function refused (4xx); 130 Ctrl-C.
EXIT_ERROR = 1
EXIT_CONFIG = 3
EXIT_REFUSED = 4
EXIT_INTERRUPTED = 130

err_console = Console(stderr=True, highlight=False)


class LambdaServeGroup(click.Group):
    """Renders LambdaServeError as message + hint, never as a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LambdaServeError as exc:
            err_console.print(f"[bold red]error:[/] {exc.message}", markup=True, soft_wrap=True)
            if exc.hint:
                err_console.print(f"[bold]hint:[/] {exc.hint}", markup=True, soft_wrap=True)
            code = EXIT_CONFIG if isinstance(exc, ConfigError) else EXIT_ERROR
            if isinstance(exc, RequestError):
                code = EXIT_ERROR
            if isinstance(exc, RequestRefusedError):
                code = EXIT_REFUSED
            ctx.exit(code)
        except KeyboardInterrupt:
            err_console.print("interrupted")
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=LambdaServeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lambdaserve")
def cli() -> None:
    """Turn a trained model into an HTTPS inference API on AWS Lambda."""


def _register() -> None:
    # Every lambdaserve/cli/*_cmd.py module lists its click commands in COMMANDS.
    import importlib
    import pkgutil

    import lambdaserve.cli as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.endswith("_cmd"):
            module = importlib.import_module(f"lambdaserve.cli.{info.name}")
            for command in module.COMMANDS:
                cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="lambdaserve")


if __name__ == "__main__":
    main()
