"""Issue 17 item 14: destroy never orphans the REST API logging role silently (moto, real HTTP).

The stack retains the role (the account's API Gateway logging may run through it). After the
delete, destroy keeps it only while API Gateway's account still names it, and says so; otherwise
it deletes it.
"""

from __future__ import annotations

import json

import pytest

from lambdaserve.cloud.cfn.rest_api import ACCOUNT_ROLE, account_resources
from lambdaserve.cloud.stack.destroy import destroy_stack
from lambdaserve.cloud.stack.logging_role import LOGICAL_ID
from tests.cloud.fakes import RecordingUI, Sleeps, moto_clients, moto_server


@pytest.fixture(scope="module")
def endpoint():
    with moto_server() as url:
        yield url


def _stack(clients, name: str, with_role: bool = True) -> str:
    """A stack holding the generator's own logging role; returns the role's name."""
    resources = {ACCOUNT_ROLE: account_resources()[ACCOUNT_ROLE]} if with_role else {
        "Topic": {"Type": "AWS::SNS::Topic"}}
    clients.call("cloudformation", "create_stack", StackName=name,
                 TemplateBody=json.dumps({"Resources": resources}), Capabilities=["CAPABILITY_IAM"])
    if not with_role:
        return ""
    found = clients.call("cloudformation", "describe_stack_resources", StackName=name)["StackResources"]
    return next(r["PhysicalResourceId"] for r in found if r["LogicalResourceId"] == LOGICAL_ID)


def _role_arn(clients, role: str) -> str:
    return clients.call("iam", "get_role", RoleName=role)["Role"]["Arn"]


def _account_role(clients, arn: str) -> None:
    clients.call("apigateway", "update_account", patchOperations=[
        {"op": "replace", "path": "/cloudwatchRoleArn", "value": arn}])


def _roles(clients) -> set[str]:
    return {r["RoleName"] for r in clients.call("iam", "list_roles")["Roles"]}


def _destroy(clients, name: str) -> RecordingUI:
    ui = RecordingUI()
    destroy_stack(clients, ui, stack=name, app="demo", assume_yes=True, sleep=Sleeps(), poll=0)
    return ui


def test_the_role_the_account_names_is_kept_and_reported(endpoint) -> None:
    clients = moto_clients(endpoint)
    role = _stack(clients, "lambdaserve-keep")
    _account_role(clients, _role_arn(clients, role))
    ui = _destroy(clients, "lambdaserve-keep")
    assert role in _roles(clients)
    (kept,) = [line for line in ui.infos if line.startswith("kept IAM role")]
    assert role in kept and "us-east-1" in kept and f"aws iam delete-role --role-name {role}" in kept


def test_a_role_the_account_no_longer_names_is_deleted(endpoint) -> None:
    clients = moto_clients(endpoint)
    first = _stack(clients, "lambdaserve-first")
    second = _stack(clients, "lambdaserve-second")  # a second app set its own role since
    _account_role(clients, _role_arn(clients, second))
    ui = _destroy(clients, "lambdaserve-first")
    assert first not in _roles(clients) and second in _roles(clients)
    assert any(line.startswith(f"deleted IAM role {first}") for line in ui.infos)
    # the second app's stack goes too: now its role is the account's, so it stays, reported
    ui = _destroy(clients, "lambdaserve-second")
    assert second in _roles(clients)
    assert any(line.startswith(f"kept IAM role {second}") for line in ui.infos)


def test_a_stack_without_a_logging_role_touches_no_role(endpoint) -> None:
    clients = moto_clients(endpoint)
    _stack(clients, "lambdaserve-http", with_role=False)
    before = _roles(clients)
    ui = _destroy(clients, "lambdaserve-http")
    assert _roles(clients) == before
    assert not [line for line in ui.infos if "IAM role" in line]


def test_the_deployer_policy_allows_what_destroy_does_with_the_role(endpoint, tmp_path) -> None:
    from lambdaserve.cloud.aws import CallRecorder
    from lambdaserve.cloud.iam.actions import allows_on, covers, iam_action
    from lambdaserve.cloud.iam.policy import deployer_policy
    from tests.cloud.test_template_golden import make_config

    setup = moto_clients(endpoint)
    role = _stack(setup, "lambdaserve-iris")  # make_config's app "iris" deploys as lambdaserve-iris
    arn = _role_arn(setup, role)
    recorder = CallRecorder()
    clients = moto_clients(endpoint, recorder=recorder)
    _destroy(clients, "lambdaserve-iris")
    assert role not in _roles(setup)
    policy = deployer_policy(make_config(tmp_path), account="123456789012", region="us-east-1",
                             artifact_bucket="b", ecr_repository="r")
    iam_calls = {c for c in recorder.calls if c.service == "iam"}
    # moto's CloudFormation attaches no ManagedPolicyArns, so it records no DetachRolePolicy: checked too
    assert {"ListAttachedRolePolicies", "DeleteRole"} <= {c.operation for c in iam_calls}
    for action in {iam_action(c.service, c.operation) for c in iam_calls} | {"iam:DetachRolePolicy"}:
        assert allows_on(policy, action, arn), action
    for call in recorder.calls:
        assert covers(policy, call.service, call.operation), call
