"""Deploy A, then B: every transition a user can make leaves exactly B's resources (on ministack).

moto would pass these updates without adding or deleting anything (tests/cloud/ministack.py);
ministack creates and deletes the resources, and refused the old templates' http -> rest update
(the REST API under the logical ID an HTTP API had held).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.stack.destroy import destroy_stack
from lambdaserve.config import Config
from tests.cloud.fakes import RecordingUI, Sleeps
from tests.cloud.ministack import MinistackDeploy, project_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVERYTHING = {"function": {"keep_warm": "rate(5 minutes)", "reserved_concurrency": 3,
                           "provisioned_concurrency": 1},
              "api": {"auth": "api_key", "function_url": True, "throttling_rate": 5}}
# rest with every option -> http (options off) -> rest -> SnapStart over http -> plain rest
STEPS: list[dict[str, Any]] = [EVERYTHING, {"api": {"type": "http", "auth": "iam"}}, {},
                               {"function": {"snapstart": True}, "api": {"type": "http"}}, EVERYTHING, {}]


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


def test_each_transition_leaves_exactly_the_new_templates_resources(tmp_path: Path,
                                                                    ministack: MinistackDeploy) -> None:
    clients = ministack.clients
    config = project_config(tmp_path, {})
    for step, extra in enumerate(STEPS):
        config = project_config(tmp_path, extra)
        deployed = ministack.deploy(config, f"v{step}", f"{step}.zip")
        assert deployed.result.outcome in ("created", "updated"), (step, deployed.result)
        listed = clients.client("cloudformation").list_stack_resources(StackName=config.stack_name)
        assert {r["LogicalResourceId"] for r in listed["StackResourceSummaries"]} == set(
            deployed.template["Resources"]), step
        _check_options(clients, config)
    destroy_stack(clients, RecordingUI(), stack=config.stack_name, app=config.name, assume_yes=True,
                  artifact_bucket=ministack.bucket, sleep=Sleeps(), poll=0)
    assert _gone(clients.client("lambda").get_function, FunctionName=c.function_name(config))


def test_deploys_keep_the_live_version_and_the_one_before_it(tmp_path: Path,
                                                             ministack: MinistackDeploy) -> None:
    lam = ministack.clients.client("lambda")
    ui_lines: list[str] = []
    for memory in (512, 1024, 1536, 2048):  # each a new configuration, so a new version
        config = project_config(tmp_path, {"function": {"provisioned_concurrency": 1, "memory": memory}})
        deployed = ministack.deploy(config, "same code")
        ui_lines += deployed.plan_lines
        assert deployed.result.outcome in ("created", "updated")
    fn = c.function_name(config)
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=fn)["Versions"]]
    live = lam.get_alias(FunctionName=fn, Name="live")["FunctionVersion"]
    assert lam.get_function_configuration(FunctionName=fn, Qualifier="live")["MemorySize"] == 2048
    numbered = sorted(int(v) for v in versions if v.isdigit())
    assert len(numbered) == 2 and str(numbered[-1]) == live, versions
    assert any("delete iris's published versions" in line for line in ui_lines)
