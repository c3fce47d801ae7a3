"""`lambdaserve export dockerfile`: the classic Dockerfile and context, equivalent to the built image."""

from __future__ import annotations

from pathlib import Path

import click

from lambdaserve.config import load_config
from lambdaserve.package.image import export_dockerfile


@click.group("export")
def export() -> None:
    """Write what lambdaserve builds in other tools' formats."""


@export.command("dockerfile")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Folder for the Dockerfile and its context; default .lambdaserve/export/docker.")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="The project folder or its lambdaserve.toml.")
def dockerfile(output: Path | None, config_path: Path) -> None:
    """A Dockerfile + context giving the same image as `lambdaserve build --package image`.

    Use it when you need system packages (add a RUN line) or your own docker pipeline.
    """
    config = load_config(config_path)
    out = output or config.state_dir / "export" / "docker"
    result = export_dockerfile(config, out)
    click.echo(f"Wrote {result.dockerfile} and its context (model/, code/) for {config.base_image}")
    if result.unresolved:
        click.echo(f"  {len(result.unresolved)} requirements as listed; pip resolves the rest in the build")
    else:
        click.echo(f"  {len(result.packages)} pinned packages, one `pip install` per line")
    for note in result.notes:
        click.echo(f"warning: {note}", err=True)
    if result.runs_ric:
        click.echo("  the base has no Lambda bootstrap: ENTRYPOINT runs awslambdaric")
    click.echo(f"Build it: docker build --platform linux/"
               f"{'amd64' if config.function.architecture == 'x86_64' else 'arm64'} -t {config.name} {out}")


COMMANDS = [export]
