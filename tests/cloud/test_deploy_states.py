"""Stack states moto cannot reach (rollbacks, throttling, waits), one Stubber test per state."""

from __future__ import annotations

import pytest

from lambdaserve.cloud.stack.deployer import plan_stack
from lambdaserve.errors import CloudError
from tests.cloud.fakes import RecordingUI, Stubbed
from tests.cloud.stack_stubs import (
    CS_ARN,
    STACK,
    STACK_ID,
    change_set,
    created,
    deleted,
    deployer,
    event,
    events,
    executed,
    missing,
    request,
    stack,
)


def test_rollback_complete_is_deleted_and_recreated_after_confirmation():
    s, ui = Stubbed(), RecordingUI(answers=[True, True])
    s.ok("describe_stacks", stack("ROLLBACK_COMPLETE"), {"StackName": STACK})
    deleted(s, event(1, "Function", "CREATE_FAILED", "bad role"), 2)
    created(s)  # the plan again: no stack, so CREATE
    result = deployer(s, ui).deploy(request())
    s.assert_done()
    assert result.outcome == "created"
    assert ui.questions == [f"Delete the failed stack {STACK} and recreate it?", "Deploy these changes?"]
    assert any("ROLLBACK_COMPLETE" in w for w in ui.warnings)
    assert [e.status for e in ui.events][:1] == ["DELETE_IN_PROGRESS"]


def test_rollback_complete_is_left_alone_when_declined():
    s, ui = Stubbed(), RecordingUI(answers=[False])
    s.ok("describe_stacks", stack("ROLLBACK_COMPLETE"))
    with pytest.raises(CloudError) as caught:
        deployer(s, ui).deploy(request())
    assert "--yes" in caught.value.hint
    s.assert_done()  # nothing was deleted


def test_update_rollback_failed_continues_the_rollback_then_updates():
    s, ui = Stubbed(), RecordingUI()
    s.ok("describe_stacks", stack("UPDATE_ROLLBACK_FAILED"))
    s.ok("describe_stack_events", events(event(1, "Function", "UPDATE_FAILED", "throttled")))
    s.ok("continue_update_rollback", {}, {"StackName": STACK_ID})
    s.ok("describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"))
    s.ok("describe_stack_events", events(event(1, "Function", "UPDATE_FAILED", "throttled")))
    s.ok("describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"))  # the plan again: now updatable
    change_set(s, "UPDATE")
    executed(s, "UPDATE_COMPLETE")
    s.ok("describe_stacks", stack("UPDATE_COMPLETE", outputs=True))
    result = deployer(s, ui).deploy(request(assume_yes=True))
    s.assert_done()
    assert result.outcome == "updated" and result.outputs["FunctionName"] == "demo"
    assert any("UPDATE_ROLLBACK_FAILED" in w for w in ui.warnings)


def test_in_progress_stack_is_waited_for():
    s, ui = Stubbed(), RecordingUI()
    s.ok("describe_stacks", stack("UPDATE_IN_PROGRESS"))
    s.ok("describe_stack_events", events(event(1, "Function", "UPDATE_IN_PROGRESS")))
    for status in ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE"):
        s.ok("describe_stacks", stack(status))
        s.ok("describe_stack_events", events(event(1, "Function", "UPDATE_IN_PROGRESS")))
    s.ok("describe_stacks", stack("UPDATE_COMPLETE"))  # the plan again
    change_set(s, "UPDATE", no_changes=True)
    s.ok("delete_change_set", {}, {"ChangeSetName": CS_ARN})
    s.ok("describe_stacks", stack("UPDATE_COMPLETE", outputs=True))
    result = deployer(s, ui).deploy(request())
    s.assert_done()
    assert result.outcome == "up-to-date"
    assert s.sleeps == [5.0, 5.0]  # two polls while in progress, none once settled
    assert any("waiting" in line for line in ui.infos)


def test_no_changes_says_up_to_date_and_deletes_the_change_set():
    s, ui = Stubbed(), RecordingUI()
    s.ok("describe_stacks", stack("UPDATE_COMPLETE"))
    change_set(s, "UPDATE", no_changes=True)
    s.ok("delete_change_set", {}, {"ChangeSetName": CS_ARN})
    s.ok("describe_stacks", stack("UPDATE_COMPLETE", outputs=True))
    result = deployer(s, ui).deploy(request())
    s.assert_done()
    assert result.outcome == "up-to-date" and result.changes == ()
    assert ui.infos == [f"stack {STACK} is up to date: nothing to change"]
    assert ui.questions == []


