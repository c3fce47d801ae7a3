"""The Invoke API over real HTTP with boto3 (dummy credentials) and http.client."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from lambdaserve.emulator.fronts.apigw import ApiGateway, ApiSettings
from lambdaserve.emulator.fronts.invoke_api import InvokeApi, log_result
from lambdaserve.emulator.fronts.server import EmulatorServer
from tests.emulator.front_handlers.handlers import handler
from tests.emulator.front_handlers.inprocess import InProcessLambda


@pytest.fixture
def served():
    lam = InProcessLambda(handler, concurrency=4)
    lines: list[str] = []
    server = EmulatorServer(ApiGateway(lam, ApiSettings()), InvokeApi({"fn": lam}, log=lines.append),
                            port=0).start()
    try:
        yield server, lam, lines
    finally:
        server.close()


def _client(url: str):
    # Invoke runs once: botocore would otherwise retry 429s with backoff.
    return boto3.client("lambda", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"total_max_attempts": 1}))


def test_boto3_round_trip_with_log_tail(served):
    server, lam, _ = served
    res = _client(server.url).invoke(FunctionName="fn", Payload=json.dumps({"respond": {"y": [1, 2]}}),
                                     LogType="Tail")
    assert res["StatusCode"] == 200 and res["ExecutedVersion"] == "$LATEST"
    assert json.loads(res["Payload"].read()) == {"y": [1, 2]}
    assert "FunctionError" not in res
    log = base64.b64decode(res["LogResult"]).decode()
    request_id = res["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {request_id}" in log and f"REPORT RequestId: {request_id}" in log
    # a direct invoke gets the payload unchanged as its event
    assert lam.events == [{"respond": {"y": [1, 2]}}]


def test_boto3_function_error_unhandled(served):
    server, _, _ = served
    res = _client(server.url).invoke(FunctionName="fn", Payload=b'{"raise": "no model"}')
    # for parity: a handler exception is a 200 with X-Amz-Function-Error: Unhandled
    assert res["StatusCode"] == 200 and res["FunctionError"] == "Unhandled"
    err = json.loads(res["Payload"].read())
    assert err["errorType"] == "ValueError" and err["errorMessage"] == "no model"
    assert "LogResult" not in res


def test_boto3_function_name_as_arn(served):
    server, _, _ = served
    arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
    assert _client(server.url).invoke(FunctionName=arn, Payload=b"{}")["StatusCode"] == 200


def test_boto3_event_and_dry_run(served):
    server, lam, _ = served
    client = _client(server.url)
    assert client.invoke(FunctionName="fn", InvocationType="DryRun", Payload=b"{}")["StatusCode"] == 204
    assert lam.events == []
    assert client.invoke(FunctionName="fn", InvocationType="Event",
                         Payload=b'{"print": "async"}')["StatusCode"] == 202
    server.close()  # drains Event invokes
    assert lam.events == [{"print": "async"}]


def test_boto3_unknown_function_is_resource_not_found(served):
    server, _, _ = served
    with pytest.raises(ClientError) as caught:
        _client(server.url).invoke(FunctionName="nope", Payload=b"{}")
    err = caught.value.response
    assert err["Error"]["Code"] == "ResourceNotFoundException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "function:nope" in err["Error"]["Message"]


def test_boto3_other_qualifier_is_not_found(served):
    server, _, _ = served
    with pytest.raises(ClientError) as caught:
        _client(server.url).invoke(FunctionName="fn", Qualifier="live", Payload=b"{}")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_boto3_throttle_is_too_many_requests():
    lam = InProcessLambda(handler, concurrency=0)
    server = EmulatorServer(ApiGateway(lam, ApiSettings()), InvokeApi({"fn": lam}), port=0).start()
    with server, pytest.raises(ClientError) as caught:
        _client(server.url).invoke(FunctionName="fn", Payload=b"{}")
    err = caught.value.response
    # for parity: Lambda throttles with 429 TooManyRequestsException "Rate Exceeded."
    assert err["Error"]["Code"] == "TooManyRequestsException"
    assert err["Error"]["Message"] == "Rate Exceeded."
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 429


def _raw(server, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("POST", "/2015-03-31/functions/fn/invocations", body=body, headers=headers)
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
    finally:
        conn.close()


def test_payload_limits(served):
    server, lam, _ = served
    status, headers, body = _raw(server, b'{"a":"' + b"x" * (6 * 1024 * 1024) + b'"}', {})
    # for parity: 6 MB for synchronous invokes, 256 KB for Event
    assert status == 413 and headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    status, headers, _ = _raw(server, b'{"a":"' + b"x" * (256 * 1024) + b'"}',
                              {"X-Amz-Invocation-Type": "Event"})
    assert status == 413
    assert lam.events == []


_PARSE_PREFIX = "Could not parse request body into json: Could not parse payload into json: "


@pytest.mark.parametrize(("body", "reason"), [
    (b"not json", "Expecting value: line 1, column 1"),
    (b"\x87{}", "Invalid UTF-8 start byte 0x87"),  # the reason Lambda itself gives for this byte
    (b"[" * 10_000 + b"]" * 10_000, "Document nesting depth exceeds the maximum allowed"),
    (b'{"n": ' + b"7" * 5000 + b"}", "Number value length exceeds the maximum allowed"),
    (b'{"a": 1,}', "Expecting property name enclosed in double quotes: line 1, column 9"),
    (b"[1, NaN]", "Non-standard token 'NaN'"),  # not JSON; the runtime would fail to unmarshal it
    (b"-Infinity", "Non-standard token '-Infinity'"),
    # Python's json reads UTF-16 and UTF-32 bytes; Lambda's parser takes UTF-8 only, and the
    # runtime would then fail with Runtime.UnmarshalError.
    ('{"a": 1}'.encode("utf-16"), "Invalid UTF-8 start byte 0xff"),
    ('{"a": 1}'.encode("utf-16-be"), "Expecting value: line 1, column 1"),
    ('{"a": 1}'.encode("utf-16-le"), "Expecting property name enclosed in double quotes: line 1, column 2"),
    ('{"a": 1}'.encode("utf-32"), "Invalid UTF-8 start byte 0xff"),
])
def test_body_that_is_not_json_is_rejected(served, body, reason):
    # for parity: Lambda reads the payload as UTF-8 only; UTF-16/32 is InvalidRequestContentException
    server, lam, _ = served
    status, headers, answer = _raw(server, body, {})
    # for parity: Lambda answers 400 InvalidRequestContentException "Could not parse request body..."
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidRequestContentException"
    assert json.loads(answer)["message"] == _PARSE_PREFIX + reason
    assert lam.events == []
    # the connection and the server live on: the next invoke is served
    assert _raw(server, b'{"respond": 1}', {})[::2] == (200, b"1")


def test_boto3_sees_invalid_request_content(served):
    server, _, _ = served
    with pytest.raises(ClientError) as caught:
        _client(server.url).invoke(FunctionName="fn", Payload=b"[" * 10_000)
    assert caught.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_log_result_keeps_the_last_4_kb():
    tail = "a" * 5000 + "END"
    decoded = base64.b64decode(log_result(tail))
    assert len(decoded) == 4096 and decoded.endswith(b"END")


def test_api_routes_and_invoke_api_share_one_port(served):
    server, _, _ = served
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for _ in range(3):  # one keep-alive connection for several requests
            conn.request("POST", "/prod/predict", body=b'{"respond": {"statusCode": 200, "body": "ok"}}')
            res = conn.getresponse()
            assert (res.status, res.read()) == (200, b"ok")
        conn.request("POST", "/2015-03-31/functions/fn/invocations", body=b'{"respond": 7}')
        res = conn.getresponse()
        assert (res.status, res.read()) == (200, b"7")
    finally:
        conn.close()


def test_throttled_event_invoke_is_retried_until_a_slot_frees():
    lam = InProcessLambda(handler, concurrency=1)
    with EmulatorServer(ApiGateway(lam, ApiSettings()), InvokeApi({"fn": lam}), port=0).start() as server:
        busy = threading.Thread(target=_raw, args=(server, b'{"sleep": 0.4}', {}))
        busy.start()
        time.sleep(0.1)  # the one slot is taken now
        status, _, _ = _raw(server, b'{"print": "queued"}', {"X-Amz-Invocation-Type": "Event"})
        busy.join()
        deadline = time.monotonic() + 5
        while {"print": "queued"} not in lam.events and time.monotonic() < deadline:
            time.sleep(0.05)
    # for parity: Lambda queues a throttled Event invoke and retries it instead of failing the caller
    assert status == 202 and {"print": "queued"} in lam.events


class _Clock:
    """A monotonic clock the test moves by hand (the event queue's age, not its sleeps)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _wait_for(check, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not check() and time.monotonic() < deadline:
        time.sleep(0.02)
    return check()


def test_throttled_event_invoke_is_kept_for_hours_not_a_minute():
    lam = InProcessLambda(handler, concurrency=1)
    clock = _Clock()
    lines: list[str] = []
    api = InvokeApi({"fn": lam}, log=lines.append, clock=clock)
    with EmulatorServer(ApiGateway(lam, ApiSettings()), api, port=0).start() as server:
        busy = threading.Thread(target=_raw, args=(server, b'{"sleep": 0.6}', {}))
        busy.start()
        time.sleep(0.1)  # the one slot is taken now
        assert _raw(server, b'{"print": "late"}', {"X-Amz-Invocation-Type": "Event"})[0] == 202
        clock.now += 2 * 3600  # two hours of throttling: far past the old 60 s, within AWS's 6 h
        busy.join()
        # for parity: Lambda retries a throttled Event invoke for up to 6 hours (maximum event age)
        assert _wait_for(lambda: {"print": "late"} in lam.events), lines
        hold = threading.Thread(target=_raw, args=(server, b'{"sleep": 0.6}', {}))
        hold.start()
        time.sleep(0.1)
        assert _raw(server, b'{"print": "too old"}', {"X-Amz-Invocation-Type": "Event"})[0] == 202
        clock.now += 6 * 3600 + 1
        hold.join()
        assert _wait_for(lambda: any("too old" not in line and "dropped" in line for line in lines))
    assert {"print": "too old"} not in lam.events
    assert any("older than the maximum event age of 6 hours" in line for line in lines), lines


def test_queued_event_invokes_leave_room_for_synchronous_ones():
    lam = InProcessLambda(handler, concurrency=3)
    with EmulatorServer(ApiGateway(lam, ApiSettings()), InvokeApi({"fn": lam}), port=0).start() as server:
        for i in range(6):
            assert _raw(server, json.dumps({"sleep": 0.15, "n": i}).encode(),
                        {"X-Amz-Invocation-Type": "Event"})[0] == 202
        statuses = [_raw(server, b'{"respond": 1}', {})[0] for _ in range(10)]
        # for parity: an Event backlog waits in Lambda's queue; it does not take every environment
        # from synchronous callers while it drains
        assert statuses == [200] * 10
        assert _wait_for(lambda: sum("n" in e for e in lam.events if isinstance(e, dict)) == 6)
