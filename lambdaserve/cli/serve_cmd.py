"""`lambdaserve serve`: the local Lambda behind API Gateway and the Invoke API, on one port.

``--front url`` or ``--front alb`` puts a Function URL or an ALB target group in front instead,
so the function gets those services' events and its answers are read by their rules. With
``api.auth = api_key`` the REST front wants ``x-api-key`` (from --api-key, LAMBDASERVE_API_KEYS,
or a fresh key printed at start), as the deployed usage plan does.

stdout gets the URL and a curl line to try; stderr gets the log (START/END/REPORT, the
function's own lines and one access line per request). Ctrl-C stops the server and kills every
worker before the process exits.
"""

from __future__ import annotations

import gc
import json
import os
import shlex
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from lambdaserve.cli import serve_artifact, wiring, worker_python
from lambdaserve.cloud.cfn import DOCS_GET_PATHS, public_paths
from lambdaserve.config import Config, load_config
from lambdaserve.emulator.execution import Function, FunctionSpec
from lambdaserve.emulator.fronts import (
    READ_TIMEOUT_S,
    ApiGateway,
    ApiSettings,
    EmulatorServer,
    Front,
    FunctionUrl,
    InvokeApi,
    LoadBalancer,
    local_api_keys,
)
from lambdaserve.errors import ModelLoadError, UsageError
from lambdaserve.runtime import docs
from lambdaserve.runtime.formats import zero_inputs

if TYPE_CHECKING:
    from lambdaserve.emulator import Sandbox
    from lambdaserve.emulator.fronts import ApiKind

FRONTS = ("api", "url", "alb")


def _stderr_log() -> Callable[[str], None]:
    lock = threading.Lock()

    def log(line: str) -> None:
        with lock:  # lines from request threads and workers never interleave mid-line
            click.echo(line.rstrip("\n"), err=True)

    return log


def api_settings(config: Config, api: ApiKind | None, spec: FunctionSpec,
                 api_keys: tuple[str, ...] = ()) -> ApiSettings:
    kind: ApiKind = api or ("http" if config.api.type == "http" else "rest")  # config allows no other
    return ApiSettings(kind=kind, path=config.api.path, stage=config.api.stage,
                       cors_origins=config.api.cors_origins, function_timeout_s=spec.timeout_s,
                       extra_get_paths=DOCS_GET_PATHS if config.api.docs else (),
                       # as the template sets them: REST decodes the page's gzip assets
                       binary_media_types=docs.BINARY_MEDIA_TYPES if config.api.docs else (),
                       api_keys=api_keys, open_paths=public_paths(config), region=spec.region)


def _try_lines(config: Config, base: str, url: str, key: str = "") -> list[str]:
    rows = zero_inputs(config.signature) if config.signature is not None else None
    auth = f" -H {shlex.quote('x-api-key: ' + key)}" if key else ""
    lines = [f"  curl -s{auth} {base}/metadata     # the model's inputs and outputs"]
    if rows:  # one input: its rows; several (a table's columns): one record naming them
        data = next(iter(rows.values())) if len(rows) == 1 else [{n: r[0] for n, r in rows.items()}]
        body = shlex.quote(json.dumps({"data": data}))
        lines.append(f"  curl -s -X POST {url}{auth} -H 'Content-Type: application/json' -d {body}")
    else:
        lines.append(f"  curl -s -X POST {url}{auth} -H 'Content-Type: application/json' "
                     "-d '{\"data\": [[...one row...]]}'")
    return lines


def _checks_keys(config: Config, api: str | None) -> bool:
    """Whether the local API checks x-api-key: api.auth = "api_key" on a REST API."""
    return config.api.auth == "api_key" and (api or config.api.type) == "rest"


def refuse_unchecked_keys(config: Config, api: str | None, front: str, given: tuple[str, ...]) -> None:
    """--api-key where nothing checks keys is a usage mistake: the API would look protected."""
    if not given or (_checks_keys(config, api) and front == "api"):
        return
    kind = api or config.api.type
    other = "an HTTP API" if kind == "http" else f"--front {front}"
    why = (f"api.auth is {config.api.auth!r}" if config.api.auth != "api_key"
           else f"API keys belong to REST APIs, not {other}")
    raise UsageError(f"--api-key: nothing would check it ({why}), so every request would be served",
                     hint='Set api.auth = "api_key" (and api.type = "rest") in lambdaserve.toml to serve '
                          "the API with keys, or drop --api-key.")


