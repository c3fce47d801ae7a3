"""deploy's smoke test after /health: the golden requests build recorded, POSTed and compared."""

from __future__ import annotations

import json

from lambdaserve.cloud.stack import smoke_failure
from lambdaserve.cloud.stack.smoke import smoke_test
from lambdaserve.runtime.golden import GoldenRequest, GoldenSet

URL = "https://abc.execute-api.us-east-1.amazonaws.com/prod"
HEALTHY = (200, b'{"status":"ok","framework":"sklearn"}')


def _golden(*answers):
    return GoldenSet(tuple(GoldenRequest(f"row {i}", {"data": [[float(i)]]}, "/predict", answer=answer)
                           for i, answer in enumerate(answers)))


class Poster:
    """Answers POSTs from a table keyed by the body's row, and records what was sent."""

    def __init__(self, answers):
        self.answers, self.sent = answers, []

    def __call__(self, url, body, timeout):
        self.sent.append((url, json.loads(body)))
        return self.answers[json.loads(body)["data"][0][0]]


def test_every_golden_request_is_posted_and_the_same_answers_pass():
    golden = _golden({"predictions": [0]}, {"predictions": [2]})
    post = Poster({0.0: (200, b'{"predictions": [0]}'), 1.0: (200, b'{"predictions": [2]}')})
    result = smoke_test(URL, http_get=lambda url, timeout: HEALTHY, http_post=post, golden=golden)
    assert result.ok and result.golden_sent == 2, result.detail
    assert [url for url, _ in post.sent] == [f"{URL}/predict"] * 2
    assert "2 golden requests answered as recorded" in result.detail


def test_a_different_label_fails_the_smoke_test_naming_the_request():
    golden = _golden({"predictions": [0]}, {"predictions": [2]})
    post = Poster({0.0: (200, b'{"predictions": [0]}'), 1.0: (200, b'{"predictions": [1]}')})
    result = smoke_test(URL, http_get=lambda url, timeout: HEALTHY, http_post=post, golden=golden)
    assert not result.ok
    assert result.failures == ("row 1: answered differently: predictions[0]: 1 instead of 2 "
                               "(labels must match exactly)",)


def test_a_5xx_from_predict_fails_even_though_health_answers_200():
    # for parity: API Gateway's answer to a function error is a bare 502 {"message": "Internal server error"}
    golden = _golden({"predictions": [0.5]})
    post = Poster({0.0: (502, b'{"message": "Internal server error"}')})
    result = smoke_test(URL, http_get=lambda url, timeout: HEALTHY, http_post=post, golden=golden)
    assert not result.ok and "answered 502 instead of 200" in result.detail


def test_an_unreachable_predict_is_a_failure_not_a_crash():
    def post(url, body, timeout):
        raise OSError("Connection reset by peer")

    result = smoke_test(URL, http_get=lambda url, timeout: HEALTHY, http_post=post,
                        golden=_golden({"predictions": [0]}))
    assert not result.ok and "no answer (Connection reset by peer)" in result.detail


def test_golden_requests_are_not_sent_to_a_protected_api_and_the_result_says_so():
    post = Poster({})
    result = smoke_test(URL, http_get=lambda url, timeout: HEALTHY, http_post=post, auth="iam",
                        golden=_golden({"predictions": [0]}))
    assert result.ok and post.sent == [] and result.golden_sent == 0
    assert "api.auth = iam" in result.notes[0]


def test_no_golden_requests_is_the_health_check_alone():
    result = smoke_test(URL, http_get=lambda url, timeout: HEALTHY, http_post=Poster({}))
    assert result.ok and result.golden_sent == 0 and result.detail.startswith("200")


def test_the_deploy_error_carries_the_function_log_cause():
    golden = _golden({"predictions": [0]})
    post = Poster({0.0: (502, b'{"message": "Internal server error"}')})
    result = smoke_test(URL, http_get=lambda url, timeout: HEALTHY, http_post=post, golden=golden)
    error = smoke_failure(result, '{"level":"ERROR","error_type":"ValueError","message":"unhandled error"}',
                          golden=golden)
    assert "deployed, but the smoke test failed: POSTing the golden requests" in error.message
    assert "row 0: answered 502" in error.message
    assert 'the request: POST /predict {"data": [[0.0]]}' in error.message
    assert "ValueError" in error.hint and "lambdaserve logs" in error.hint


def test_the_function_log_cause_is_its_last_error_lines_read_from_cloudwatch():
    import time

    from lambdaserve.cloud.stack.execute import function_log_cause
    from tests.cloud.fakes import moto_clients, moto_server

    with moto_server() as endpoint:
        clients = moto_clients(endpoint)
        group = "/aws/lambda/tiny"
        clients.call("logs", "create_log_group", logGroupName=group)
        clients.call("logs", "create_log_stream", logGroupName=group, logStreamName="s")
        now = int(time.time() * 1000)
        # for parity: Lambda's START/END lines and the runtime's JSON lines, one event each
        lines = ["START RequestId: 1 Version: $LATEST",
                 '{"level":"ERROR","message":"unhandled error","error_type":"ValueError"}',
                 "END RequestId: 1"]
        clients.call("logs", "put_log_events", logGroupName=group, logStreamName="s",
                     logEvents=[{"timestamp": now + i, "message": line} for i, line in enumerate(lines)])
        assert function_log_cause(clients, group, since_ms=now - 1000) == lines[1]
        assert function_log_cause(clients, "/aws/lambda/missing", since_ms=now) == ""
        assert function_log_cause(clients, "", since_ms=now) == ""


def test_the_plan_says_the_smoke_test_posts_the_golden_requests():
    from lambdaserve.cloud.stack.steps import SmokeTest

    assert SmokeTest("", 2).describe() == ("smoke test: GET <ApiUrl>/health, then POST 2 golden requests "
                                           "and compare the answers")
    assert SmokeTest("https://x/prod").describe() == "smoke test: GET https://x/prod/health"
