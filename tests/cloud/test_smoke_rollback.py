"""A failed smoke test keeps the old version serving: deploy points the live alias back at the version
it served before the deploy, reads it back, and says which version serves (moto over HTTP)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lambdaserve.cloud.stack.deployer import Deployer, DeployRequest
from lambdaserve.cloud.stack.plan import Plan, plan_deploy
from lambdaserve.cloud.stack.rollback import alias_version, restore_previous
from lambdaserve.cloud.stack.steps import SmokeTest
from lambdaserve.cloud.store.artifact_ref import parameter_values
from lambdaserve.cloud.store.buckets import bucket_name, ensure_bucket, upload_zip
from lambdaserve.errors import CloudError
from lambdaserve.runtime.golden import GoldenRequest, GoldenSet
from tests.cloud.fakes import RecordingUI, Sleeps, moto_clients, moto_server
from tests.cloud.handmade import template, tiny_zip

STACK = "lambdaserve-demo"


@pytest.fixture
def clients():
    with moto_server() as url:
        yield moto_clients(url)


def _function_with_versions(clients, tmp_path: Path, count: int) -> None:
    """The function 'demo' with ``count`` published versions, the alias on the newest (what a deploy
    that publishes version N leaves behind), as Lambda's API makes them."""
    role = clients.call("iam", "create_role", RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    for n in range(1, count + 1):
        code = tiny_zip(tmp_path / f"v{n}.zip", f"v{n}").read_bytes()
        if n == 1:
            clients.call("lambda", "create_function", FunctionName="demo", Runtime="python3.12", Role=role,
                         Handler="app.handler", Code={"ZipFile": code})
        else:
            clients.call("lambda", "update_function_code", FunctionName="demo", ZipFile=code)
        version = clients.call("lambda", "publish_version", FunctionName="demo")["Version"]
        if n == 1:
            clients.call("lambda", "create_alias", FunctionName="demo", Name="live", FunctionVersion=version)
        else:
            clients.call("lambda", "update_alias", FunctionName="demo", Name="live", FunctionVersion=version)


def test_restore_points_the_alias_back_at_the_version_it_served_before(clients, tmp_path):
    _function_with_versions(clients, tmp_path, 3)
    restored = restore_previous(clients, "demo", "live", "2")
    assert (restored.failed, restored.serving, restored.moved) == ("3", "2", True)
    assert alias_version(clients, "demo", "live") == "2"  # read from Lambda, not from the result
    assert "version 2 (the one before this deploy) serves all traffic again; version 3 serves none" \
        in restored.words()


def test_a_first_deploy_has_nothing_to_go_back_to_and_says_so(clients, tmp_path):
    _function_with_versions(clients, tmp_path, 1)
    restored = restore_previous(clients, "demo", "live", "")
    assert not restored.moved and restored.serving == "1"
    assert restored.words().startswith("nothing to go back to: this was the first deploy, so version 1 still")
    assert alias_version(clients, "demo", "live") == "1"


def test_a_previous_version_that_is_gone_is_reported_not_raised(clients, tmp_path):
    _function_with_versions(clients, tmp_path, 2)
    restored = restore_previous(clients, "demo", "live", "7")
    assert not restored.moved and "rollback --to 7" in restored.problem
    assert restored.words().startswith("the failing version may still be serving")


def test_no_alias_yet_reads_as_no_previous_version(clients):
    assert alias_version(clients, "nothing-here", "live") == ""


def _with_alias(base: dict) -> dict:
    out = {**base, "Resources": dict(base["Resources"])}
    out["Resources"]["FunctionVersion"] = {"Type": "AWS::Lambda::Version",
                                           "Properties": {"FunctionName": {"Ref": "Function"}}}
    out["Resources"]["FunctionAlias"] = {"Type": "AWS::Lambda::Alias", "Properties": {
        "FunctionName": {"Ref": "Function"}, "Name": "live",
        "FunctionVersion": {"Fn::GetAtt": ["FunctionVersion", "Version"]}}}
    return out


def _deploy_handmade(clients, tmp_path: Path, memory: int) -> DeployRequest:
    bucket = bucket_name("123456789012", "us-east-1")
    ensure_bucket(clients, bucket)
    artifact = upload_zip(clients, bucket, "demo", tiny_zip(tmp_path / "app.zip"))
    golden = GoldenSet((GoldenRequest("row 0", {"data": [[1.0]]}, "/predict", answer={"predictions": [1]}),))
    return DeployRequest(stack=STACK, template=template(memory=memory), parameters=parameter_values(artifact),
                         assume_yes=True, golden=golden)


def test_the_plan_reads_the_version_the_alias_serves_before_the_deploy(clients, tmp_path):
    request = _deploy_handmade(clients, tmp_path, 512)
    Deployer(clients, RecordingUI(), sleep=Sleeps(), http_get=lambda u, t: (200, b"{}"),
             http_post=lambda u, b, t: (200, b'{"predictions": [1]}'), poll=0).deploy(request)
    _function_with_versions_on_existing(clients, tmp_path, 2)
    plan = plan_deploy(clients, replace(request, template=_with_alias(request.template),
                                        traffic_shift="Canary10Percent5Minutes"))
    assert any(line.startswith("  note: traffic shift Canary10Percent5Minutes: CodeDeploy moves the alias")
               for line in plan.lines())
    (smoke,) = [step for step in plan.steps if isinstance(step, SmokeTest)]
    assert (smoke.function, smoke.alias, smoke.previous) == ("demo", "live", "2")
    assert "on a failure, point 'live' back at version 2" in smoke.describe()


def _function_with_versions_on_existing(clients, tmp_path: Path, count: int) -> None:
    for n in range(1, count + 1):
        clients.call("lambda", "update_function_code", FunctionName="demo",
                     ZipFile=tiny_zip(tmp_path / f"e{n}.zip", f"e{n}").read_bytes())
        version = clients.call("lambda", "publish_version", FunctionName="demo")["Version"]
        verb = "create_alias" if n == 1 else "update_alias"
        clients.call("lambda", verb, FunctionName="demo", Name="live", FunctionVersion=version)


def test_a_smoke_failure_after_an_update_puts_the_old_version_back_and_says_which_serves(clients, tmp_path):
    request = _deploy_handmade(clients, tmp_path, 512)
    ok = Deployer(clients, RecordingUI(), sleep=Sleeps(), http_get=lambda u, t: (200, b"{}"),
                  http_post=lambda u, b, t: (200, b'{"predictions": [1]}'), poll=0).deploy(request)
    assert ok.outcome == "created"
    # what the stack's Version and Alias do on AWS (moto's CloudFormation skips the alias):
    # version 1 served, the update published version 2 and moved the alias to it
    _function_with_versions_on_existing(clients, tmp_path, 2)
    update = replace(request, template=template(memory=1024))
    deployer = Deployer(clients, RecordingUI(), sleep=Sleeps(), http_get=lambda u, t: (200, b"{}"),
                        http_post=lambda u, b, t: (502, b'{"message": "Internal server error"}'), poll=0)
    plan = deployer.plan(update)
    steps = tuple(replace(s, function="demo", alias="live", previous="1") if isinstance(s, SmokeTest) else s
                  for s in plan.steps)
    with pytest.raises(CloudError) as caught:
        deployer.execute(Plan(plan.stack, plan.status, steps), update)
    message = caught.value.message
    assert "deployed, but the smoke test failed" in message
    assert "row 0: answered 502 instead of 200" in message  # the failing request and its answer
    assert "alias 'live' moved back: version 1 (the one before this deploy) serves all traffic" in message
    assert alias_version(clients, "demo", "live") == "1"
