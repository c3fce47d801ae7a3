"""The last steps of `deploy --target local`: the emulator runs what was deployed to moto.

The code comes back out of the local cloud (the stack's artifact parameters, then S3) and the
environment from the deployed function's configuration, so what runs is what was deployed.
moto's API Gateway runs no function, so the smoke test (GET /health, then the golden
requests, over HTTP) goes to the emulator serving that code behind the local API Gateway;
then, with --serve, the emulator serves it until Ctrl-C.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lambdaserve.cli import serve_cmd, wiring
from lambdaserve.cli.cloud_session import CloudSession
from lambdaserve.cloud import ENV_ENDPOINT
from lambdaserve.cloud.cfn import ALIAS_NAME
from lambdaserve.cloud.stack import SmokeResult, alias_version, restore_previous, smoke_failure, smoke_test
from lambdaserve.cloud.store import PARAM_BUCKET, PARAM_KEY, zip_key
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


_CODE = re.compile(r"\bcode ([0-9a-f]{64})\b")  # a version's description names its zip's sha256


def deployed_spec(config: Config, cloud: CloudSession, outputs: dict[str, str],
                  version: str = "") -> tuple[FunctionSpec, str]:
    """The spec that runs a deployed zip with the deployed configuration, and what it is.

    ``version``: that published version's zip (found by the code hash in its description) and
    configuration; "" means the one the ``live`` alias serves now, else the stack's own zip."""
    name = outputs.get("FunctionName")
    params = _deployed_parameters(cloud, config.stack_name)
    if not name or PARAM_BUCKET not in params:
        raise CloudError(f"the local stack {config.stack_name} has no zip function to serve",
                         hint="Deploy a zip package (function.package = 'zip').")
    version = version or alias_version(cloud.clients, name, ALIAS_NAME)
    key, what = params[PARAM_KEY], f"the deployed {name}"
    query: dict[str, str] = {"FunctionName": name}
    if version:
        query["Qualifier"] = version
    deployed: dict[str, Any] = cloud.clients.call("lambda", "get_function_configuration", **query)
    code = _CODE.search(str(deployed.get("Description", "")))
    if version and code:
        key, what = zip_key(config.name, code.group(1)), f"version {version} of {name}"
    state = config.state_dir
    folder = state / "local" / (f"v{version}" if version else "latest")
    folder.mkdir(parents=True, exist_ok=True)
    zip_path = folder / "deployed.zip"
    body = cloud.clients.call("s3", "get_object", Bucket=params[PARAM_BUCKET], Key=key)["Body"]
    zip_path.write_bytes(body.read())
    run = prepare_artifact(zip_path, folder / "task", cache_dir=state / "cache")
    environment = dict(deployed.get("Environment", {}).get("Variables", {}))
    environment[settings.ENV_MODEL_DIR] = str(run.model_dir)  # /var/task/model, here
    if environment.get(settings.ENV_MODEL_S3_URI) and cloud.local is not None:
        environment.update(cloud.local.function_environment())  # fetched from the local cloud's S3
    spec = wiring.function_spec(config, task_root=run.task_root, environment=environment,
                                python=run.python, extra_pythonpath=run.extra_pythonpath)
    return spec, f"{what} ({key})"


def smoke_deployed(config: Config, cloud: CloudSession, outputs: dict[str, str], golden: GoldenSet | None,
                   *, log: Callable[[str], None], previous: str = "") -> SmokeResult:
    """The deploy's smoke test against the deployed code in the emulator. On a failure the alias goes
    back to ``previous`` (what it served before this deploy), then CloudError says why, with the cause
    from the function's log and which version now serves."""
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
        restored = restore_previous(cloud.clients, outputs["FunctionName"], ALIAS_NAME, previous)
        raise smoke_failure(result, f"{cause}\n{hint}".strip(), restored, golden)
    return result


def serve_deployed(config: Config, cloud: CloudSession, outputs: dict[str, str], *, port: int,
                   log: Callable[[str], None], host: str = "127.0.0.1") -> None:
    """Fetch the deployed zip and configuration from the local cloud and serve them until Ctrl-C."""
    spec, what = deployed_spec(config, cloud, outputs)
    log(f"serving {what} from the local cloud")
    if cloud.local is not None and cloud.local.started_here:  # it lives as long as this command
        log(f"while it serves, other commands reach this local cloud with {ENV_ENDPOINT}="
            f"{cloud.local.endpoint_url}, e.g. `{ENV_ENDPOINT}={cloud.local.endpoint_url} lambdaserve "
            "status --target local` (logs, rollback and destroy likewise)")
    serve_cmd.run(config, spec, host=host, port=port, api=None)
