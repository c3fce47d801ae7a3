"""Deploy A, then B: every transition a user can make leaves exactly B's resources (on ministack).

moto would pass these updates without adding or deleting anything (tests/cloud/ministack.py);
ministack creates and deletes the resources, and refused the old templates' http -> rest update
(the REST API under the logical ID an HTTP API had held).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.render import render_template
from lambdaserve.cloud.iam.credentials import resolve_identity
from lambdaserve.cloud.stack.deployer import Deployer, DeployRequest
from lambdaserve.cloud.stack.destroy import destroy_stack
from lambdaserve.cloud.stack.plan import plan_zip_upload
from lambdaserve.cloud.store.artifact_ref import parameter_values
from lambdaserve.cloud.store.buckets import bucket_name
from lambdaserve.config import Config, parse_config
from tests.cloud.fakes import FAKE_ENV, RecordingUI, Sleeps, moto_clients
from tests.cloud.handmade import tiny_zip
from tests.cloud.ministack import ministack_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVERYTHING = {"function": {"keep_warm": "rate(5 minutes)", "reserved_concurrency": 3,
                           "provisioned_concurrency": 1},
              "api": {"auth": "api_key", "function_url": True, "throttling_rate": 5}}
# rest with every option -> http (options off) -> rest -> SnapStart over http -> plain rest
STEPS: list[dict[str, Any]] = [EVERYTHING, {"api": {"type": "http", "auth": "iam"}}, {},
                               {"function": {"snapstart": True}, "api": {"type": "http"}}, EVERYTHING, {}]


def _config(tmp_path: Path, extra: dict[str, Any]) -> Config:
    (tmp_path / "model.onnx").write_bytes(b"not really onnx")
    raw: dict[str, Any] = {"name": "iris", "model": {"path": "model.onnx", "framework": "onnx"}}
    for section, values in extra.items():
        raw.setdefault(section, {}).update(values)
    return parse_config(raw, tmp_path / "lambdaserve.toml")


def _gone(call: Any, **params: Any) -> bool:
    try:
        call(**params)
    except ClientError:
        return True
    return False


def _check_options(clients: Any, config: Config) -> None:
    fn = c.function_name(config)
    lam, events = clients.client("lambda"), clients.client("events")
    assert _gone(events.describe_rule, Name=f"{fn}-keep-warm") != bool(config.function.keep_warm)
    assert _gone(lam.get_function_url_config, FunctionName=fn, Qualifier="live") != config.api.function_url \
        or _gone(lam.get_function_url_config, FunctionName=fn) != config.api.function_url
    assert not _gone(lam.get_alias, FunctionName=fn, Name="live")  # every template has the alias
    # (ministack's CloudFormation does not apply ReservedConcurrentExecutions: not checked here)
    rest = [a["name"] for a in clients.client("apigateway").get_rest_apis()["items"]]
    http = [a["Name"] for a in clients.client("apigatewayv2").get_apis()["Items"]]
    assert (rest, http) == ((["iris"], []) if config.api.type == "rest" else ([], ["iris"]))
    keys = clients.client("apigateway").get_api_keys()["items"]
    assert bool(keys) == (config.api.auth == "api_key")


def test_each_transition_leaves_exactly_the_new_templates_resources(tmp_path: Path) -> None:
    with ministack_server(tmp_path) as endpoint:
        clients = moto_clients(endpoint)
        identity = resolve_identity(clients, environ=FAKE_ENV, euid=1000)
        bucket = bucket_name(identity.account, clients.region)
        # change sets are named by the clock's second; ministack keeps executed ones, AWS does not
        ticks = itertools.count(1_800_000_000, 60)
        deployer = Deployer(clients, RecordingUI(), sleep=Sleeps(), poll=0, clock=lambda: float(next(ticks)))
        config = _config(tmp_path, {})
        for step, extra in enumerate(STEPS):
            config = _config(tmp_path, extra)
            artifact, steps = plan_zip_upload(clients, bucket=bucket, app=config.name,
                                              path=tiny_zip(tmp_path / f"{step}.zip", f"v{step}"))
            template = render_template(config, artifact)
            request = DeployRequest(stack=config.stack_name, template=template, smoke=False,
                                    parameters=parameter_values(artifact), assume_yes=True)
            result = deployer.execute(deployer.plan(request, artifact_steps=steps), request)
            assert result.outcome in ("created", "updated"), (step, result)
            listed = clients.client("cloudformation").list_stack_resources(StackName=config.stack_name)
            assert {r["LogicalResourceId"] for r in listed["StackResourceSummaries"]} == set(
                template["Resources"]), step
            _check_options(clients, config)
        destroy_stack(clients, RecordingUI(), stack=config.stack_name, app=config.name, assume_yes=True,
                      artifact_bucket=bucket, sleep=Sleeps(), poll=0)
        assert _gone(clients.client("lambda").get_function, FunctionName=c.function_name(config))


def test_deploys_keep_the_live_version_and_the_one_before_it(tmp_path: Path) -> None:
    with ministack_server(tmp_path) as endpoint:
        clients = moto_clients(endpoint)
        identity = resolve_identity(clients, environ=FAKE_ENV, euid=1000)
        bucket = bucket_name(identity.account, clients.region)
        ticks = itertools.count(1_800_000_000, 60)
        deployer = Deployer(clients, RecordingUI(), sleep=Sleeps(), poll=0, clock=lambda: float(next(ticks)))
        ui_lines: list[str] = []
        for memory in (512, 1024, 1536, 2048):  # each a new configuration, so a new version
            config = _config(tmp_path, {"function": {"provisioned_concurrency": 1, "memory": memory}})
            artifact, steps = plan_zip_upload(clients, bucket=bucket, app=config.name,
                                              path=tiny_zip(tmp_path / "code.zip", "same code"))
            request = DeployRequest(stack=config.stack_name, template=render_template(config, artifact),
                                    smoke=False, parameters=parameter_values(artifact), assume_yes=True)
            plan = deployer.plan(request, artifact_steps=steps)
            ui_lines += plan.lines()
            assert deployer.execute(plan, request).outcome in ("created", "updated")
        fn = c.function_name(config)
        versions = [v["Version"] for v in clients.client("lambda").list_versions_by_function(
            FunctionName=fn)["Versions"]]
        live = clients.client("lambda").get_alias(FunctionName=fn, Name="live")["FunctionVersion"]
        assert clients.client("lambda").get_function_configuration(FunctionName=fn, Qualifier="live")[
            "MemorySize"] == 2048
        numbered = sorted(int(v) for v in versions if v.isdigit())
        assert len(numbered) == 2 and str(numbered[-1]) == live, versions
        assert any("delete iris's published versions" in line for line in ui_lines)
