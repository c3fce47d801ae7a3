"""ECR, logs and remote invoke, against moto over HTTP (and a Stubber where moto needs Docker)."""

from __future__ import annotations

import base64
import io
import json
import time
from datetime import datetime

import pytest
from botocore.response import StreamingBody

from lambdaserve.cloud.ops.logs import parse_since, read_logs
from lambdaserve.cloud.ops.remote import remote_invoke
from lambdaserve.cloud.store.buckets import ecr_credentials, ensure_repository, lifecycle_policy
from lambdaserve.errors import CloudError
from tests.cloud.fakes import RecordingUI, Sleeps, Stubbed, moto_clients, moto_server


@pytest.fixture(scope="module")
def clients():
    with moto_server() as url:
        yield moto_clients(url)


def test_repository_is_created_once_with_scanning_and_lifecycle(clients):
    ui = RecordingUI()
    uri = ensure_repository(clients, "lambdaserve/demo", ui.info)
    assert uri.endswith(".dkr.ecr.us-east-1.amazonaws.com/lambdaserve/demo")
    assert ensure_repository(clients, "lambdaserve/demo", ui.info) == uri
    assert ui.infos == ["creating ECR repository lambdaserve/demo"]
    repo = clients.call("ecr", "describe_repositories", repositoryNames=["lambdaserve/demo"])["repositories"][
        0
    ]
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    policy = clients.call("ecr", "get_lifecycle_policy", repositoryName="lambdaserve/demo")
    assert json.loads(policy["lifecyclePolicyText"]) == json.loads(lifecycle_policy())


def test_ecr_credentials_come_fresh_from_get_authorization_token():
    s = Stubbed(("ecr",))
    for password in ("first", "second"):
        s.ok(
            "get_authorization_token",
            {
                "authorizationData": [
                    {
                        "authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
                        "expiresAt": datetime(2030, 1, 1),
                        "proxyEndpoint": "https://1.dkr.ecr.us-east-1.amazonaws.com",
                    }
                ]
            },
            service="ecr",
        )
    registry = "1.dkr.ecr.us-east-1.amazonaws.com"
    assert ecr_credentials(s.clients, registry)[:2] == ("AWS", "first")
    assert ecr_credentials(s.clients, registry)[:2] == ("AWS", "second")  # never cached
    s.assert_done()


def test_logs_since_and_tail(clients):
    group = "/aws/lambda/logs-demo"
    clients.call("logs", "create_log_group", logGroupName=group)
    clients.call("logs", "create_log_stream", logGroupName=group, logStreamName="s1")
    now = float(int(time.time()))  # moto, like AWS, rejects events far from the real clock
    clients.call(
        "logs",
        "put_log_events",
        logGroupName=group,
        logStreamName="s1",
        logEvents=[
            {"timestamp": int((now - 3600) * 1000), "message": "old"},
            {"timestamp": int((now - 60) * 1000), "message": "START RequestId: 1\n"},
        ],
    )
    recent = [
        e.message for e in read_logs(clients, group, since_seconds=parse_since("10m"), clock=lambda: now)
    ]
    assert recent == ["START RequestId: 1"]

    sleeps, rounds, put = Sleeps(), iter([True, True, False]), []

    def keep_going() -> bool:
        if sleeps and not put:  # during the first pause a new line arrives
            put.append(1)
            clients.call(
                "logs",
                "put_log_events",
                logGroupName=group,
                logStreamName="s1",
                logEvents=[{"timestamp": int((now - 30) * 1000), "message": "REPORT RequestId: 1"}],
            )
        return next(rounds)

    tailed = [
        e.message
        for e in read_logs(
            clients,
            group,
            since_seconds=600,
            tail=True,
            clock=lambda: now,
            sleep=sleeps,
            poll=2.0,
            keep_going=keep_going,
        )
    ]
    assert tailed == ["START RequestId: 1", "REPORT RequestId: 1"]  # each line once
    assert sleeps == [2.0, 2.0]


def test_logs_of_a_missing_group_say_deploy_first(clients):
    with pytest.raises(CloudError) as caught:
        list(read_logs(clients, "/aws/lambda/nope", since_seconds=60))
    assert "lambdaserve deploy" in caught.value.hint


@pytest.mark.parametrize(("text", "seconds"), [("10m", 600), ("30s", 30), ("2h", 7200), ("1d", 86400)])
def test_parse_since(text, seconds):
    assert parse_since(text) == seconds


def test_parse_since_refuses_nonsense():
    with pytest.raises(CloudError):
        parse_since("ten minutes")


def test_remote_invoke_decodes_the_log_tail():
    s = Stubbed(("lambda",))
    tail = "START RequestId: r1\nEND RequestId: r1\nREPORT RequestId: r1\tDuration: 2.00 ms\n"
    body = b'{"errorMessage": "boom", "errorType": "ValueError"}'
    s.ok(
        "invoke",
        {
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "ExecutedVersion": "$LATEST",
            "LogResult": base64.b64encode(tail.encode()).decode(),
            "Payload": StreamingBody(io.BytesIO(body), len(body)),
        },
        {"FunctionName": "demo", "Payload": b"{}", "InvocationType": "RequestResponse", "LogType": "Tail"},
        service="lambda",
    )
    result = remote_invoke(s.clients, "demo", b"{}")
    # for parity: a handler error is still HTTP 200, flagged by FunctionError
    assert (result.status, result.function_error, result.payload) == (200, "Unhandled", body)
    assert result.log_tail == tail


def test_remote_invoke_of_a_missing_function_says_deploy():
    s = Stubbed(("lambda",))
    s.error("invoke", "ResourceNotFoundException", "Function not found", status=404, service="lambda")
    with pytest.raises(CloudError) as caught:
        remote_invoke(s.clients, "demo", b"{}")
    assert "lambdaserve deploy" in caught.value.hint
