"""The pre-traffic hook's replay, without Lambda: what counts as a pass and what is logged."""

from __future__ import annotations

import base64
import json

from lambdaserve.runtime.golden import GoldenRequest, GoldenSet
from lambdaserve.runtime.hook import http_event, proxy_answer, replay, run_hook

REQUEST = GoldenRequest("row 1", {"data": [[1, 2]]}, "/predict", "probabilities=true",
                        answer={"predictions": [0]})


def _proxy(status: int, body: object, *, b64: bool = False) -> bytes:
    text = json.dumps(body)
    if b64:
        text = base64.b64encode(text.encode()).decode()
    return json.dumps({"statusCode": status, "headers": {}, "body": text, "isBase64Encoded": b64}).encode()


def test_the_event_is_an_http_api_request_with_the_golden_body_and_query() -> None:
    event = http_event(REQUEST)
    # for parity: HTTP API payload 2.0 carries method in requestContext.http, a string body.
    assert event["version"] == "2.0" and event["requestContext"]["http"]["method"] == "POST"
    assert event["rawPath"] == "/predict" and event["rawQueryString"] == "probabilities=true"
    assert json.loads(event["body"]) == {"data": [[1, 2]]}


def test_proxy_answers_are_read_as_the_api_would_return_them() -> None:
    assert proxy_answer(_proxy(200, {"a": 1}), None) == (200, b'{"a": 1}')
    assert proxy_answer(_proxy(200, {"a": 1}, b64=True), None) == (200, b'{"a": 1}')
    # A raising function or a malformed answer is API Gateway's 502.
    assert proxy_answer(b'{"errorMessage": "boom"}', "Unhandled")[0] == 502
    assert proxy_answer(b'{"no": "statusCode"}', None)[0] == 502


def test_every_request_runs_and_each_failure_names_what_was_sent_and_got() -> None:
    second = GoldenRequest("row 2", {"data": [[3, 4]]}, "/predict", answer={"predictions": [1]})
    golden = GoldenSet((REQUEST, second))
    answers = iter([_proxy(200, {"predictions": [1]}), _proxy(200, {"predictions": [1]})])
    lines: list[str] = []
    tail = base64.b64encode(b"START RequestId: x\nEND RequestId: x\n").decode()
    result = replay(golden, lambda payload: (next(answers), None, tail), lines.append)
    assert result.status == "Failed" and result.passed == 1
    assert len(result.failures) == 1
    assert result.failures[0].startswith("FAIL row 1: POST /predict?probabilities=true")
    assert "predictions[0]: 1 instead of 0" in result.failures[0]
    assert any("START RequestId: x" in line for line in lines)  # the new version's own log lines


def test_an_empty_golden_set_is_not_a_pass() -> None:
    result = replay(GoldenSet(()), lambda payload: (b"", None, ""), lambda line: None)
    assert result.status == "Failed"


def test_all_recorded_answers_pass() -> None:
    result = replay(GoldenSet((REQUEST,)), lambda payload: (_proxy(200, {"predictions": [0]}), None, ""),
                    lambda line: None)
    assert (result.status, result.passed, result.failures) == ("Succeeded", 1, ())


def _stubbed(service: str):
    import boto3
    from botocore.stub import Stubber

    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    return client, Stubber(client)


TARGET = "arn:aws:lambda:us-east-1:123456789012:function:iris:7"
# for parity: CodeDeploy's lifecycle hook event has exactly these two keys.
EVENT = {"DeploymentId": "d-EXAMPLE123", "LifecycleEventHookExecutionId": "eyJleGFtcGxlIjoxfQ=="}


def _report(stub, status: str) -> None:
    stub.add_response("put_lifecycle_event_hook_execution_status",
                      {"lifecycleEventHookExecutionId": EVENT["LifecycleEventHookExecutionId"]},
                      {"deploymentId": EVENT["DeploymentId"],
                       "lifecycleEventHookExecutionId": EVENT["LifecycleEventHookExecutionId"],
                       "status": status})


def test_the_hook_invokes_the_new_versions_arn_and_reports_to_codedeploy(tmp_path) -> None:
    import io

    from botocore.response import StreamingBody

    (tmp_path / "golden.json").write_text(json.dumps(GoldenSet((REQUEST,)).to_dict()))
    lam, lam_stub = _stubbed("lambda")
    codedeploy, cd_stub = _stubbed("codedeploy")
    answer = _proxy(200, {"predictions": [0]})
    body = StreamingBody(io.BytesIO(answer), len(answer))
    lam_stub.add_response("invoke", {"StatusCode": 200, "Payload": body},
                          {"FunctionName": TARGET, "Payload": json.dumps(http_event(REQUEST)).encode(),
                           "LogType": "Tail"})
    _report(cd_stub, "Succeeded")
    with lam_stub, cd_stub:
        out = run_hook(EVENT, lam, codedeploy, tmp_path, TARGET, log=lambda line: None)
    assert out["status"] == "Succeeded"
    lam_stub.assert_no_pending_responses()
    cd_stub.assert_no_pending_responses()


def test_a_hook_that_cannot_check_still_reports_failed(tmp_path) -> None:
    lam, lam_stub = _stubbed("lambda")
    codedeploy, cd_stub = _stubbed("codedeploy")
    _report(cd_stub, "Failed")  # no golden.json in the zip: nothing invoked, Failed reported
    lines: list[str] = []
    with lam_stub, cd_stub:
        out = run_hook(EVENT, lam, codedeploy, tmp_path, TARGET, log=lines.append)
    assert out["status"] == "Failed" and any("could not check" in line for line in lines)
    cd_stub.assert_no_pending_responses()
