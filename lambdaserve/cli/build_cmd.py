"""`lambdaserve build`: make the deployable package in .lambdaserve/build/ and say what it holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import click

from lambdaserve.config import Config, load_config
from lambdaserve.config.model import PackageKind
from lambdaserve.errors import UsageError
from lambdaserve.package.needs import check_model_needs
from lambdaserve.package.zip import human

if TYPE_CHECKING:  # the proof loads the emulator: not for `build --help`
    from lambdaserve.cli.build_package import Say


def _say(timings: bool = False) -> Say:
    from lambdaserve.cli.build_package import Say
    from lambdaserve.cli.step_clock import StepClock

    def progress(msg: str) -> None:
        click.echo(msg, err=True)

    return Say(summary=click.echo, warn=lambda msg: click.echo(f"warning: {msg}", err=True),
               progress=StepClock(progress) if timings else progress)


def build_zip_package(config: Config, data: str | None, push: str | None, timings: bool = False) -> None:
    from lambdaserve.cli.build_package import zip_built_and_proved

    say = _say(timings)
    zip_built_and_proved(config, say, data=data)
    if timings:
        say.progress("done")


def build_image_package(config: Config, data: str | None, push: str | None, timings: bool = False) -> None:
    from lambdaserve.cli.build_package import image_built_and_proved
    from lambdaserve.cli.progress import layer_progress
    from lambdaserve.package.registry import push_image

    say = _say(timings)
    built, _proof = image_built_and_proved(config, say, data=data)
    if timings:
        say.progress("done")
    if push:
        with layer_progress() as progress:
            pushed = push_image(built, push, progress=progress)
        for warning in pushed.warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(f"Pushed {pushed.image_uri} ({human(pushed.bytes_uploaded)} uploaded)")


def build_with_tool(config: Config, push: str | None) -> None:
    """--builder docker: the exported Dockerfile, built by docker/podman/buildah into their store."""
    from lambdaserve.package.image import build_from_dockerfile, push_with_tool
    from lambdaserve.package.registry import parse_ref

    for note in check_model_needs(config):
        click.echo(f"warning: {note}", err=True)
    built_tool = build_from_dockerfile(config)
    click.echo(f"Built {built_tool.tag} with {built_tool.tool.name} from {built_tool.export.dockerfile}")
    click.echo(f"  proved    nothing: the image is in {built_tool.tool.name}'s store, which lambdaserve does "
               "not run; build with the default --builder daemonless to prove the image", err=True)
    if push:
        digest = push_with_tool(built_tool.tool, built_tool.tag, parse_ref(push), None)
        click.echo(f"Pushed {push} ({digest})")


# One builder per package type; each takes the loaded config, --data, --push and --timings, and prints
# its summary.
BUILDERS: dict[PackageKind, Callable[[Config, str | None, str | None, bool], None]] = {
    "zip": build_zip_package, "image": build_image_package}


@click.command("build")
@click.option("--package", type=click.Choice(get_args(PackageKind)), default=None,
              help="What to build; default: function.package from lambdaserve.toml.")
@click.option("--builder", type=click.Choice(["daemonless", "docker"]), default="daemonless",
              show_default=True,
              help="Images: our own daemonless builder, or docker/podman/buildah on the exported Dockerfile.")
@click.option("--push", default=None, metavar="REGISTRY/REPO:TAG",
              help="Images: push to this registry after building (no docker login needed).")
@click.option("--data", default=None, metavar="JSON",
              help="Rows (or a request body) for the golden request the built package must answer; "
                   "default: golden.json in the project, else a zero row from the signature.")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="The project folder or its lambdaserve.toml.")
@click.option("--timings", is_flag=True,
              help="Prefix each step's line with the seconds (wall and CPU, this process and the programs "
                   "it ran) since the build started, and say how long the step before it took.")
def build(package: PackageKind | None, builder: str, push: str | None, data: str | None,
          config_path: Path, timings: bool) -> None:
    """Build the package to deploy into .lambdaserve/build/, then prove it: the zip or image, run as
    Lambda would, must load the model and answer the golden requests (recorded in build.json for deploy)."""
    config = load_config(config_path)
    kind = package or config.function.package
    if kind != "image" and (push or builder != "daemonless"):  # a usage mistake: said before any work
        raise UsageError("--push and --builder apply to images only",
                         hint="Pass --package image, or drop those options for a zip.")
    if builder == "docker":
        if data is not None:
            raise UsageError("--data gives the golden requests the package is proved with; an image "
                             "built by docker is not proved", hint="Drop --data, or drop --builder docker.")
        build_with_tool(config, push)
        return
    # Both refuse a model need missing from requirements before anything installs: a package
    # without it would build, deploy and then fail every cold start.
    BUILDERS[kind](config, data, push, timings)


COMMANDS = [build]
