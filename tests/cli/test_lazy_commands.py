"""The CLI loads only the command it runs: start-up must not pay for boto3, the emulator or builders."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import click

import lambdaserve.cli as cli_package
from lambdaserve.cli.main import COMMANDS, cli

CLOUD = ("boto3", "botocore", "lambdaserve.cloud.stack", "lambdaserve.emulator")
HEAVY = (*CLOUD, "lambdaserve.package")


def _loaded_after(args: list[str]) -> list[str]:
    """Run the CLI in a fresh interpreter with ``args``; the modules it had imported by the end."""
    script = ("import sys, json\nfrom lambdaserve.cli.main import cli\n"
              "try:\n    cli(args=sys.argv[1:], prog_name='lambdaserve', standalone_mode=False)\n"
              "finally:\n    print(json.dumps(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_table_names_every_command_of_every_cmd_module_and_nothing_else():
    found = {}
    for info in pkgutil.iter_modules(cli_package.__path__):
        if info.name.endswith("_cmd"):
            module = importlib.import_module(f"lambdaserve.cli.{info.name}")
            for command in module.COMMANDS:
                attribute = next(k for k, v in vars(module).items() if v is command)
                found[command.name] = f"{info.name}:{attribute}"
    assert found == COMMANDS


def test_every_listed_command_resolves_to_itself():
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name
    assert cli.get_command(ctx, "no-such-command") is None


def test_version_loads_no_command_module():
    loaded = _loaded_after(["--version"])
    assert not [m for m in loaded if m.startswith("lambdaserve.cli.") and m.endswith("_cmd")]
    assert not [m for m in loaded if m.startswith(HEAVY)]


def test_build_help_loads_the_build_command_only():
    loaded = _loaded_after(["build", "--help"])
    assert "lambdaserve.cli.build_cmd" in loaded
    assert not [m for m in loaded if m.endswith("_cmd") and m != "lambdaserve.cli.build_cmd"]
    assert not [m for m in loaded if m.startswith(CLOUD)]  # a build never needs AWS
