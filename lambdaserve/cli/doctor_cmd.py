"""`lambdaserve doctor`: find every classic deploy failure before it happens (and explain errors).

    lambdaserve doctor                 all checks (AWS probes and a local smoke run included)
    lambdaserve doctor --offline       no AWS calls;  --no-smoke: no local invoke
    lambdaserve doctor --explain TEXT  a pasted error, or a log file, mapped to its cause and fix
    lambdaserve doctor --remote        the deployed function's recent logs, scanned the same way
Exit 1 while any finding is an error; warnings alone exit 0. `deploy` runs the local checks first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lambdaserve.cli.doctor_probes import (
    LazyAws,
    add_local_probes,
    aws_probes,
    read_input,
    required_actions,
    smoke_probe,
)
from lambdaserve.cli.params import ENDPOINT_URL
from lambdaserve.config import CONFIG_FILE, Config, find_config, load_config
from lambdaserve.doctor import (
    CHECKS,
    DoctorContext,
    Explanation,
    Finding,
    Probes,
    Report,
    Severity,
    explain,
    run_checks,
)
from lambdaserve.errors import ConfigError, LambdaServeError

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.OK: "green",
          Severity.SKIPPED: "dim"}


def _config_or_none(path: Path) -> Config | None:
    if not path.exists():  # a --config that names nothing is a mistake, not "no project here"
        return load_config(path)
    try:
        find_config(path.resolve())
    except ConfigError:
        if (path.resolve() / CONFIG_FILE).is_dir():
            raise  # a lambdaserve.toml that is a folder is a broken project, not none
        return None  # no project here: the environment checks still run
    return load_config(path)


def make_context(config: Config | None, project_dir: Path, probes: Probes, *,
                 last_build: bool = True) -> DoctorContext:
    from lambdaserve.cloud.cfn import access_log_format

    ctx = DoctorContext(project_dir=config.project_dir if config else project_dir, config=config,
                        probes=probes)
    if config is not None:
        if last_build:
            add_local_probes(probes, config)
        ctx.required_actions = required_actions(config)
        ctx.template_access_log = access_log_format(config.api.type)
    return ctx


def _located(finding: Finding, project: Path) -> str:
    """The message after the file (and line) it is about, as compilers and linters print them;
    a file in the project is named from the project folder."""
    if finding.file is None:
        return finding.message
    path = Path(finding.file)
    name = path.relative_to(project).as_posix() if path.is_relative_to(project) else finding.file
    return f"{name}{'' if finding.line is None else f':{finding.line}'}: {finding.message}"


def preflight(config: Config, warn: Callable[[str], None] | None = None, *,
              build_follows: bool = False) -> Report:
    """deploy's preflight: the local checks only; raises while any is an error. ``build_follows``:
    deploy builds next, and build's own warnings say what it would repeat (a missing lock)."""
    # Not the last build's records: deploy builds afresh, and build refuses what cannot fit.
    ctx = make_context(config, config.project_dir, Probes(), last_build=False)
    ctx.build_follows = build_follows
    report = run_checks(ctx, CHECKS, local_only=True)
    here = config.project_dir
    for finding in report.warnings:
        if warn is not None:
            warn(f"doctor: {_located(finding, here)}" + (f" ({finding.hint})" if finding.hint else ""))
    if report.errors:
        lines = "\n".join(f"  - {_located(f, here)}" + (f"\n    fix: {f.hint}" if f.hint else "")
                          for f in report.errors)
        raise LambdaServeError(f"doctor found {len(report.errors)} problem(s) that would fail this deploy:\n"
                               f"{lines}", hint="Fix them, or pass --skip-doctor to deploy anyway.")
    return report


def _table(report: Report, console: Console) -> None:
    table = Table(show_edge=False, title="lambdaserve doctor", title_justify="left")
    for column in ("", "check", "finding", "fix"):
        table.add_column(column, overflow="fold")
    for f in report.findings:
        where = f" [{f.where()}]" if f.file else ""
        # Text, not markup: messages hold paths and [signature]-like brackets
        table.add_row(Text(f.severity.value, style=_STYLE[f.severity]), Text(f.check),
                      Text(f.message + where), Text(f.hint))
    console.print(table)
    console.print(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)")


def _explanations(found: list[Explanation], as_json: bool, console: Console) -> None:
    if as_json:
        click.echo(json.dumps({"explanations": [e.to_dict() for e in found]}, indent=1))
        return
    if not found:
        console.print("no known error in that text", markup=False)
        return
    for e in found:
        console.print(f"[bold]{e.name}[/]: {e.matched}", soft_wrap=True, highlight=False)
        console.print(f"  cause: {e.cause}", markup=False, soft_wrap=True)
        console.print(f"  fix:   {e.fix}", markup=False, soft_wrap=True)


def _remote_text(config: Config, aws: LazyAws, since_s: float) -> str:
    from lambdaserve.cloud.cfn import api_log_group_name, function_log_group_name
    from lambdaserve.cloud.ops import recent_log_text
    from lambdaserve.cloud.stack import app_status

    clients = aws.clients()
    outputs = app_status(clients, config.stack_name, stage=config.api.stage).outputs
    groups = [outputs.get("LogGroupName") or function_log_group_name(config),
              outputs.get("ApiLogGroupName") or api_log_group_name(config)]
    return recent_log_text(clients, groups, since_ms=int((time.time() - since_s) * 1000))


@click.command("doctor")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="The project folder or its lambdaserve.toml.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--explain", "explain_text", default=None, metavar="TEXT|FILE",
              help="Explain a pasted error message or a log file.")
@click.option("--remote", is_flag=True, help="Scan the deployed function's recent CloudWatch logs.")
@click.option("--since", default="1h", show_default=True, help="With --remote: how far back (30m, 2h, 1d).")
@click.option("--offline", is_flag=True, help="Make no AWS calls.")
@click.option("--smoke/--no-smoke", default=True, show_default=True,
              help="Invoke the function once in the local Lambda (Errno 38, cold start).")
@click.option("--profile", default=None, help="AWS profile.")
@click.option("--region", default=None, help="AWS region (default: deploy.region, then AWS_REGION).")
@click.option("--endpoint-url", default=None, type=ENDPOINT_URL,
              help="Another AWS endpoint, e.g. a moto server.")
def doctor(config_path: Path, as_json: bool, explain_text: str | None, remote: bool, since: str,
           offline: bool, smoke: bool, profile: str | None, region: str | None,
           endpoint_url: str | None) -> None:
    """Check this machine, this project and its AWS account for every classic Lambda failure."""
    console = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False)
    if explain_text is not None:
        _explanations(explain(read_input(explain_text)), as_json, console)
        return
    config = _config_or_none(config_path)
    aws = LazyAws(config, profile=profile, region=region, endpoint_url=endpoint_url,
                  warn=lambda m: err.print(f"warning: {m}", markup=False))
    if remote:
        from lambdaserve.cloud.ops import parse_since

        if config is None:
            raise ConfigError("--remote needs the project's lambdaserve.toml", hint="Pass --config PATH.")
        found = explain(_remote_text(config, aws, parse_since(since)))
        _explanations(found, as_json, console)
        if found:
            raise click.exceptions.Exit(1)
        return
    probes = Probes() if offline else aws_probes(config, aws)
    if smoke and config is not None:
        probes.smoke = smoke_probe(config)
    report = run_checks(make_context(config, config_path, probes), CHECKS)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=1))
    else:
        _table(report, console)
    if report.errors:
        raise click.exceptions.Exit(1)


COMMANDS = [doctor]
