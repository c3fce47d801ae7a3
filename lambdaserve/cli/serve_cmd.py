"""`lambdaserve serve`: the local Lambda behind API Gateway and the Invoke API, on one port.

stdout gets the URL and a curl line to try; stderr gets the log (START/END/REPORT, the
function's own lines and one access line per request). Ctrl-C stops the server and kills every
worker before the process exits.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import click

from lambdaserve.cli import serve_artifact, wiring
from lambdaserve.config import Config, load_config
from lambdaserve.emulator.apigw import ApiGateway, ApiSettings
from lambdaserve.emulator.function import Function, FunctionSpec
from lambdaserve.emulator.invoke_api import InvokeApi
from lambdaserve.emulator.server import EmulatorServer
from lambdaserve.runtime.formats import zero_inputs


def _stderr_log() -> Callable[[str], None]:
    lock = threading.Lock()

    def log(line: str) -> None:
        with lock:  # lines from request threads and workers never interleave mid-line
            click.echo(line.rstrip("\n"), err=True)

    return log


def api_settings(config: Config, api: str | None, spec: FunctionSpec) -> ApiSettings:
    return ApiSettings(kind=api or config.api.type, path=config.api.path, stage=config.api.stage,
                       cors_origins=config.api.cors_origins, function_timeout_s=spec.timeout_s)


def _try_lines(config: Config, base: str, url: str) -> list[str]:
    rows = zero_inputs(config.signature) if config.signature is not None else None
    lines = [f"  curl -s {base}/metadata     # the model's inputs and outputs"]
    if rows and len(rows) == 1:
        body = shlex.quote(json.dumps({"data": next(iter(rows.values()))}))
        lines.append(f"  curl -s -X POST {url} -H 'Content-Type: application/json' -d {body}")
    else:
        lines.append(f"  curl -s -X POST {url} -H 'Content-Type: application/json' "
                     "-d '{\"data\": [[...one row...]]}'")
    return lines


def run(config: Config, spec: FunctionSpec, *, host: str, port: int, api: str | None) -> None:
    """Serve until Ctrl-C (or SIGTERM); takes any spec, e.g. one for an extracted artifact."""
    log = _stderr_log()
    settings = api_settings(config, api, spec)
    function = Function(spec, log_sink=log)
    gateway = ApiGateway(function, settings, log=log)
    invoke_api = InvokeApi({spec.name: function}, region=spec.region, log=log)
    server = EmulatorServer(gateway, invoke_api, host=host, port=port)  # binds before any worker starts
    with function, server:
        staged = "" if settings.stage == "$default" else f"/{settings.stage}"
        url = f"{server.url}{staged}{settings.path}"
        kind = "REST API (payload 1.0)" if settings.rest else "HTTP API (payload 2.0)"
        click.echo(f"Serving {spec.name} as a {kind} at {url}")
        click.echo(f"  Invoke API: {server.url} (boto3/aws: --endpoint-url {server.url}, "
                   f"function {spec.name})")
        click.echo("Try:")
        for line in _try_lines(config, f"{server.url}{staged}", url):
            click.echo(line)
        click.echo("Ctrl-C stops.", err=True)
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.serve_forever()
        finally:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops as cleanly as Ctrl-C


def default_sandbox(artifact: Path | None) -> str:
    """A built zip runs in the namespace sandbox where it can (Linux, root): read-only, with the
    deployed variables byte for byte; everything else in the process sandbox."""
    if artifact is not None and sys.platform.startswith("linux") and os.geteuid() == 0:
        return "namespace"
    return "process"


def artifact_spec(config: Config, artifact: Path | None, sandbox: str | None,
                  concurrency: int) -> FunctionSpec:
    """The spec for ``serve``'s options: the project folder, a built zip, or an image."""
    if sandbox == "container" and artifact is not None and artifact.is_file():
        raise click.UsageError(f"{artifact} is a file; --sandbox container runs an image "
                               "(a build folder or OCI layout): serve a zip with --sandbox namespace")
    if sandbox == "container":
        return serve_artifact.container_spec(config, artifact, concurrency=concurrency, log=_stderr_log())
    if artifact is not None and artifact.is_dir():
        raise click.UsageError(f"{artifact} is a folder; only --sandbox container runs an image")
    kind = sandbox or default_sandbox(artifact)
    if artifact is None:
        return wiring.function_spec(config, concurrency=concurrency, sandbox=kind)
    return serve_artifact.zip_spec(config, artifact, sandbox=kind, concurrency=concurrency)


@click.command("serve")
@click.option("--port", default=3000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--api", type=click.Choice(["rest", "http"]), default=None,
              help="API Gateway flavour; default: api.type from lambdaserve.toml.")
@click.option("--concurrency", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Execution environments; beyond them requests are throttled, as on Lambda.")
@click.option("--sandbox", default=None, type=click.Choice(["process", "namespace", "container"]),
              help="namespace (Linux, root): read-only filesystem except /tmp, no /dev/shm; "
                   "container: the built image's own filesystem and command. Default: process, "
                   "or namespace for --artifact ZIP where possible.")
@click.option("--artifact", type=click.Path(path_type=Path, exists=False), default=None,
              help="Run what was built: a zip (.lambdaserve/build/NAME.zip), or with --sandbox "
                   "container an image build folder or OCI layout DIR[:TAG] "
                   "(default .lambdaserve/build/image).")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="The project folder or its lambdaserve.toml.")
def serve(port: int, host: str, api: str | None, concurrency: int, sandbox: str | None,
          artifact: Path | None, config_path: Path) -> None:
    """Serve the model locally as API Gateway + Lambda would, with the Invoke API on the same port."""
    config = load_config(config_path)
    spec = artifact_spec(config, artifact, sandbox, concurrency)
    if artifact is not None or spec.sandbox == "container":
        click.echo(f"Running the built {'image' if spec.container else 'zip'} from {spec.task_root} "
                   f"in the {spec.sandbox} sandbox", err=True)
    cores = os.cpu_count() or 1
    if concurrency > 2 * cores:  # Lambda gives each environment its own CPU; this machine cannot
        click.echo(f"Note: {concurrency} environments on {cores} CPU cores: at most {cores} initialise "
                   "at once (the others wait their turn), and busy ones share the cores, so latency "
                   "under load measures this machine, not Lambda.", err=True)
    run(config, spec, host=host, port=port, api=api)


COMMANDS = [serve]
