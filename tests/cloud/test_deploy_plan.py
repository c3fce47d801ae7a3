"""Planning a deploy reads only: one Stubber test per stack state moto cannot reach.

A Stubber answers only the calls queued on it, in order, and raises on any other, so
each test here also proves the plan made no call that changes anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambdaserve.cloud.stack import plan as p
from lambdaserve.cloud.stack import steps as st
from lambdaserve.cloud.stack.changeset import Change
from lambdaserve.cloud.stack.deployer import Deployer
from lambdaserve.cloud.stack.preview import template_changes
from lambdaserve.cloud.store.buckets import bucket_name
from lambdaserve.errors import CloudError
from lambdaserve.runtime.digest import file_sha256
from tests.cloud.fakes import RecordingUI, Stubbed
from tests.cloud.handmade import template, tiny_zip
from tests.cloud.stack_stubs import (
    CS_ARN,
    OUTPUTS,
    STACK,
    STACK_ID,
    change_set,
    event,
    events,
    missing,
    request,
    stack,
)

BUCKET = bucket_name("123456789012", "us-east-1")
API_URL = OUTPUTS[0]["OutputValue"]


def _zip_steps(s: Stubbed, path: Path, *, bucket: bool = True, uploaded: bool = False) -> list[st.Step]:
    if bucket:
        s.ok("head_bucket", {}, {"Bucket": BUCKET}, service="s3")
    else:
        s.error("head_bucket", "404", "Not Found", status=404, service="s3")
    if bucket and uploaded:
        s.ok("head_object", {}, service="s3")
    elif bucket:
        s.error("head_object", "404", "Not Found", status=404, service="s3")
    _artifact, steps = p.plan_zip_upload(s.clients, bucket=BUCKET, app="demo", path=path)
    return steps


def _kinds(plan: p.Plan) -> list[str]:
    return [type(step).__name__ for step in plan.steps]


def test_dry_run_of_a_rollback_complete_stack_plans_the_delete_and_deletes_nothing(tmp_path):
    s = Stubbed(("cloudformation", "s3"))
    zip_path = tiny_zip(tmp_path / "app.zip")
    steps = _zip_steps(s, zip_path)
    s.ok("describe_stacks", stack("ROLLBACK_COMPLETE"), {"StackName": STACK})
    new = p.DeployRequest(stack=STACK, template=template(), parameters={})
    plan = p.plan_deploy(s.clients, new, artifact_steps=steps, preview=True)
    s.assert_done()  # head_bucket, head_object, describe_stacks: nothing else was called
    assert _kinds(plan) == ["DeleteFailedStack", "UploadArtifact", "CreateChangeSet", "ExecuteChangeSet",
                            "SmokeTest"]
    assert plan.steps[2] == st.CreateChangeSet(STACK, "CREATE")  # recreated, so every resource is new
    lines = plan.lines()
    assert lines[0] == f"plan for stack {STACK} (ROLLBACK_COMPLETE):"
    assert lines[1].startswith(f"  1. delete stack {STACK} (ROLLBACK_COMPLETE): its first create failed")
    sha = file_sha256(zip_path)
    size = zip_path.stat().st_size
    assert f"  2. upload artifact app.zip ({size:,} bytes) to s3://{BUCKET}/demo/{sha}.zip" in lines
    assert "  5. smoke test: GET <ApiUrl>/health" in lines  # the API is created again: no URL yet
    resources = template()["Resources"].items()
    assert plan.changes == tuple(Change("Add", name, r["Type"], "") for name, r in resources)


def test_dry_run_of_update_rollback_failed_plans_continue_rollback_and_previews_the_diff():
    s = Stubbed()
    deployed = stack("UPDATE_ROLLBACK_FAILED", outputs=True)
    deployed["Stacks"][0]["Parameters"] = [{"ParameterKey": "ArtifactKey", "ParameterValue": "demo/old.zip"}]
    s.ok("describe_stacks", deployed, {"StackName": STACK})
    old = template(memory=512)
    old["Resources"]["Gone"] = {"Type": "AWS::Logs::LogGroup", "Properties": {}}
    s.ok("get_template", {"TemplateBody": json.dumps(old)},
         {"StackName": STACK_ID, "TemplateStage": "Original"})
    new = p.DeployRequest(stack=STACK, template=template(), parameters={"ArtifactKey": "demo/new.zip"})
    plan = p.plan_deploy(s.clients, new, preview=True)
    s.assert_done()
    assert _kinds(plan) == ["ContinueRollback", "CreateChangeSet", "ExecuteChangeSet", "SmokeTest"]
    assert plan.steps[1] == st.CreateChangeSet(STACK, "UPDATE")
    assert plan.steps[3] == st.SmokeTest(API_URL)
    assert f"  1. continue the update rollback of stack {STACK} (UPDATE_ROLLBACK_FAILED)" in plan.lines()
    # new code (a changed ArtifactKey) modifies the function; the extra log group goes
    assert plan.changes == (Change("Modify", "Function", "AWS::Lambda::Function", ""),
                            Change("Remove", "Gone", "AWS::Logs::LogGroup", ""))
    assert "  ~ Modify Function (AWS::Lambda::Function)" in plan.lines()


def test_a_stack_rolling_back_its_first_create_plans_the_wait_then_the_delete():
    s = Stubbed()
    s.ok("describe_stacks", stack("ROLLBACK_IN_PROGRESS"))
    plan = p.plan_deploy(s.clients, request())
    s.assert_done()
    assert plan.steps[:3] == (st.WaitForStack(STACK, STACK_ID, "ROLLBACK_IN_PROGRESS"),
                              st.DeleteFailedStack(STACK, STACK_ID, "ROLLBACK_COMPLETE"),
                              st.CreateChangeSet(STACK, "CREATE"))
    assert any("reads it again after the wait" in note for note in plan.notes)
    assert plan.changes is None  # no preview asked for: no GetTemplate call either


def test_a_stuck_stack_is_a_plan_error_with_the_fix():
    s = Stubbed()
    s.ok("describe_stacks", stack("DELETE_FAILED"))
    with pytest.raises(CloudError) as caught:
        p.plan_deploy(s.clients, request())
    s.assert_done()
    assert "DELETE_FAILED and cannot be updated" in caught.value.message
    assert "lambdaserve destroy" in caught.value.hint


def test_a_missing_bucket_plans_its_creation_and_the_upload_without_probing_the_object(tmp_path):
    s = Stubbed(("s3",))
    steps = _zip_steps(s, tiny_zip(tmp_path / "app.zip"), bucket=False)
    s.assert_done()
    assert [type(step).__name__ for step in steps] == ["CreateBucket", "UploadArtifact"]
    assert steps[0].describe() == f"create artifact bucket {BUCKET} (private, versioned)"


def test_an_uploaded_zip_plans_no_upload(tmp_path):
    s = Stubbed(("s3",))
    assert _zip_steps(s, tiny_zip(tmp_path / "app.zip"), uploaded=True) == []
    s.assert_done()


def test_executing_the_plan_reads_the_stack_again_after_the_wait(tmp_path):
    # The plan predicted a delete after the rollback; the executor re-reads and asks first.
    s, ui = Stubbed(), RecordingUI(answers=[True])
    s.ok("describe_stacks", stack("ROLLBACK_IN_PROGRESS"))
    deployer = Deployer(s.clients, ui, sleep=s.sleeps, clock=lambda: 1_700_000_000.0, poll=5.0)
    plan = deployer.plan(request())
    s.ok("describe_stack_events", events(event(1, "Function", "CREATE_FAILED", "bad role")))
    s.ok("describe_stacks", stack("ROLLBACK_COMPLETE"))  # the wait: settled at once
    s.ok("describe_stack_events", events(event(1, "Function", "CREATE_FAILED", "bad role")))
    s.ok("describe_stacks", stack("ROLLBACK_COMPLETE"))  # read again before the change set
    s.ok("describe_stack_events", events())
    s.ok("delete_stack", {}, {"StackName": STACK_ID})
    s.ok("describe_stacks", stack("DELETE_COMPLETE"))
    s.ok("describe_stack_events", events())
    missing(s)  # and again: gone, so CREATE
    change_set(s, "CREATE", no_changes=True)
    s.ok("delete_change_set", {}, {"ChangeSetName": CS_ARN})
    s.ok("describe_stacks", stack("CREATE_COMPLETE", outputs=True))
    result = deployer.execute(plan, request())
    s.assert_done()
    assert result.outcome == "up-to-date"
    assert ui.questions == [f"Delete the failed stack {STACK} and recreate it?"]  # asked once, not twice


def test_template_changes_count_a_changed_parameter_as_a_modify_of_the_resources_using_it():
    old = {"Parameters": {"ArtifactKey": {"Type": "String", "Default": "a.zip"}},
           "Resources": {"Function": {"Type": "AWS::Lambda::Function",
                                      "Properties": {"Code": {"S3Key": {"Ref": "ArtifactKey"}}}},
                         "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
                         "Api": {"Type": "AWS::ApiGateway::RestApi",
                                 "Properties": {"Name": {"Fn::Sub": "api-${ArtifactKey}"}}}}}
    new = {**old, "Resources": {**old["Resources"],
                                "Role": {"Type": "AWS::IAM::Role", "Properties": {}}}}
    changes = template_changes(old, {"ArtifactKey": "a.zip"}, new, {"ArtifactKey": "b.zip"})
    assert [(c.action, c.logical_id) for c in changes] == [("Modify", "Function"), ("Modify", "Api"),
                                                           ("Add", "Role")]
    # the deployed value falls back to the template default; an unknown value is no change
    assert template_changes(old, {}, old, {"ArtifactKey": "a.zip"}) == ()
    assert template_changes(old, {}, old, {"ArtifactKey": "b.zip"}, unknown=["ArtifactKey"]) == ()
