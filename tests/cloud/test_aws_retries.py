"""Retries and paging are botocore's: throttling through a real HTTP front of moto, pages by Stubber."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from lambdaserve.cloud.aws import explain
from lambdaserve.cloud.stack.deployer import plan_stack
from tests.cloud.fakes import Stubbed, moto_clients, moto_server, throttling_front


def test_throttling_is_retried_until_aws_answers():
    with moto_server() as moto, throttling_front(moto, refusals=2) as front:
        clients = moto_clients(front.url)
        plan = plan_stack(clients, "lambdaserve-absent")
    assert plan.action == "create"  # moto's answer, reached on the third attempt
    assert front.seen == 3


def test_throttling_gives_up_after_the_attempts_and_says_so():
    with moto_server() as moto, throttling_front(moto, refusals=10) as front:
        clients = moto_clients(front.url, max_attempts=2)
        with pytest.raises(ClientError, match="Rate exceeded") as caught:
            clients.call("cloudformation", "describe_stacks")
    assert front.seen == 2  # total attempts, the first included
    assert "through every retry" in explain(caught.value).hint


def test_change_set_pages_after_the_first_are_read_with_its_token():
    from lambdaserve.cloud.stack.changeset import _changes

    s = Stubbed()
    arn = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/lambdaserve-1/1"
    change = {"Type": "Resource", "ResourceChange": {"Action": "Add", "LogicalResourceId": "Api",
                                                      "ResourceType": "AWS::ApiGateway::RestApi"}}
    s.ok("describe_change_set", {"Changes": [change], "Status": "CREATE_COMPLETE"},
         {"ChangeSetName": arn, "NextToken": "t2"})
    on_page_1 = {**change, "ResourceChange": {**change["ResourceChange"], "LogicalResourceId": "Fn"}}
    first = {"Changes": [on_page_1], "NextToken": "t2"}
    assert [c.logical_id for c in _changes(s.clients, arn, first)] == ["Fn", "Api"]
    s.assert_done()


def test_log_events_are_paged_by_lower_case_next_token():
    from lambdaserve.cloud.ops.logs import read_logs

    s = Stubbed(services=("logs",))
    params = {"logGroupName": "/aws/lambda/demo", "startTime": 0, "interleaved": True}
    event = {"logStreamName": "s", "timestamp": 1, "message": "one", "ingestionTime": 1, "eventId": "1"}
    s.ok("filter_log_events", {"events": [event], "nextToken": "n2"}, params, service="logs")
    s.ok("filter_log_events", {"events": [{**event, "eventId": "2", "message": "two"}]},
         {**params, "nextToken": "n2"}, service="logs")
    found = read_logs(s.clients, "/aws/lambda/demo", since_seconds=60, clock=lambda: 60.0)
    assert [e.message for e in found] == ["one", "two"]
    s.assert_done()

