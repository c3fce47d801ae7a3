"""A dry run against a moto server over HTTP: every call it makes reads, and the cloud is unchanged.

botocore's before-call hook records each operation; the cloud's state (stack, bucket,
objects) is read back after the dry run. The same plan, executed, does what it printed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.cloud.aws import CallRecorder
from lambdaserve.cloud.stack import plan as p
from lambdaserve.cloud.stack import steps as st
from lambdaserve.cloud.stack.deployer import Deployer, DeployRequest
from lambdaserve.cloud.stack.events import describe_stack
from lambdaserve.cloud.store.artifact_ref import ImageArtifact, parameter_values
from lambdaserve.cloud.store.buckets import bucket_exists, bucket_name, object_exists
from tests.cloud.fakes import FAKE_ENV, RecordingUI, Sleeps, moto_clients, moto_server
from tests.cloud.handmade import template, tiny_zip

STACK = "lambdaserve-dry"
BUCKET = bucket_name("123456789012", "us-east-1")
READS = ("Describe", "Get", "Head", "List")


@pytest.fixture(scope="module")
def endpoint():
    with moto_server() as url:
        yield url


def _dry_run(endpoint: str, zip_path: Path, memory: int = 512) -> tuple[p.Plan, DeployRequest, CallRecorder]:
    recorder = CallRecorder()
    clients = moto_clients(endpoint, recorder=recorder)
    artifact, steps = p.plan_zip_upload(clients, bucket=BUCKET, app="dry", path=zip_path)
    request = DeployRequest(stack=STACK, template=template(name="dry", memory=memory),
                            parameters=parameter_values(artifact), assume_yes=True, smoke=False)
    plan = Deployer(clients, RecordingUI()).plan(request, artifact_steps=steps, preview=True)
    return plan, request, recorder


def _writes(recorder: CallRecorder) -> list[str]:
    return [f"{c.service}:{c.operation}" for c in recorder.calls if not c.operation.startswith(READS)]


def test_dry_run_changes_nothing_and_the_executed_plan_does_what_it_printed(endpoint, tmp_path):
    clients = moto_clients(endpoint)
    first = tiny_zip(tmp_path / "v1.zip", "v1")
    plan, request, recorder = _dry_run(endpoint, first)
    assert recorder.calls and _writes(recorder) == []
    assert not bucket_exists(clients, BUCKET) and describe_stack(clients, STACK) is None
    assert [type(s).__name__ for s in plan.steps] == ["CreateBucket", "UploadArtifact", "CreateChangeSet",
                                                      "ExecuteChangeSet"]

    deployer = Deployer(clients, RecordingUI(), sleep=Sleeps(), poll=0)
    assert deployer.execute(plan, request).outcome == "created"
    upload = plan.steps[1]
    assert isinstance(upload, st.UploadArtifact)
    assert object_exists(clients, BUCKET, upload.artifact.key)
    deployed = describe_stack(clients, STACK)
    assert deployed is not None and deployed["StackStatus"] == "CREATE_COMPLETE"

    # new code and more memory: the dry run shows the upload and the modified function only
    second = tiny_zip(tmp_path / "v2.zip", "v2")
    plan, _, recorder = _dry_run(endpoint, second, memory=1024)
    assert _writes(recorder) == []
    assert {c.operation for c in recorder.calls} >= {"GetTemplate", "DescribeStacks", "HeadObject"}
    assert [type(s).__name__ for s in plan.steps] == ["UploadArtifact", "CreateChangeSet", "ExecuteChangeSet"]
    assert plan.steps[1] == st.CreateChangeSet(STACK, "UPDATE")
    assert [(c.action, c.logical_id) for c in plan.changes or ()] == [("Modify", "Function")]
    new_upload = plan.steps[0]
    assert isinstance(new_upload, st.UploadArtifact)
    assert not object_exists(clients, BUCKET, new_upload.artifact.key)
    assert describe_stack(clients, STACK) == deployed  # same status, same last update
    assert clients.call("lambda", "get_function_configuration", FunctionName="dry")["MemorySize"] == 512

    plan, _, _ = _dry_run(endpoint, first)  # what is deployed: nothing to upload, nothing changes
    assert [type(s).__name__ for s in plan.steps] == ["CreateChangeSet", "ExecuteChangeSet"]
    assert plan.changes == ()


def test_cli_dry_run_prints_the_plan_and_deploys_nothing(endpoint, tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"not really onnx")
    (tmp_path / "lambdaserve.toml").write_text('name = "drycli"\n[model]\npath = "model.onnx"\n'
                                               'framework = "onnx"\n')
    zip_path = tiny_zip(tmp_path / "built.zip")
    args = ["deploy", "--target", "local", "--config", str(tmp_path), "--dry-run", "--artifact",
            str(zip_path)]
    env = {"LAMBDASERVE_LOCAL_ENDPOINT": endpoint}
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "plan for stack lambdaserve-drycli (not deployed):" in out
    assert "create a CREATE change set for stack lambdaserve-drycli" in out
    assert "+ Add Function (AWS::Lambda::Function)" in out
    assert out.rstrip().endswith("dry run: nothing was changed")
    clients = moto_clients(endpoint)
    assert describe_stack(clients, "lambdaserve-drycli") is None
    status = CliRunner().invoke(cli, ["status", "--target", "local", "--config", str(tmp_path), "--json"],
                                env={"LAMBDASERVE_LOCAL_ENDPOINT": endpoint})
    assert json.loads(status.output[status.output.index("{"):])["status"] is None


def test_image_steps_plan_the_repository_then_the_executor_creates_it_and_pushes(endpoint):
    recorder = CallRecorder()
    clients = moto_clients(endpoint, recorder=recorder)
    steps = p.plan_image_push(clients, "lambdaserve/dryimage")
    assert steps == [st.CreateRepository("lambdaserve/dryimage"), st.PushImage("lambdaserve/dryimage", "")]
    assert _writes(recorder) == []
    assert p.plan_image_push(clients, "lambdaserve/dryimage") == steps  # still nothing created

    pushed_to: list[str] = []

    def push(uri: str) -> ImageArtifact:  # stands in for build + registry push (the build package)
        pushed_to.append(uri)
        return ImageArtifact(repository_uri=uri, digest="sha256:" + "a" * 64)

    image = Deployer(clients, RecordingUI(), push_image=push).push(steps)
    uri = clients.call("ecr", "describe_repositories",
                       repositoryNames=["lambdaserve/dryimage"])["repositories"][0]["repositoryUri"]
    assert pushed_to == [uri] and image.image_uri == f"{uri}@sha256:{'a' * 64}"
    assert p.plan_image_push(clients, "lambdaserve/dryimage") == [st.PushImage("lambdaserve/dryimage", uri)]


def test_cli_dry_run_of_an_image_project_plans_the_push_and_creates_no_repository(endpoint, tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"not really onnx")
    (tmp_path / "lambdaserve.toml").write_text('name = "dryimg"\n[model]\npath = "model.onnx"\n'
                                               'framework = "onnx"\n[function]\npackage = "image"\n')
    env = {**FAKE_ENV, "AWS_PROFILE": None, "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    args = ["deploy", "--config", str(tmp_path), "--dry-run", "--region", "us-east-1",
            "--endpoint-url", endpoint]
    result = CliRunner(env=env).invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "create ECR repository lambdaserve/dryimg" in result.output
    assert "build the image and push it to lambdaserve/dryimg:latest" in result.output
    assert "ImageUri is known only after the push" in result.output
    assert "+ Add Function (AWS::Lambda::Function)" in result.output
    clients = moto_clients(endpoint)
    assert p.plan_image_push(clients, "lambdaserve/dryimg")[0] == st.CreateRepository("lambdaserve/dryimg")
