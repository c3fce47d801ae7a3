"""A change set's documented Action and Replacement values are read as typed values; a value
CloudFormation adds later is shown cautiously instead of failing the deploy."""

from __future__ import annotations

from lambdaserve.cloud.stack.changeset import Change, create_change_set, describe_changes
from tests.cloud.fakes import Stubbed

ARN = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/c/1"


def _answer(s: Stubbed, *resource_changes: dict[str, str]) -> None:
    s.ok("create_change_set", {"Id": ARN, "StackId": "stack-1"})
    s.ok("describe_change_set", {"ChangeSetId": ARN, "StackId": "stack-1", "Status": "CREATE_COMPLETE",
                                 "Changes": [{"Type": "Resource", "ResourceChange": rc}
                                             for rc in resource_changes]})


def _create(s: Stubbed) -> tuple[Change, ...]:
    made = create_change_set(s.clients, stack="demo", name="c", template={"Resources": {}}, parameters={},
                             change_set_type="UPDATE", tags={}, sleep=s.sleeps)
    assert made.status == "CREATE_COMPLETE"
    return made.changes


def test_documented_values_are_kept_and_described() -> None:
    # for parity: ResourceChange.Action: Add|Modify|Remove|Import|Dynamic; Replacement: True|False|Conditional
    s = Stubbed()
    _answer(s, {"Action": "Modify", "LogicalResourceId": "Api", "ResourceType": "AWS::ApiGateway::RestApi",
                "Replacement": "True"},
            {"Action": "Remove", "LogicalResourceId": "Old", "ResourceType": "AWS::SNS::Topic"})
    changes = _create(s)
    assert [(c.action, c.replacement) for c in changes] == [("Modify", "True"), ("Remove", "")]
    assert describe_changes(changes) == ["~ Modify Api (AWS::ApiGateway::RestApi)  replacement: True",
                                         "- Remove Old (AWS::SNS::Topic)"]
    s.assert_done()


def test_an_unknown_action_or_replacement_is_shown_cautiously() -> None:
    s = Stubbed()
    _answer(s, {"Action": "Reshape", "LogicalResourceId": "Fn", "ResourceType": "AWS::Lambda::Function",
                "Replacement": "Sometimes"})
    (change,) = _create(s)
    assert (change.action, change.replacement) == ("Dynamic", "Conditional")
    assert describe_changes((change,)) == ["* Dynamic Fn (AWS::Lambda::Function)"]
    s.assert_done()
