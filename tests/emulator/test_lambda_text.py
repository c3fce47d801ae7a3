"""Lambda's own words, checked against lines copied from CloudWatch and Invoke answers."""

from __future__ import annotations

import json
import re

from lambdaserve.emulator.execution import lambda_text as text

UUID = "160788cd-45ff-4583-809f-c7e31127cb95"


def test_report_line_matches_cloudwatch_layout():
    # for parity: REPORT fields are tab-separated; Init Duration only on a cold start
    cold = text.report_line(UUID, 12.341, 512, 88, 401.219)
    assert cold == (
        f"REPORT RequestId: {UUID}\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
        "Memory Size: 512 MB\tMax Memory Used: 88 MB\tInit Duration: 401.22 ms"
    )
    warm = text.report_line(UUID, 0.2, 128, 20, None)
    assert warm.endswith("Billed Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB")


def test_report_line_status_after_timeout_and_errors():
    # for parity: REPORT ends "\tStatus: timeout", or "\tStatus: error\tError Type: Runtime.OutOfMemory"
    timed_out = text.report_line(UUID, 3000.0, 128, 40, None, status="timeout")
    assert timed_out.endswith("Max Memory Used: 40 MB\tStatus: timeout")
    oom = text.report_line(UUID, 10.0, 128, 128, 200.0, status="error", error_type="Runtime.OutOfMemory")
    assert oom.endswith("Init Duration: 200.00 ms\tStatus: error\tError Type: Runtime.OutOfMemory")


def test_out_of_memory_payload():
    # for parity: the client of an OOM-killed invoke reads errorType Runtime.OutOfMemory
    body = json.loads(text.exit_payload(UUID, -9, out_of_memory=True))
    assert body == {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": f"RequestId: {UUID} Error: Runtime exited with error: signal: killed",
    }


def test_init_start_line():
    # for parity: "INIT_START Runtime Version: python:3.13.v14\tRuntime Version ARN: arn:aws:lambda:..."
    line = text.init_start_line("3.12", "eu-south-1")
    assert re.fullmatch(r"INIT_START Runtime Version: python:3\.12\.v\d+\t"
                        r"Runtime Version ARN: arn:aws:lambda:eu-south-1::runtime:[0-9a-f]{64}", line)
    assert line == text.init_start_line("3.12", "eu-south-1")  # one runtime version per Python


def test_start_and_end_lines():
    assert text.start_line(UUID) == f"START RequestId: {UUID} Version: $LATEST"
    assert text.end_line(UUID) == f"END RequestId: {UUID}"


def test_timeout_message_has_date_id_and_seconds():
    # for parity: "2020-11-10T05:46:57.874Z <id> Task timed out after 3.07 seconds"
    body = json.loads(text.timeout_payload(UUID, 3.0712))
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {UUID} Task timed out after 3\.07 seconds",
        body["errorMessage"],
    )
    assert body["errorType"] == "Sandbox.Timedout"


def test_exit_reasons_use_go_wording():
    # for parity: "RequestId: <id> Error: Runtime exited with error: signal: killed"
    assert text.exit_reason(3) == "exit status 3"
    assert text.exit_reason(-9) == "signal: killed"
    assert text.exit_reason(-11) == "signal: segmentation fault"
    body = json.loads(text.exit_payload(UUID, -9))
    assert body == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {UUID} Error: Runtime exited with error: signal: killed",
    }


def test_response_too_large_names_lambdas_limit():
    body = json.loads(text.response_too_large_payload())
    assert body["errorType"] == "Function.ResponseSizeTooLarge"
    assert "(6291556 bytes)." in body["errorMessage"]


def test_init_error_gets_the_invocations_request_id():
    posted = b'{"errorMessage": "Unable to import module", "errorType": "Runtime.ImportModuleError", ' \
             b'"requestId": "", "stackTrace": []}'
    assert json.loads(text.with_request_id(posted, UUID))["requestId"] == UUID


def test_log_stream_and_arn_shapes():
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", text.log_stream_name())
    assert text.function_arn("eu-west-1", "iris") == "arn:aws:lambda:eu-west-1:123456789012:function:iris"
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0", text.trace_id())


def test_request_ids_are_distinct_version_4_uuids():
    # for parity: Lambda and API Gateway request ids are RFC 4122 version-4 UUIDs, lowercase
    import uuid

    ids = [text.request_id() for _ in range(4000)]
    assert len(set(ids)) == len(ids)
    for rid in ids:
        parsed = uuid.UUID(rid)
        assert str(parsed) == rid and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert {rid[19] for rid in ids} == set("89ab")  # every variant digit turns up
    assert len({rid[0] for rid in ids}) == 16  # and the leading digit is not biased to a few
