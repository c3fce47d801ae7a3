"""`lambdaserve convert --to onnx`: the slim path, verified before anything is written."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from lambdaserve.cli.lock_cmd import lock_project
from lambdaserve.config import load_config, lock_path
from lambdaserve.convert import Tolerance, convert_project
from lambdaserve.errors import LambdaServeError


@click.command("convert")
@click.option("--to", "target", required=True, type=click.Choice(["onnx"]), help="The format to convert to.")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="The project folder or its lambdaserve.toml.")
@click.option("--data", default=None, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="JSON rows to verify on (default: seeded rows made from the signature); for a "
                   "sentence-transformers model, a JSON list of texts or a file of one text per line.")
@click.option("--atol", default=1e-5, show_default=True, type=click.FloatRange(0),
              help="Absolute tolerance for scores.")
@click.option("--rtol", default=1e-4, show_default=True, type=click.FloatRange(0),
              help="Relative tolerance for scores.")
@click.option("--output", default=None, type=click.Path(path_type=Path),
              help="Where to write the .onnx (default: next to the model; a sentence-transformers "
                   "folder goes to FOLDER-onnx/).")
@click.option("--float64", is_flag=True, help="scikit-learn: take float64 inputs instead of float32.")
def convert(target: str, config_path: Path, data: Path | None, atol: float, rtol: float, output: Path | None,
            float64: bool) -> None:
    """Convert the model to ONNX, check it answers like the original, write a config to build it."""
    config = load_config(config_path)
    out = Console(highlight=False)
    with Console(stderr=True).status(f"converting {config.model.path.name} to ONNX and verifying"):
        done = convert_project(config, data=data, tolerance=Tolerance(atol, rtol),
                               output=output.resolve() if output else None, float64=float64)
    out.print(f"converted {done.framework} {config.model.path.name} -> {done.onnx_path} "
              f"({done.onnx_bytes:,} bytes of ONNX)")
    out.print(f"verified on {done.rows} rows ({done.rows_from}): {', '.join(done.outputs)} match "
              f"({done.check})")
    if done.nulls:
        out.print(done.nulls, markup=False, soft_wrap=True)
    out.print(f"config: {done.config_path}")
    try:  # the sibling's own lock: onnxruntime's dependencies as installed here
        lock_project(load_config(done.config_path),
                     echo=lambda line: out.print(line, markup=False, soft_wrap=True))
    except LambdaServeError as exc:
        out.print(f"note: {lock_path(done.config_path).name} not written: {exc.message} ({exc.hint})",
                  markup=False, soft_wrap=True)
    out.print(f"next: lambdaserve build --config {done.config_path.name}")


COMMANDS = [convert]
