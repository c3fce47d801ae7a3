"""`lambdaserve template`: print the CloudFormation template (or its SAM export) deploy uses.

The artifact's location is a set of template Parameters. Without --zip/--image the defaults
are clearly labelled placeholders; `lambdaserve deploy` passes the real values.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
from rich.console import Console

from lambdaserve.cloud.cfn import render_sam, render_template, to_json, to_yaml
from lambdaserve.cloud.store import Artifact, ImageArtifact, ZipArtifact, placeholder
from lambdaserve.config import Config, load_config
from lambdaserve.errors import UsageError

err = Console(stderr=True, highlight=False)


def _artifact(config: Config, zip_uri: str | None, sha256: str | None, image: str | None) -> Artifact:
    if zip_uri and image:
        raise UsageError("pass --zip or --image, not both",
                         hint="A function is either a zip in S3 or an image in ECR (function.package).")
    if image:
        repository, _, digest = image.partition("@")
        return ImageArtifact(repository_uri=repository, digest=digest)
    if zip_uri:
        match = re.match(r"^s3://([^/]+)/(.+)$", zip_uri)
        if not match or not sha256:
            raise UsageError(f"--zip {zip_uri!r} needs the form s3://bucket/key and --sha256",
                             hint="e.g. --zip s3://my-bucket/iris/<sha>.zip --sha256 <sha>.")
        return ZipArtifact(bucket=match.group(1), key=match.group(2), sha256=sha256)
    return placeholder(config.function.package)


@click.command("template")
@click.option("--format", "fmt", type=click.Choice(["cfn", "sam"]), default="cfn", show_default=True,
              help="cfn: plain CloudFormation (what deploy uses); sam: the same app in SAM syntax.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of YAML.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of stdout.")
@click.option("--zip", "zip_uri", metavar="S3_URI", help="Default artifact: s3://bucket/key of the zip.")
@click.option("--sha256", help="Hex SHA-256 of that zip.")
@click.option("--image", metavar="URI@DIGEST", help="Default artifact: an ECR image pinned by digest.")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="lambdaserve.toml or its folder.")
def template_cmd(fmt: str, as_json: bool, output: Path | None, zip_uri: str | None, sha256: str | None,
                 image: str | None, config_path: Path) -> None:
    """Print the CloudFormation template (or the SAM export) for this project."""
    config = load_config(config_path)
    artifact = _artifact(config, zip_uri, sha256, image)
    if isinstance(artifact, ImageArtifact) != (config.function.package == "image"):
        raise UsageError(f"function.package is {config.function.package!r} but the artifact is "
                         f"{'an image' if isinstance(artifact, ImageArtifact) else 'a zip'}",
                         hint="Pass --zip for zip packages and --image for image packages.")
    render = render_sam if fmt == "sam" else render_template
    template = render(config, artifact)
    text = to_json(template) if as_json else to_yaml(template)
    if zip_uri is None and image is None:
        err.print("note: the artifact Parameters hold placeholders; `lambdaserve deploy` passes the real "
                  "ones (or give --zip/--image).")
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")


COMMANDS = [template_cmd]
