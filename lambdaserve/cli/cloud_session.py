"""Shared by the cloud verbs: the terminal UI for deploys, and opening AWS (or the local cloud)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import click
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from lambdaserve.cloud import (
    LOCAL_REGION,
    AwsClients,
    LocalCloud,
    explain,
    make_session,
    resolve_region,
    start_local_cloud,
)
from lambdaserve.cloud.iam import Identity, resolve_identity
from lambdaserve.cloud.stack import Change, StackEvent
from lambdaserve.config import Config

_COLOURS = {"Add": "green", "Modify": "yellow", "Remove": "red"}


class TerminalUI:
    """CloudUI for a terminal: progress and diffs on stderr, questions through click."""

    def __init__(self, assume_yes: bool = False, console: Console | None = None) -> None:
        self.assume_yes = assume_yes
        self.console = console or Console(stderr=True, highlight=False)
        self.total = 0  # resources the change set touches, for the [done/total] progress
        self.done: set[str] = set()

    def info(self, message: str) -> None:
        self.console.print(message, markup=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        from rich.markup import escape  # warnings quote paths, lists and TOML tables: never markup

        self.console.print(f"[bold yellow]warning:[/] {escape(message)}", soft_wrap=True)

    def changes(self, changes: Sequence[Change]) -> None:
        self.total, self.done = len(changes), set()
        table = Table(title="Changes", title_justify="left", show_edge=False)
        for column in ("action", "resource", "type", "replacement"):
            table.add_column(column)
        for change in changes:
            colour = _COLOURS.get(change.action, "white")
            replace = change.replacement if change.action == "Modify" else ""
            table.add_row(f"[{colour}]{change.action}[/]", change.logical_id, change.resource_type,
                          f"[bold red]{replace}[/]" if replace == "True" else replace)
        self.console.print(table)

    def event(self, event: StackEvent) -> None:
        when = event.timestamp.strftime("%H:%M:%S") if event.timestamp else "--:--:--"
        colour = "red" if event.failed else "green" if event.status.endswith("_COMPLETE") else "cyan"
        reason = f"  {event.reason}" if event.reason and event.failed else ""
        resource = event.resource_type != "AWS::CloudFormation::Stack"
        if resource and not event.status.endswith("_IN_PROGRESS"):
            self.done.add(event.logical_id)
        progress = f"[{len(self.done)}/{self.total}] " if self.total and resource else ""
        self.console.print(f"  {when} {progress}[{colour}]{event.status:<28}[/] {event.logical_id} "
                           f"({event.resource_type}){reason}", soft_wrap=True)

    def confirm(self, question: str) -> bool:
        if self.assume_yes:
            return True
        return click.confirm(question, default=False, err=True)


@dataclass
class CloudSession:
    clients: AwsClients
    identity: Identity
    local: LocalCloud | None  # set for --target local

    def close(self) -> None:
        if self.local is not None:
            self.local.stop()


@contextmanager
def open_cloud(config: Config, ui: TerminalUI, *, target: str, profile: str | None, region: str | None,
               endpoint_url: str | None, expect_state: bool = True) -> Iterator[CloudSession]:
    """Clients for AWS (or a moto local cloud) and the caller's identity; closed on exit.

    ``expect_state``: the command reads what an earlier command deployed (status, logs, destroy).
    """
    local = None
    if target == "local":
        local = start_local_cloud()
        ui.info(f"local cloud (moto) at {local.endpoint_url}"
                + ("" if local.started_here else " (reused)"))
        if local.started_here and expect_state:
            ui.warn("no local cloud was running, so this one starts empty: its state lives only as long as "
                    "the process that started it. For one that outlives commands, run `moto_server` "
                    "(port 5000) or set LAMBDASERVE_LOCAL_ENDPOINT.")
        session, chosen = local.session(), LOCAL_REGION
        endpoint: str | None = local.endpoint_url
    else:
        session = make_session(profile=profile, region=region or config.deploy.region or None,
                               environ=os.environ)
        chosen = resolve_region(region, config.deploy.region, session)
        endpoint = endpoint_url
    try:
        clients = AwsClients(session, chosen, endpoint)
        identity = resolve_identity(clients, profile=profile, warn=ui.warn)
        yield CloudSession(clients, identity, local)
    except (ClientError, BotoCoreError) as exc:  # anything the cloud package did not explain itself
        raise explain(exc) from exc
    finally:
        if local is not None:
            local.stop()