def _keys(config: Config, api: str | None, given: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """The API keys the local REST API wants (none unless api.auth = api_key), and whether new."""
    if not _checks_keys(config, api):
        return (), False
    return local_api_keys(given)


# GET /health as an HTTP API sends it: the runtime answers it without touching the model's inputs.
_HEALTH_EVENT = {"version": "2.0", "routeKey": "$default", "rawPath": "/health", "rawQueryString": "",
                 "headers": {}, "isBase64Encoded": False,
                 "requestContext": {"http": {"method": "GET", "path": "/health"}, "requestId": "start-check"}}


def check_init(spec: FunctionSpec) -> None:
    """Initialise the function once in a throwaway environment, so a model that cannot load stops
    `serve` at start with its error instead of a banner and a 502 for every request. Its own
    environment is discarded: the first request still meets a cold start, as after a deploy."""
    lines: list[str] = []
    with Function(replace(spec, concurrency=1), log_sink=lines.append) as function:
        result = function.invoke(json.dumps(_HEALTH_EVENT).encode())
    if result.function_error is None:
        return
    for line in lines:
        click.echo(line.rstrip("\n"), err=True)
    try:
        error = json.loads(result.payload)
        why = f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
    except (ValueError, AttributeError):
        why = result.payload.decode("utf-8", "replace")[:500]
    raise ModelLoadError(f"the function fails to initialise, so serve stops: {why}",
                         hint="The log above has its traceback; fix the model or the predictor's load(), "
                              "then serve again.")


def run(config: Config, spec: FunctionSpec, *, host: str, port: int, api: ApiKind | None,
        front: str = "api", alb_multi_value: bool = False, api_keys: tuple[str, ...] = (),
        read_timeout_s: float | None = READ_TIMEOUT_S,
        worker: worker_python.WorkerPython | None = None) -> None:
    """Serve until Ctrl-C (or SIGTERM); takes any spec, e.g. one for an extracted artifact."""
    log = _stderr_log()
    if worker is None and spec.container is None:
        worker = worker_python.for_interpreter(spec.python, config.function.python)
    function = Function(spec, log_sink=log)
    keys, fresh = _keys(config, api, api_keys) if front == "api" else ((), False)
    settings = api_settings(config, api, spec, keys)
    gateway: Front
    if front == "url":
        gateway = FunctionUrl(function, region=spec.region, log=log)
    elif front == "alb":
        gateway = LoadBalancer(function, multi_value=alb_multi_value, region=spec.region, log=log)
    else:
        gateway = ApiGateway(function, settings, log=log)
    invoke_api = InvokeApi({spec.name: function}, region=spec.region, log=log)
    server = EmulatorServer(gateway, invoke_api, host=host, port=port,  # binds before any worker starts
                            read_timeout_s=read_timeout_s, log=log)
    with function, server:
        staged = "" if settings.stage == "$default" or front != "api" else f"/{settings.stage}"
        url = f"{server.url}{staged}{settings.path}"
        if front == "url":
            kind = "Lambda Function URL (payload 2.0)"
        elif front == "alb":
            kind = f"ALB target group (multi-value headers {'on' if alb_multi_value else 'off'})"
        else:
            kind = "REST API (payload 1.0)" if settings.rest else "HTTP API (payload 2.0)"
        click.echo(f"Serving {spec.name} as a {kind} at {url}")
        if config.api.docs:
            click.echo(f"  Try-it page: {server.url}{staged}/docs")
        click.echo(f"  Invoke API: {server.url} (boto3/aws: --endpoint-url {server.url}, "
                   f"function {spec.name})")
        for note in (sandbox_note(spec.sandbox), wiring.snapstart_note(config, spec)):
            if note is not None:
                click.echo(f"  {note}")
        if worker is not None:
            click.echo(f"  {worker.banner()}")
            if worker.note:
                click.echo(f"warning: {worker.note}", err=True)
        if fresh:
            click.echo(f"  API key (x-api-key; set LAMBDASERVE_API_KEYS to choose it): {keys[0]}")
        click.echo("Try:")
        for line in _try_lines(config, f"{server.url}{staged}", url, keys[0] if keys else ""):
            click.echo(line)
        click.echo("Ctrl-C stops.", err=True)
        previous = signal.signal(signal.SIGTERM, _interrupt)
        # What start-up made (imports, the function, the fronts: ~26,000 objects, a full
        # collection of 50 ms on a slow core) leaves the collector's generations: a full
        # collection during a request then walks only what requests made.
        gc.collect()  # start-up's own garbage goes first, or freezing keeps it for good
        gc.freeze()
        try:
            server.serve_forever()
        finally:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops as cleanly as Ctrl-C


def sandbox_note(sandbox: Sandbox) -> str | None:
    """What the banner says about a sandbox that is looser than Lambda's filesystem."""
    if sandbox != "process":
        return None
    return ("Sandbox: process. Unlike on Lambda, the function can write the project folder, /opt and "
            "the rest of the disk (Lambda allows only /tmp); --sandbox namespace (Linux, as root) "
            "makes them read-only.")


def default_sandbox(artifact: Path | None) -> Sandbox:
    """A built zip runs in the namespace sandbox where it can (Linux, root): read-only, with the
    deployed variables byte for byte; everything else in the process sandbox."""
    if artifact is not None and sys.platform.startswith("linux") and os.geteuid() == 0:
        return "namespace"
    return "process"


def artifact_spec(config: Config, artifact: Path | None, sandbox: Sandbox | None,
                  concurrency: int, worker: worker_python.WorkerPython | None = None) -> FunctionSpec:
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
        worker = worker or worker_python.for_project(config)
        return wiring.function_spec(config, concurrency=concurrency, sandbox=kind, python=worker.path,
                                    extra_pythonpath=worker.extra_pythonpath)
    return serve_artifact.zip_spec(config, artifact, sandbox=kind, concurrency=concurrency)


def built_artifact(config: Config, artifact: Path | None, sandbox: Sandbox | None,
                   built: bool) -> tuple[Path | None, Sandbox | None]:
    """``--built`` as the (artifact, sandbox) it stands for."""
    if not built:
        return artifact, sandbox
    if artifact is not None:
        raise click.UsageError("--built runs the last build; --artifact names another: pass one of them")
    if config.function.package == "image":
        return None, "container"
    return serve_artifact.built_zip(config), sandbox


@click.command("serve")
@click.option("--port", default=3000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--api", type=click.Choice(["rest", "http"]), default=None,
              help="API Gateway flavour; default: api.type from lambdaserve.toml.")
@click.option("--front", type=click.Choice(FRONTS), default="api", show_default=True,
              help="What calls the function: API Gateway (api.type), a Lambda Function URL, or an ALB.")
@click.option("--alb-multi-value", is_flag=True,
              help="With --front alb: the target group's multi-value headers setting is on.")
@click.option("--api-key", "api_keys", multiple=True,
              help="With api.auth = api_key: a key the local REST API accepts (repeatable); "
                   "default: LAMBDASERVE_API_KEYS, else a new key printed at start.")
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
@click.option("--built", is_flag=True,
              help="Run what `lambdaserve build` made (.lambdaserve/build/NAME.zip, or the image with "
                   "function.package = image), not the project folder: what ships.")
@click.option("--read-timeout", default=READ_TIMEOUT_S, show_default=True, type=click.FloatRange(0),
              help="Seconds a client may send nothing: a stalled request gets 408, an idle "
                   "connection is closed. 0: wait forever.")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="The project folder or its lambdaserve.toml.")
