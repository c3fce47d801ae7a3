"""Issue 17 item 14 on ministack, whose CloudFormation applies AWS::ApiGateway::Account (moto's
ignores it): two REST stacks of one app in one account (two stages), then both destroyed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lambdaserve.cloud.stack.destroy import destroy_stack
from lambdaserve.cloud.stack.logging_role import LOGICAL_ID
from tests.cloud.fakes import RecordingUI, Sleeps
from tests.cloud.ministack import MinistackDeploy, project_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _role(clients: Any, stack: str) -> str:
    found = clients.client("cloudformation").describe_stack_resources(StackName=stack,
                                                                       LogicalResourceId=LOGICAL_ID)
    return str(found["StackResources"][0]["PhysicalResourceId"])


def _roles(clients: Any) -> set[str]:
    return {r["RoleName"] for r in clients.client("iam").list_roles()["Roles"]}


def test_two_stages_deploy_side_by_side_and_destroy_leaves_only_the_accounts_role(
        tmp_path: Path, ministack: MinistackDeploy) -> None:
    clients = ministack.clients
    stacks = []
    for stage in ("staging", "prod"):  # the same project, a stack per stage
        config = project_config(tmp_path, {"deploy": {"stack_name": f"iris-{stage}"},
                                           "api": {"stage": stage}})
        result = ministack.deploy(config, "same code").result
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
