"""`lambdaserve build`: make the deployable package in .lambdaserve/build/ and say what it holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from lambdaserve.config import Config, load_config
from lambdaserve.errors import UsageError
from lambdaserve.package.needs import check_model_needs
from lambdaserve.package.zip import build_zip, human


def build_zip_package(config: Config, data: str | None = None) -> None:
    from lambdaserve.cli.build_proof import prove_and_record

    log = lambda msg: click.echo(msg, err=True)  # noqa: E731
    result = build_zip(config, log=log, record=False)  # build.json only once the package proved it serves
    proof = prove_and_record(config, result, data=data, log=log)
    click.echo(f"Built {result.path} for python{result.python} {result.architecture} "
               f"in {result.seconds:.1f} s")
    click.echo(f"  sha256    {result.sha256}")
    click.echo(f"  zipped    {human(result.zipped_bytes)}"
               + ("  (over 50 MB: deployed through S3)" if result.needs_s3 else ""))
    click.echo(f"  unzipped  {human(result.unzipped_bytes)} of 250 MB, {result.entries} files")
    layer = "reused" if result.dependencies_cached else "built"
    click.echo(f"  dependencies {layer} ({len(result.packages)} packages; compiled by {result.interpreter})")
    if result.trimmed.total:
        parts = ", ".join(f"{name} {human(size)}" for name, size in sorted(
            result.trimmed.removed.items(), key=lambda kv: -kv[1]) if size)
        click.echo(f"  trimmed   {human(result.trimmed.total)}: {parts}")
    click.echo("  largest   " + ", ".join(f"{name} {human(size)}" for name, size in result.largest[:5]))
    for note in result.trimmed.notes + result.warnings:
        click.echo(f"warning: {note}", err=True)
    if proof.ran:
        golden = proof.golden.requests
        click.echo(f"  proved    the zip as /var/task ({proof.how}) loads the model and answered "
                   f"{len(golden)} golden request{'s' * (len(golden) != 1)}"
                   + (f" from {proof.source}" if golden else "") + "; recorded in build.json")
    else:
        click.echo("  proved    nothing: the package did not run here", err=True)
    for note in proof.notes:
        click.echo(f"warning: {note}", err=True)


def build_image_package(config: Config, builder: str, push: str | None) -> None:
    from lambdaserve.cli.progress import layer_progress
    from lambdaserve.package.image import build_from_dockerfile, build_image, push_with_tool
    from lambdaserve.package.registry import parse_ref, push_image

    log = lambda msg: click.echo(msg, err=True)  # noqa: E731
    if builder == "docker":
        built_tool = build_from_dockerfile(config)
        click.echo(f"Built {built_tool.tag} with {built_tool.tool.name} from {built_tool.export.dockerfile}")
        click.echo("  not proved: build does not run images", err=True)
        if push:
            digest = push_with_tool(built_tool.tool, built_tool.tag, parse_ref(push), None)
            click.echo(f"Pushed {push} ({digest})")
        return
    built = build_image(config, log=log)
    click.echo(f"Built image {built.manifest_digest} in {built.seconds:.1f} s ({built.out_dir})")
    click.echo("  not proved: build does not run images; `lambdaserve serve --sandbox container` runs this "
               "one, and deploy's smoke test checks /health only", err=True)
    click.echo(f"  base      {built.base_ref} ({len(built.base_layers)} layers, referenced, not downloaded)")
    for layer in built.layers:
        click.echo(f"  {layer.name:<13} {human(layer.size)}  {layer.digest}")
    click.echo(f"  total     {human(built.size)} of 10 GB")
    for warning in built.warnings:
        click.echo(f"warning: {warning}", err=True)
    if push:
        with layer_progress() as progress:
            pushed = push_image(built, push, progress=progress)
        for warning in pushed.warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(f"Pushed {pushed.image_uri} ({human(pushed.bytes_uploaded)} uploaded)")


# One builder per package type; each takes the loaded config and --data, and prints its own summary.
BUILDERS: dict[str, Callable[[Config, str | None], None]] = {"zip": build_zip_package}


@click.command("build")
@click.option("--package", type=click.Choice(["zip", "image"]), default=None,
              help="What to build; default: function.package from lambdaserve.toml.")
@click.option("--builder", type=click.Choice(["daemonless", "docker"]), default="daemonless",
              show_default=True,
              help="Images: our own daemonless builder, or docker/podman/buildah on the exported Dockerfile.")
@click.option("--push", default=None, metavar="REGISTRY/REPO:TAG",
              help="Images: push to this registry after building (no docker login needed).")
@click.option("--data", default=None, metavar="JSON",
              help="Zip: rows (or a request body) for the golden request the built package must answer; "
                   "default: golden.json in the project, else a zero row from the signature.")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="The project folder or its lambdaserve.toml.")
def build(package: str | None, builder: str, push: str | None, data: str | None, config_path: Path) -> None:
    """Build the package to deploy into .lambdaserve/build/, then prove it: the zip, run as Lambda
    would, must load the model and answer the golden requests (recorded in build.json for deploy)."""
    config = load_config(config_path)
    kind = package or config.function.package
    if kind != "image" and (push or builder != "daemonless"):  # a usage mistake: said before any work
        raise UsageError("--push and --builder apply to images only",
                         hint="Pass --package image, or drop those options for a zip.")
    # Before anything installs: a package without what the model needs would build, deploy and
    # then fail every cold start.
    for note in check_model_needs(config):
        click.echo(f"warning: {note}", err=True)
    if kind == "image":
        if data is not None:
            raise UsageError("--data gives the golden requests a zip is proved with; images are not proved",
                             hint="Drop --data, or build a zip (--package zip).")
        build_image_package(config, builder, push)
        return
    BUILDERS[kind](config, data)


COMMANDS = [build]
