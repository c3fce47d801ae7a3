"""`lambdaserve` entry point: the group, error rendering and exit codes.

One rule decides every command's exit code (``exit_code``); the table is in EXIT_CODES_HELP,
which `lambdaserve --help` and the README show.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import click

from lambdaserve import __version__
from lambdaserve.errors import ConfigError, LambdaServeError, RequestRefusedError, UsageError

EXIT_OK = 0
EXIT_ERROR = 1  # any other lambdaserve error (build, cloud, model, emulator), or a cancelled deploy
EXIT_USAGE = 2  # a bad option or argument: click's own errors and UsageError
EXIT_CONFIG = 3  # lambdaserve.toml is wrong
EXIT_REFUSED = 4  # an invoke the function refused: it answered a 4xx (a function error or 5xx is 1)
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT (128 + 2)

EXIT_CODES_HELP = """\b
Exit codes:
  0    success
  1    an error (build, cloud, model, emulator), or a cancelled deploy
  2    usage: a bad option or argument
  3    lambdaserve.toml is wrong
  4    invoke: the function refused the request (a 4xx answer)
  130  interrupted (Ctrl-C)"""

if TYPE_CHECKING:
    from rich.console import Console


@cache
def err_console() -> Console:
    """Where errors go; rich is imported only when there is one to show (start-up stays lean)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _interrupted(exc: BaseException) -> bool:
    # click.confirm turns Ctrl-C into Abort (raised "from None", so the interrupt is the context)
    return isinstance(exc, KeyboardInterrupt) or (
        isinstance(exc, click.Abort) and isinstance(exc.__context__, KeyboardInterrupt))


def exit_code(exc: BaseException) -> int:
    """The exit code for an exception that ends a command."""
    if _interrupted(exc):
        return EXIT_INTERRUPTED
    if isinstance(exc, UsageError | click.UsageError):
        return EXIT_USAGE
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG
    if isinstance(exc, RequestRefusedError):
        return EXIT_REFUSED
    return EXIT_ERROR


class LambdaServeGroup(click.Group):
    """Renders LambdaServeError as message + hint, never as a traceback, and exits by ``exit_code``."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LambdaServeError as exc:
            from rich.markup import escape  # messages quote TOML ([function]) and lists: never markup

            err_console().print(f"[bold red]error:[/] {escape(exc.message)}", markup=True, soft_wrap=True)
            if exc.hint:
                err_console().print(f"[bold]hint:[/] {escape(exc.hint)}", markup=True, soft_wrap=True)
            ctx.exit(exit_code(exc))
        except (KeyboardInterrupt, click.Abort) as exc:
            if _interrupted(exc):
                err_console().print("interrupted")
            else:  # a question met the end of standard input
                err_console().print("[bold red]error:[/] no answer: standard input is closed", markup=True)
                err_console().print("[bold]hint:[/] Pass --yes to answer yes without asking.", markup=True)
            ctx.exit(exit_code(exc))


# Each command's "module:attribute" under lambdaserve/cli/: a command's module (and what it
# imports: boto3, the emulator, the builders) loads only when that command runs or help lists it.
# tests/cli/test_lazy_commands.py checks this table against every *_cmd module's COMMANDS.
COMMANDS: dict[str, str] = {
    "build": "build_cmd:build", "convert": "convert_cmd:convert", "deploy": "deploy_cmd:deploy",
    "destroy": "deploy_cmd:destroy", "doctor": "doctor_cmd:doctor", "export": "export_cmd:export",
    "generate-event": "generate_event_cmd:generate_event", "init": "init_cmd:init",
    "invoke": "invoke_cmd:invoke", "lock": "lock_cmd:lock", "logs": "deploy_cmd:logs",
    "policy": "policy_cmd:policy_cmd",
    "rollback": "rollback_cmd:rollback_cmd",
    "serve": "serve_cmd:serve", "status": "deploy_cmd:status", "template": "template_cmd:template_cmd",
    "tune": "tune_cmd:tune",
}


class LazyGroup(LambdaServeGroup):
    """The top-level group: commands are imported by name, on first use (click's lazy-group recipe)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        import importlib

        module, attribute = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(f"lambdaserve.cli.{module}"), attribute)
        if not isinstance(command, click.Command) or command.name != cmd_name:
            raise RuntimeError(f"lambdaserve.cli.{COMMANDS[cmd_name]} is not the {cmd_name!r} command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="lambdaserve")
def cli() -> None:
    """Turn a trained model into an HTTPS inference API on AWS Lambda."""


def main() -> None:
    cli(prog_name="lambdaserve")


if __name__ == "__main__":
    main()
