"""The post-deploy health check, big templates through S3, and bucket creation outside us-east-1."""

from __future__ import annotations

import json

import pytest

from lambdaserve.cloud.stack.changeset import MAX_TEMPLATE_BODY, create_change_set, template_url_if_large
from lambdaserve.cloud.stack.smoke import smoke_test
from lambdaserve.cloud.store.buckets import ensure_bucket
from tests.cloud.fakes import FAKE_ENV, Sleeps, moto_clients, moto_server
from tests.cloud.handmade import template

URL = "https://abc.execute-api.us-east-1.amazonaws.com/prod"


def _getter(*answers):
    calls = []

    def get(url, timeout):
        calls.append(url)
        answer = answers[len(calls) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return get, calls


def test_health_is_retried_until_the_new_api_answers():
    # for parity: a fresh API Gateway stage can answer 403/404 or fail DNS for a few seconds
    get, calls = _getter(
        OSError("Name or service not known"),
        (403, b'{"message":"Forbidden"}'),
        (502, b'{"message": "Internal server error"}'),
        (200, b'{"status":"ok"}'),
    )
    sleeps = Sleeps()
    result = smoke_test(URL, http_get=get, sleep=sleeps, delay=3.0)
    assert result.ok and result.attempts == 4 and calls == [URL + "/health"] * 4
    assert sleeps == [3.0, 3.0, 3.0]


def test_a_persistent_failure_reports_the_last_answer():
    get, _ = _getter(*[(502, b'{"message": "Internal server error"}')] * 3)
    result = smoke_test(URL, http_get=get, sleep=Sleeps(), attempts=3)
    assert not result.ok and result.status == 502 and "Internal server error" in result.detail


def test_a_client_error_is_not_retried():
    get, calls = _getter((400, b"bad"))
    assert not smoke_test(URL, http_get=get, sleep=Sleeps()).ok and len(calls) == 1


def test_a_protected_api_counts_as_healthy_when_auth_is_configured():
    get, _ = _getter((403, b'{"message":"Forbidden"}'))
    result = smoke_test(URL, http_get=get, sleep=Sleeps(), auth="api_key")
    assert result.ok and "api_key" in result.detail


@pytest.fixture(scope="module")
def endpoint():
    with moto_server() as url:
        yield url


def test_a_big_template_goes_through_s3(endpoint):
    clients = moto_clients(endpoint)
    ensure_bucket(clients, "lambdaserve-artifacts-123456789012-us-east-1")
    small = template()
    assert (
        template_url_if_large(
            clients, small, bucket="lambdaserve-artifacts-123456789012-us-east-1", app="big"
        )
        is None
    )
    big = {**small, "Metadata": {"Padding": "x" * MAX_TEMPLATE_BODY}}
    url = template_url_if_large(
        clients, big, bucket="lambdaserve-artifacts-123456789012-us-east-1", app="big"
    )
    assert url is not None and url.startswith(
        "https://lambdaserve-artifacts-123456789012-us-east-1.s3.us-east-1.amazonaws.com/big/templates/"
    )
    key = url.split(".amazonaws.com/", 1)[1]
    stored = clients.call("s3", "get_object", Bucket="lambdaserve-artifacts-123456789012-us-east-1", Key=key)
    assert json.loads(stored["Body"].read()) == big
    clients.call("s3", "create_bucket", Bucket="code-bucket")
    clients.call("s3", "put_object", Bucket="code-bucket", Key="k.zip", Body=b"PK")
    made = create_change_set(
        clients,
        stack="big",
        name="cs-1",
        template=big,
        template_url=url,
        parameters={"ArtifactBucket": "code-bucket", "ArtifactKey": "k.zip", "ArtifactSha256": "0" * 64},
        change_set_type="CREATE",
        tags={},
        sleep=Sleeps(),
    )
    assert any(c.logical_id == "Function" for c in made.changes)


def test_bucket_outside_us_east_1_gets_a_location_constraint(endpoint):
    from lambdaserve.cloud.aws import AwsClients, make_session

    clients = AwsClients(make_session(region="eu-west-1", environ=FAKE_ENV), "eu-west-1", endpoint)
    assert ensure_bucket(clients, "lambdaserve-artifacts-123456789012-eu-west-1")
    location = clients.call(
        "s3", "get_bucket_location", Bucket="lambdaserve-artifacts-123456789012-eu-west-1"
    )
    assert location["LocationConstraint"] == "eu-west-1"
