"""Issue 17 item 7: a first REST deploy can fail on AWS::ApiGateway::Account because IAM has not
propagated its new role; deploy recognises exactly that reason, waits, and retries once (Stubber:
moto ignores Account and has no rollback states)."""

from __future__ import annotations

import pytest

from lambdaserve.cloud.stack.role_race import PROPAGATION_WAIT_S, REASON
from lambdaserve.errors import CloudError
from tests.cloud.fakes import RecordingUI, Stubbed
from tests.cloud.stack_stubs import (
    change_set,
    created,
    deleted,
    deployer,
    event,
    executed,
    missing,
    request,
    stack,
)

ACCOUNT = "AWS::ApiGateway::Account"
# for parity: the event CloudFormation records when API Gateway refuses a role IAM has not propagated
RACE = event(2, "ApiGatewayAccount", "CREATE_FAILED",
             f"{REASON} (Service: ApiGateway, Status Code: 400, Request ID: 8f1c)", kind=ACCOUNT)
CANCELLED = event(3, "ApiStage", "CREATE_FAILED", "Resource creation cancelled",
                  kind="AWS::ApiGateway::Stage")


def test_a_first_create_that_races_the_role_is_deleted_and_created_again_once() -> None:
    s, ui = Stubbed(), RecordingUI(answers=[True])
    missing(s)
    change_set(s, "CREATE")
    executed(s, "ROLLBACK_COMPLETE", RACE, CANCELLED)
    deleted(s, RACE, 4)  # the cursor starts after what was seen (RACE e2, CANCELLED e3)
    created(s)  # read again: gone, so CREATE
    result = deployer(s, ui).deploy(request())
    s.assert_done()
    assert result.outcome == "created"
    assert s.sleeps.count(PROPAGATION_WAIT_S) == 1
    assert ui.questions == ["Deploy these changes?"]  # asked once: the retry runs the same changes
    assert any("IAM had propagated" in w for w in ui.warnings)


def test_an_update_that_adds_the_account_retries_without_deleting() -> None:
    s, ui = Stubbed(), RecordingUI()
    s.ok("describe_stacks", stack("UPDATE_COMPLETE"))
    change_set(s, "UPDATE")
    executed(s, "UPDATE_ROLLBACK_COMPLETE", RACE)
    s.ok("describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"))  # read again: updatable
    change_set(s, "UPDATE")
    executed(s, "UPDATE_COMPLETE")
    s.ok("describe_stacks", stack("UPDATE_COMPLETE", outputs=True))
    result = deployer(s, ui).deploy(request(assume_yes=True))
    s.assert_done()
    assert result.outcome == "updated" and s.sleeps.count(PROPAGATION_WAIT_S) == 1


def test_a_second_race_is_reported_not_retried_again() -> None:
    s, ui = Stubbed(), RecordingUI()
    s.ok("describe_stacks", stack("UPDATE_COMPLETE"))
    change_set(s, "UPDATE")
    executed(s, "UPDATE_ROLLBACK_COMPLETE", RACE)
    s.ok("describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"))
    change_set(s, "UPDATE")
    executed(s, "UPDATE_ROLLBACK_COMPLETE", RACE)
    with pytest.raises(CloudError) as caught:
        deployer(s, ui).deploy(request(assume_yes=True))
    s.assert_done()
    assert REASON in caught.value.message and "tried once more" in caught.value.hint
    assert s.sleeps.count(PROPAGATION_WAIT_S) == 1


@pytest.mark.parametrize("failures", [
    # another reason on the same resource
    (event(2, "ApiGatewayAccount", "CREATE_FAILED", "Rate exceeded", kind=ACCOUNT),),
    # the same reason alongside a real failure elsewhere: retrying would not fix that one
    (RACE, event(3, "Function", "CREATE_FAILED", "MemorySize value failed to satisfy constraint")),
])
def test_other_failures_are_not_retried(failures) -> None:
    s, ui = Stubbed(), RecordingUI()
    s.ok("describe_stacks", stack("UPDATE_COMPLETE"))
    change_set(s, "UPDATE")
    executed(s, "UPDATE_ROLLBACK_COMPLETE", *failures)
    with pytest.raises(CloudError):
        deployer(s, ui).deploy(request(assume_yes=True))
    s.assert_done()
    assert PROPAGATION_WAIT_S not in s.sleeps