def serve(port: int, host: str, api: ApiKind | None, front: str, alb_multi_value: bool,
          api_keys: tuple[str, ...], concurrency: int, sandbox: Sandbox | None, artifact: Path | None,
          built: bool, read_timeout: float, config_path: Path) -> None:
    """Serve the model locally as API Gateway + Lambda would, with the Invoke API on the same port."""
    config = load_config(config_path)
    refuse_unchecked_keys(config, api, front, api_keys)
    artifact, sandbox = built_artifact(config, artifact, sandbox, built)
    if artifact is not None and artifact.is_file() and (stale := serve_artifact.stale_warning(
            config, artifact)) is not None:
        click.echo(stale, err=True)
    worker = worker_python.for_project(config) if artifact is None and sandbox != "container" else None
    spec = artifact_spec(config, artifact, sandbox, concurrency, worker)
    zip_path = artifact if artifact is not None and artifact.is_file() else None
    click.echo(serve_artifact.describe(spec, zip_path), err=True)
    cores = os.cpu_count() or 1
    if concurrency > 2 * cores:  # Lambda gives each environment its own CPU; this machine cannot
        click.echo(f"Note: {concurrency} environments on {cores} CPU cores: at most {cores} initialise "
                   "at once (the others wait their turn), and busy ones share the cores, so latency "
                   "under load measures this machine, not Lambda.", err=True)
    if alb_multi_value and front != "alb":
        raise click.UsageError("--alb-multi-value needs --front alb")
    if front != "api" and api is not None:
        raise click.UsageError("--api chooses the API Gateway flavour; it needs --front api")
    check_init(spec)
    run(config, spec, host=host, port=port, api=api, front=front, alb_multi_value=alb_multi_value,
        api_keys=api_keys, read_timeout_s=read_timeout or None, worker=worker)


COMMANDS = [serve]