def test_failed_resource_reason_is_shown_and_previous_version_keeps_serving():
    s, ui = Stubbed(), RecordingUI()
    s.ok("describe_stacks", stack("UPDATE_COMPLETE"))
    change_set(s, "UPDATE")
    executed(
        s,
        "UPDATE_ROLLBACK_COMPLETE",
        event(2, "Function", "UPDATE_FAILED", "MemorySize value failed to satisfy constraint"),
        event(3, "Api", "UPDATE_FAILED", "Resource update cancelled", kind="AWS::ApiGateway::RestApi"),
        event(4, STACK, "UPDATE_ROLLBACK_COMPLETE", kind="AWS::CloudFormation::Stack"),
    )
    with pytest.raises(CloudError) as caught:
        deployer(s, ui).deploy(request(assume_yes=True))
    s.assert_done()
    assert (
        "Function (AWS::Lambda::Function): MemorySize value failed to satisfy constraint"
        in caught.value.message
    )
    assert "cancelled" not in caught.value.message  # the cascade is noise next to the cause
    assert "previous version is still serving" in caught.value.hint
    assert [e.logical_id for e in ui.events] == ["Function", "Api", STACK]


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (None, "create"),
        ("REVIEW_IN_PROGRESS", "create"),
        ("CREATE_COMPLETE", "update"),
        ("UPDATE_ROLLBACK_COMPLETE", "update"),
        ("ROLLBACK_COMPLETE", "recreate"),
        ("UPDATE_ROLLBACK_FAILED", "continue-rollback"),
        ("DELETE_IN_PROGRESS", "wait"),
        ("DELETE_FAILED", "stuck"),
    ],
)
def test_plan_reads_the_stack_only(status, action):
    s = Stubbed()
    if status is None:
        missing(s)
    else:
        s.ok("describe_stacks", stack(status))
    assert plan_stack(s.clients, STACK).action == action
    s.assert_done()


def test_a_missing_permission_points_at_the_deployer_policy():
    from botocore.exceptions import ClientError

    from lambdaserve.cloud.aws import explain

    s = Stubbed()
    s.ok("describe_stacks", stack("UPDATE_COMPLETE"))
    s.error(
        "create_change_set",
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "
        "cloudformation:CreateChangeSet",
        status=403,
    )
    with pytest.raises(ClientError) as caught:
        deployer(s, RecordingUI()).deploy(request())
    error = explain(caught.value)
    assert error.message.startswith("AWS refused CreateChangeSet: AccessDenied: User:")
    assert "`lambdaserve policy`" in error.hint


def test_an_invalid_template_is_a_cloud_error_with_the_template_hint():
    s = Stubbed()
    s.ok("describe_stacks", stack("UPDATE_COMPLETE"))
    s.error("create_change_set", "ValidationError", "Template format error: Unresolved resource dependencies")
    with pytest.raises(CloudError) as caught:
        deployer(s, RecordingUI()).deploy(request())
    assert "Template format error" in caught.value.message and "lambdaserve template" in caught.value.hint


def test_status_of_a_failed_stack_names_the_failed_resources():
    from lambdaserve.cloud.stack.status import app_status

    s = Stubbed()
    s.ok("describe_stacks", stack("ROLLBACK_COMPLETE"))
    s.ok(
        "describe_stack_events",
        events(
            event(1, "Function", "CREATE_FAILED", "Resource handler returned: role cannot be assumed"),
            event(2, "Api", "CREATE_FAILED", "Resource creation cancelled", kind="AWS::ApiGateway::RestApi"),
            event(3, STACK, "ROLLBACK_COMPLETE", kind="AWS::CloudFormation::Stack"),
        ),
    )
    found = app_status(s.clients, STACK)
    s.assert_done()
    assert found.status == "ROLLBACK_COMPLETE" and found.function == {}
    assert [f.logical_id for f in found.failures] == ["Api", "Function"]  # newest first
    assert "role cannot be assumed" in found.failures[1].reason
