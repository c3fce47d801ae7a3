"""Deploy, update, no-op and destroy against a moto server over real HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lambdaserve.cloud.stack.deployer import Deployer, DeployRequest
from lambdaserve.cloud.stack.destroy import destroy_stack
from lambdaserve.cloud.stack.events import stack_status
from lambdaserve.cloud.stack.status import app_status
from lambdaserve.cloud.store.artifact_ref import parameter_values
from lambdaserve.cloud.store.buckets import bucket_name, ensure_bucket, upload_zip
from tests.cloud.fakes import RecordingUI, Sleeps, moto_clients, moto_server
from tests.cloud.handmade import template, tiny_zip

STACK = "lambdaserve-demo"


@pytest.fixture(scope="module")
def endpoint():
    with moto_server() as url:
        yield url


def _deploy(clients, tmp_path: Path, *, memory: int = 512, answers=(), assume_yes=True, body="ok"):
    bucket = bucket_name("123456789012", "us-east-1")
    ensure_bucket(clients, bucket)
    artifact = upload_zip(clients, bucket, "demo", tiny_zip(tmp_path / "app.zip", body))
    ui = RecordingUI(answers=list(answers))
    gets: list[str] = []

    def http_get(url: str, timeout: float) -> tuple[int, bytes]:
        gets.append(url)
        return 200, b'{"status": "ok"}'

    deployer = Deployer(clients, ui, sleep=Sleeps(), http_get=http_get, clock=lambda: 1_700_000_000.0, poll=0)
    request = DeployRequest(
        stack=STACK,
        template=template(memory=memory),
        parameters=parameter_values(artifact),
        tags={"lambdaserve:app": "demo"},
        assume_yes=assume_yes,
    )
    return deployer.deploy(request), ui, gets, artifact


def test_full_deploy_update_noop_and_destroy(endpoint, tmp_path):
    clients = moto_clients(endpoint)
    assert app_status(clients, STACK).deployed is False

    created, ui, gets, artifact = _deploy(clients, tmp_path)
    assert created.outcome == "created"
    assert {c.logical_id for c in created.changes if c.action == "Add"} >= {"Function", "Api", "Role"}
    # moto gives change-set stacks no Outputs: these come from the resources.
    assert re.match(r"^https://\w+\.execute-api\.us-east-1\.amazonaws\.com/prod$", created.outputs["ApiUrl"])
    assert created.outputs["FunctionName"] == "demo"
    assert created.outputs["FunctionArn"].endswith(":function:demo")
    assert created.outputs["LogGroupName"] == "/aws/lambda/demo"
    assert gets == [created.outputs["ApiUrl"] + "/health"]
    assert created.smoke is not None and created.smoke.ok
    assert any(e.status == "CREATE_COMPLETE" for e in ui.events)
    assert clients.call("lambda", "get_function_configuration", FunctionName="demo")["MemorySize"] == 512

    updated, ui, _, _ = _deploy(clients, tmp_path, memory=1024)
    assert updated.outcome == "updated"
    assert [(c.action, c.logical_id) for c in updated.changes] == [("Modify", "Function")]
    assert clients.call("lambda", "get_function_configuration", FunctionName="demo")["MemorySize"] == 1024

    same, ui, gets, _ = _deploy(clients, tmp_path, memory=1024)
    assert same.outcome == "up-to-date" and gets == []
    assert any("up to date" in line for line in ui.infos)
    assert same.outputs["FunctionName"] == "demo"

    status = app_status(clients, STACK)
    assert status.status == "UPDATE_COMPLETE" and status.function["MemorySize"] == 1024

    ui = RecordingUI(answers=[True])
    result = destroy_stack(
        clients, ui, stack=STACK, app="demo", artifact_bucket=artifact.bucket, sleep=Sleeps(), poll=0
    )
    assert result.stack_deleted and result.artifacts_removed == 1
    assert stack_status(clients, STACK) is None
    listed = clients.call("s3", "list_object_versions", Bucket=artifact.bucket, Prefix="demo/")
    assert not listed.get("Versions") and not listed.get("DeleteMarkers")


def test_declining_the_change_set_changes_nothing(endpoint, tmp_path):
    clients = moto_clients(endpoint)
    result, ui, gets, _ = _deploy(clients, tmp_path, answers=[False], assume_yes=False)
    assert result.outcome == "cancelled" and ui.questions == ["Deploy these changes?"]
    assert gets == []
    # the CREATE change set left no REVIEW_IN_PROGRESS stack behind
    assert stack_status(clients, STACK) is None


def test_zip_upload_is_content_addressed(endpoint, tmp_path):
    clients = moto_clients(endpoint)
    bucket = "lambdaserve-artifacts-111111111111-eu-west-1"  # not the other tests' bucket
    ui = RecordingUI()
    assert ensure_bucket(clients, bucket, ui.info) is True
    assert ensure_bucket(clients, bucket, ui.info) is False
    versioning = clients.call("s3", "get_bucket_versioning", Bucket=bucket)
    assert versioning["Status"] == "Enabled"
    block = clients.call("s3", "get_public_access_block", Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    zip_path = tiny_zip(tmp_path / "a.zip", "content-addressed")
    first = upload_zip(clients, bucket, "other", zip_path, ui.info)
    again = upload_zip(clients, bucket, "other", zip_path, ui.info)
    assert first == again and first.key == f"other/{first.sha256}.zip"
    assert any("already uploaded" in line for line in ui.infos)
    versions = clients.call("s3", "list_object_versions", Bucket=bucket, Prefix="other/")["Versions"]
    assert len(versions) == 1  # the second upload was skipped
