"""The last steps of `deploy --target local`: the emulator runs what was deployed to moto.

The code comes back out of the local cloud (the stack's artifact parameters, then S3) and the
environment from the deployed function's configuration, so what runs is what was deployed.
moto's API Gateway runs no function, so the smoke test (GET /health, then the golden
requests, over HTTP) goes to the emulator serving that code behind the local API Gateway;
then, with --serve, the emulator serves it until Ctrl-C.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lambdaserve.cli import serve_cmd, wiring
from lambdaserve.cli.cloud_session import CloudSession
from lambdaserve.cloud.stack import SmokeResult, smoke_failure, smoke_test
from lambdaserve.cloud.store import PARAM_BUCKET, PARAM_KEY
from lambdaserve.config import Config
from lambdaserve.emulator.execution import Function, FunctionSpec
from lambdaserve.emulator.fronts import ApiGateway, EmulatorServer, InvokeApi
from lambdaserve.errors import CloudError
from lambdaserve.package import cause_of
from lambdaserve.package.zip import prepare_artifact
from lambdaserve.runtime import settings
from lambdaserve.runtime.golden import GoldenSet


def _deployed_parameters(cloud: CloudSession, stack: str) -> dict[str, str]:
    found = cloud.clients.call("cloudformation", "describe_stacks", StackName=stack)["Stacks"][0]
    return {str(p["ParameterKey"]): str(p["ParameterValue"]) for p in found.get("Parameters", [])}


def deployed_spec(config: Config, cloud: CloudSession, outputs: dict[str, str]) -> tuple[FunctionSpec, str]:
    """The spec that runs the deployed zip with the deployed configuration, and what it is."""
    name = outputs.get("FunctionName")
    params = _deployed_parameters(cloud, config.stack_name)
    if not name or PARAM_BUCKET not in params:
        raise CloudError(f"the local stack {config.stack_name} has no zip function to serve",
                         hint="Deploy a zip package (function.package = 'zip').")
    deployed: dict[str, Any] = cloud.clients.call("lambda", "get_function_configuration", FunctionName=name)
    state = config.project_dir / ".lambdaserve"
    zip_path = state / "local" / "deployed.zip"
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    body = cloud.clients.call("s3", "get_object", Bucket=params[PARAM_BUCKET], Key=params[PARAM_KEY])["Body"]
    zip_path.write_bytes(body.read())
    run = prepare_artifact(zip_path, state / "local" / "task", cache_dir=state / "cache")
    environment = dict(deployed.get("Environment", {}).get("Variables", {}))
    environment[settings.ENV_MODEL_DIR] = str(run.model_dir)  # /var/task/model, here
    spec = wiring.function_spec(config, task_root=run.task_root, environment=environment,
                                python=run.python, extra_pythonpath=run.extra_pythonpath)
    return spec, f"the deployed {name} ({params[PARAM_KEY]})"


def smoke_deployed(config: Config, cloud: CloudSession, outputs: dict[str, str], golden: GoldenSet | None,
                   *, log: Callable[[str], None]) -> SmokeResult:
    """The deploy's smoke test against the deployed code in the emulator; CloudError on a failure,
    with the cause from the function's log."""
    spec, what = deployed_spec(config, cloud, outputs)
    log(f"smoke test: {what} in the local Lambda behind the local API Gateway")
    lines: list[str] = []
    function = Function(spec, log_sink=lines.append)
    api = serve_cmd.api_settings(config, None, spec)
    server = EmulatorServer(ApiGateway(function, api, log=lines.append),
                            InvokeApi({spec.name: function}, region=spec.region), port=0, log=lines.append)
    with function, server:
        server.start()
        staged = "" if api.stage == "$default" else f"/{api.stage}"
        result = smoke_test(f"{server.url}{staged}", golden=golden, auth=config.api.auth, attempts=1)
    if not result.ok:
        cause, hint = cause_of("\n".join(lines), last_line=False)  # a wrong answer logs no error
        raise smoke_failure(result, f"{cause}\n{hint}".strip())
    return result


def serve_deployed(config: Config, cloud: CloudSession, outputs: dict[str, str], *, port: int,
                   log: Callable[[str], None], host: str = "127.0.0.1") -> None:
    """Fetch the deployed zip and configuration from the local cloud and serve them until Ctrl-C."""
    spec, what = deployed_spec(config, cloud, outputs)
    log(f"serving {what} from the local cloud")
    serve_cmd.run(config, spec, host=host, port=port, api=None)
