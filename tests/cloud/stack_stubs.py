"""botocore Stubber sequences of CloudFormation answers for the deployer's tests: a stack in a given
state, its events, a change set, an execution and its wait, a failed stack's delete."""

from __future__ import annotations

from datetime import UTC, datetime

from lambdaserve.cloud.stack.deployer import Deployer, DeployRequest
from tests.cloud.fakes import RecordingUI, Stubbed
from tests.cloud.handmade import template

STACK = "lambdaserve-demo"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/lambdaserve-demo/1"
CS_ARN = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/lambdaserve-1/1"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
OUTPUTS = [
    {"OutputKey": k, "OutputValue": v}
    for k, v in {
        "ApiUrl": "https://abc.execute-api.us-east-1.amazonaws.com/prod",
        "FunctionName": "demo",
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:demo",
        "LogGroupName": "/aws/lambda/demo",
    }.items()
]


def stack(status: str, outputs: bool = False) -> dict:
    found = {"StackName": STACK, "StackId": STACK_ID, "StackStatus": status, "CreationTime": NOW}
    if outputs:
        found["Outputs"] = OUTPUTS
    return {"Stacks": [found]}


def event(n: int, logical: str, status: str, reason: str = "", kind: str = "AWS::Lambda::Function") -> dict:
    return {
        "StackId": STACK_ID,
        "EventId": f"e{n}",
        "StackName": STACK,
        "LogicalResourceId": logical,
        "ResourceType": kind,
        "Timestamp": NOW,
        "ResourceStatus": status,
        "ResourceStatusReason": reason,
    }


def events(*items: dict) -> dict:
    return {"StackEvents": list(reversed(items))}  # CloudFormation lists newest first


def missing(s: Stubbed) -> None:
    s.error("describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist")


def change_set(s: Stubbed, kind: str, *, no_changes: bool = False) -> None:
    s.ok(
        "create_change_set",
        {"Id": CS_ARN, "StackId": STACK_ID},
        {
            "StackName": STACK,
            "ChangeSetName": "lambdaserve-1700000000",
            "ChangeSetType": kind,
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
            "TemplateBody": _body(),
            "Parameters": [],
            "Tags": [],
        },
    )
    if no_changes:
        s.ok(
            "describe_change_set",
            {
                "ChangeSetId": CS_ARN,
                "StackId": STACK_ID,
                "Status": "FAILED",
                "ExecutionStatus": "UNAVAILABLE",
                "StatusReason": "The submitted information didn't contain changes. Submit different "
                "information to create a change set.",
            },
        )
        return
    s.ok(
        "describe_change_set",
        {
            "ChangeSetId": CS_ARN,
            "StackId": STACK_ID,
            "Status": "CREATE_COMPLETE",
            "Changes": [
                {
                    "Type": "Resource",
                    "ResourceChange": {
                        "Action": "Modify",
                        "LogicalResourceId": "Function",
                        "ResourceType": "AWS::Lambda::Function",
                        "Replacement": "False",
                    },
                }
            ],
        },
    )


def _body() -> str:
    import json

    return json.dumps(template())


def deployer(s: Stubbed, ui: RecordingUI) -> Deployer:
    return Deployer(s.clients, ui, sleep=s.sleeps, clock=lambda: 1_700_000_000.0, poll=5.0)


def request(**overrides) -> DeployRequest:
    return DeployRequest(stack=STACK, template=template(), parameters={}, smoke=False, **overrides)


def executed(s: Stubbed, final: str, *stream: dict) -> None:
    """execute_change_set, then the wait: one poll in progress, one settled."""
    s.ok(
        "describe_stack_events", events(event(1, STACK, "UPDATE_COMPLETE", kind="AWS::CloudFormation::Stack"))
    )
    s.ok("execute_change_set", {}, {"ChangeSetName": CS_ARN})
    s.ok(
        "describe_stacks", stack("UPDATE_IN_PROGRESS" if final.startswith("UPDATE") else "CREATE_IN_PROGRESS")
    )
    s.ok(
        "describe_stack_events",
        events(event(1, STACK, "UPDATE_COMPLETE", kind="AWS::CloudFormation::Stack"), *stream[:1]),
    )
    s.ok("describe_stacks", stack(final))
    s.ok(
        "describe_stack_events",
        events(event(1, STACK, "UPDATE_COMPLETE", kind="AWS::CloudFormation::Stack"), *stream),
    )


def deleted(s: Stubbed, failure: dict, event_no: int) -> None:
    """A failed stack deleted and waited for: the events that name the failure, delete_stack, one poll
    in progress (a DELETE_IN_PROGRESS event numbered ``event_no``, after what was seen), then gone."""
    s.ok("describe_stack_events", events(failure))
    s.ok("delete_stack", {}, {"StackName": STACK_ID})
    s.ok("describe_stacks", stack("DELETE_IN_PROGRESS"))
    s.ok("describe_stack_events",
         events(failure, event(event_no, STACK, "DELETE_IN_PROGRESS", kind="AWS::CloudFormation::Stack")))
    s.ok("describe_stacks", stack("DELETE_COMPLETE"))
    s.ok("describe_stack_events", events())


def created(s: Stubbed) -> None:
    """The plan finds no stack (deleted, or never made), then a CREATE change set runs to
    CREATE_COMPLETE and deploy reads the stack's outputs."""
    missing(s)
    change_set(s, "CREATE")
    executed(s, "CREATE_COMPLETE")
    s.ok("describe_stacks", stack("CREATE_COMPLETE", outputs=True))
