"""`lambdaserve invoke`: run one event through the function and print its result as JSON.

stdout carries only the handler's result; logs, START/END/REPORT and cold-start notes go to stderr.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lambdaserve.cli import wiring, worker_python
from lambdaserve.cli.invoke_io import check_answer, read_event
from lambdaserve.cli.params import ENDPOINT_URL
from lambdaserve.config import load_config, runtime_env
from lambdaserve.errors import LambdaServeError, UsageError

if TYPE_CHECKING:
    from lambdaserve.emulator import Sandbox


class LocalContext:
    """The parts of Lambda's context object that handlers read, for in-process runs."""

    def __init__(self, function_name: str, memory_mb: int, timeout_s: int) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = str(memory_mb)
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _in_process(config_path: Path, payload: dict[str, Any]) -> Any:
    from lambdaserve.runtime.app import Runtime
    from lambdaserve.runtime.settings import RuntimeSettings

    config = load_config(config_path)
    env = runtime_env(config)
    # all of it: the runtime also sets the thread-pool variables (OMP_NUM_THREADS ...) it finds unset
    before = dict(os.environ)
    os.environ.update(env)  # the predictor's own code may read its variables
    try:
        runtime = Runtime.from_settings(RuntimeSettings.from_env(env))
        context = LocalContext(config.name, config.function.memory, config.function.timeout)
        return runtime.handle(payload, context)
    except Exception as exc:  # the runtime re-raises for direct invokes, as Lambda would report them
        raise LambdaServeError(f"the handler raised {type(exc).__name__}: {exc}",
                               hint="Its traceback is in the log above.") from exc
    finally:  # this process outlives the invoke (tests, library use): leave its variables as found
        for name in set(os.environ) - set(before):
            del os.environ[name]
        os.environ.update(before)


@click.command("invoke")
@click.option("--event", default=None, help="An event JSON file, or - for stdin.")
@click.option("--data", default=None, help="JSON rows, sent as a direct invoke {\"data\": ...}.")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="The project folder or its lambdaserve.toml.")
@click.option("--in-process", is_flag=True,
              help="Call the handler in this process instead of a local Lambda (no limits, no REPORT).")
@click.option("--sandbox", default=None, type=click.Choice(["process", "namespace"]),
              help="Isolation of the local Lambda; default: process, or namespace for a built zip "
                   "where possible (read-only, no /dev/shm).")
@click.option("--built", is_flag=True,
              help="Run the zip `lambdaserve build` made (.lambdaserve/build/NAME.zip), not the project "
                   "folder: what ships.")
@click.option("--artifact", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="Run this built zip, not the project folder.")
@click.option("--remote", is_flag=True, help="Invoke the deployed function instead of a local one.")
@click.option("--profile", default=None, help="With --remote: the AWS profile.")
@click.option("--region", default=None, help="With --remote: the AWS region.")
@click.option("--endpoint-url", default=None, type=ENDPOINT_URL,
              help="With --remote: another AWS endpoint (e.g. moto).")
def invoke(event: str | None, data: str | None, config_path: Path, in_process: bool, sandbox: Sandbox | None,
           built: bool, artifact: Path | None, remote: bool, profile: str | None, region: str | None,
           endpoint_url: str | None) -> None:
    """Run one event through the function and print its result as JSON on stdout.

    Exit code 0 for a successful answer, 1 when the function failed (a function error, or a 5xx
    answer) and 4 when it refused the request (a 4xx answer); the answer is printed either way.
    """
    payload = read_event(event, data)
    if (built or artifact is not None) and (in_process or remote):
        raise UsageError("--built and --artifact run a built zip in the local Lambda; "
                         "they do not go with --in-process or --remote")
    if remote:
        _remote(config_path, payload, profile=profile, region=region, endpoint_url=endpoint_url)
        return
    if in_process:
        click.echo("Running the project folder in this process (the dev venv), not the built package",
                   err=True)
        result = _in_process(config_path, payload)
        click.echo(json.dumps(result))
        check_answer(result, None)
        return
    config = load_config(config_path)
    log = lambda line: click.echo(line, err=True)  # noqa: E731
    if built or artifact is not None:
        from lambdaserve.cli import serve_artifact, serve_cmd

        if built and artifact is not None:
            raise UsageError("--built runs the last build; --artifact names another: pass one of them")
        zip_path = artifact or serve_artifact.built_zip(config)
        if (stale := serve_artifact.stale_warning(config, zip_path)) is not None:
            click.echo(stale, err=True)
        spec = serve_artifact.zip_spec(config, zip_path, concurrency=1,
                                       sandbox=sandbox or serve_cmd.default_sandbox(zip_path))
        click.echo(serve_artifact.describe(spec, zip_path), err=True)
        result_bytes, function_error = wiring.invoke_once(config, json.dumps(payload).encode(),
                                                          sandbox=spec.sandbox, log=log, spec=spec)
        click.echo(result_bytes.decode("utf-8", "replace"))
        check_answer(result_bytes, function_error)
        return
    worker = worker_python.for_project(config)
    click.echo(f"Running the project folder, not the built package (--built runs the zip): {worker.banner()}",
               err=True)
    if worker.note:
        click.echo(f"warning: {worker.note}", err=True)
    result_bytes, function_error = wiring.invoke_once(
        config, json.dumps(payload).encode(), sandbox=sandbox or "process", log=log,
        python=worker.path, extra_pythonpath=worker.extra_pythonpath)
    click.echo(result_bytes.decode("utf-8", "replace"))
    check_answer(result_bytes, function_error)


def _remote(config_path: Path, payload: dict[str, Any], *, profile: str | None, region: str | None,
            endpoint_url: str | None) -> None:
    from lambdaserve.cli.cloud_session import TerminalUI, open_cloud
    from lambdaserve.cloud.cfn import ALIAS_NAME
    from lambdaserve.cloud.ops import remote_invoke
    from lambdaserve.cloud.stack import stack_outputs

    config = load_config(config_path)
    with open_cloud(config, TerminalUI(), target="aws", profile=profile, region=region,
                    endpoint_url=endpoint_url) as cloud:
        name = stack_outputs(cloud.clients, config.stack_name, stage=config.api.stage).get("FunctionName")
        if not name:
            raise LambdaServeError(f"{config.stack_name} is not deployed",
                                   hint="Run `lambdaserve deploy` first, or check --region/--profile.")
        # the alias, as the API invokes it: after a rollback $LATEST is not what serves
        result = remote_invoke(cloud.clients, name, json.dumps(payload).encode(), qualifier=ALIAS_NAME)
    click.echo(result.log_tail.rstrip(), err=True)
    click.echo(result.payload.decode("utf-8", "replace"))
    check_answer(result.payload, result.function_error, where="the deployed function")


COMMANDS = [invoke]
