"""`lambdaserve rollback`: the live alias back to the previous published version, at once.

No build and no stack update: one UpdateAlias call, read back before it is reported. Every front
invokes the alias, so the API, the Function URL and the keep-warm rule all follow it.
"""

from __future__ import annotations

from pathlib import Path

import click

from lambdaserve.cli.cloud_session import TerminalUI, open_cloud
from lambdaserve.cli.deploy_cmd import cloud_options
from lambdaserve.cloud.cfn import ALIAS_NAME
from lambdaserve.cloud.stack import app_status, list_versions, roll_back
from lambdaserve.config import load_config
from lambdaserve.errors import CloudError


@click.command("rollback")
@cloud_options
@click.option("--to", "to", default=None, help="The version to serve (default: the one before the live one).")
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Do not ask for confirmation.")
def rollback_cmd(target: str, profile: str | None, region: str | None, endpoint_url: str | None,
                 config_path: Path, to: str | None, assume_yes: bool) -> None:
    """Serve the previous published version again, without a rebuild."""
    config = load_config(config_path)
    ui = TerminalUI(assume_yes)
    with open_cloud(config, ui, target=target, profile=profile, region=region,
                    endpoint_url=endpoint_url) as cloud:
        found = app_status(cloud.clients, config.stack_name, stage=config.api.stage)
        function = found.outputs.get("FunctionName")
        if not function:
            raise CloudError(f"{config.stack_name} is not deployed ({found.status or 'no stack'}): "
                             "nothing to roll back", hint="`lambdaserve status` shows the stack's state.")
        versions = list_versions(cloud.clients, function, ALIAS_NAME)
        if not ui.confirm(f"point {function}:{ALIAS_NAME} (version {versions.live}) at "
                          f"{'version ' + to if to else 'the previous version'}?"):
            raise click.exceptions.Exit(1)
        done = roll_back(cloud.clients, function, ALIAS_NAME, to)
    click.echo(f"{function}:{done.alias}: version {done.before} -> {done.after} (serving all traffic)")
    if done.cleared_weights:
        shares = ", ".join(f"version {v} {w:.0%}" for v, w in sorted(done.cleared_weights.items()))
        click.echo(f"  removed weighted routing: {shares}")
    click.echo("  the stack still names the newer version: the next `lambdaserve deploy` of a new build "
               "moves the alias forward")


COMMANDS = [rollback_cmd]
