"""Issue 17 item 14 on ministack, whose CloudFormation applies AWS::ApiGateway::Account (moto's
ignores it): two REST stacks of one app in one account (two stages), then both destroyed."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.cloud.cfn.render import render_template
from lambdaserve.cloud.iam.credentials import resolve_identity
from lambdaserve.cloud.stack.deployer import Deployer, DeployRequest
from lambdaserve.cloud.stack.destroy import destroy_stack
from lambdaserve.cloud.stack.logging_role import LOGICAL_ID
from lambdaserve.cloud.stack.plan import plan_zip_upload
from lambdaserve.cloud.store.artifact_ref import parameter_values
from lambdaserve.cloud.store.buckets import bucket_name
from tests.cloud.fakes import FAKE_ENV, RecordingUI, Sleeps, moto_clients
from tests.cloud.handmade import tiny_zip
from tests.cloud.ministack import ministack_server
from tests.cloud.test_ministack_transitions import _config

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _role(clients: Any, stack: str) -> str:
    found = clients.client("cloudformation").describe_stack_resources(StackName=stack,
                                                                       LogicalResourceId=LOGICAL_ID)
    return str(found["StackResources"][0]["PhysicalResourceId"])


def _roles(clients: Any) -> set[str]:
    return {r["RoleName"] for r in clients.client("iam").list_roles()["Roles"]}


def test_two_stages_deploy_side_by_side_and_destroy_leaves_only_the_accounts_role(tmp_path: Path) -> None:
    with ministack_server(tmp_path) as endpoint:
        clients = moto_clients(endpoint)
        identity = resolve_identity(clients, environ=FAKE_ENV, euid=1000)
        bucket = bucket_name(identity.account, clients.region)
        ticks = itertools.count(1_800_000_000, 60)
        deployer = Deployer(clients, RecordingUI(), sleep=Sleeps(), poll=0, clock=lambda: float(next(ticks)))
        stacks = []
        for stage in ("staging", "prod"):  # the same project, a stack per stage
            config = _config(tmp_path, {"deploy": {"stack_name": f"iris-{stage}"}, "api": {"stage": stage}})
            artifact, steps = plan_zip_upload(clients, bucket=bucket, app=config.name,
                                              path=tiny_zip(tmp_path / "code.zip", "same code"))
            request = DeployRequest(stack=config.stack_name, template=render_template(config, artifact),
                                    smoke=False, parameters=parameter_values(artifact), assume_yes=True)
            result = deployer.execute(deployer.plan(request, artifact_steps=steps), request)
            assert result.outcome == "created", (stage, result)
            stacks.append(config.stack_name)
        first, second = (_role(clients, s) for s in stacks)
        account = clients.client("apigateway").get_account().get("cloudwatchRoleArn", "")
        assert account.endswith("/" + second), account  # the later stack's Account set its role
        ui = RecordingUI()
        destroy_stack(clients, ui, stack=stacks[0], app="iris", assume_yes=True, sleep=Sleeps(), poll=0)
        assert first not in _roles(clients) and second in _roles(clients)
        destroy_stack(clients, ui, stack=stacks[1], app="iris", assume_yes=True, sleep=Sleeps(), poll=0)
        assert second in _roles(clients)  # still the account's logging role: kept, and said so
        assert any(line.startswith(f"kept IAM role {second}") for line in ui.infos), ui.infos
