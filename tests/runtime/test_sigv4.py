"""The runtime's SigV4 signer against AWS's published examples and against botocore's signer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from lambdaserve.runtime.sigv4 import EMPTY_SHA256, Credentials, sign

# AWS's SigV4 test suite credentials and clock (IAM user guide, "Signature Version 4 test suite").
SUITE = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
SUITE_TIME = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)


def _signature(headers: dict[str, str]) -> str:
    return headers["Authorization"].rsplit("Signature=", 1)[1]


def test_suite_get_vanilla() -> None:
    # for parity: the suite's get-vanilla case, GET / on example.amazonaws.com, service "service"
    headers = sign("GET", "https://example.amazonaws.com/", {}, SUITE, "us-east-1", "service", SUITE_TIME)
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    assert headers["X-Amz-Date"] == "20150830T123600Z"


def test_suite_query_order() -> None:
    # for parity: get-vanilla-query-order-key-case: parameters are sorted by name when signed
    headers = sign("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", {}, SUITE,
                   "us-east-1", "service", SUITE_TIME)
    assert _signature(headers) == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"


def test_s3_documented_get_object() -> None:
    # for parity: S3's documented GetObject example (examplebucket/test.txt with a Range header)
    headers = sign("GET", "https://examplebucket.s3.amazonaws.com/test.txt",
                   {"Range": "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256},
                   Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                   "us-east-1", "s3", datetime(2013, 5, 24, tzinfo=UTC))
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:5000/models/v1/model.onnx",
    "http://127.0.0.1:5000/my-bucket/deep/path/with%20space/m%2Bx.skops",
    "https://bucket.s3.eu-west-3.amazonaws.com/a/b.onnx",
    "https://s3.eu-west-3.amazonaws.com/dotted.bucket/%C3%A9t%C3%A9.pt",
])
@pytest.mark.parametrize("token", ["", "IQoJb3JpZ2luX2VjEXAMPLETOKEN//+=="])
def test_equals_botocore(url: str, token: str) -> None:
    """The same request signed by botocore's S3 signer and ours carries the same Authorization."""
    request = AWSRequest(method="GET", url=url, headers={"x-amz-content-sha256": EMPTY_SHA256})
    request.context["payload_signing_enabled"] = True  # botocore then hashes the (empty) body as we do
    boto = BotoCredentials("AKIDEXAMPLE", "secret/key+x", token or None)
    S3SigV4Auth(boto, "s3", "eu-west-3").add_auth(request)
    now = datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    ours = sign("GET", url, {"x-amz-content-sha256": EMPTY_SHA256},
                Credentials("AKIDEXAMPLE", "secret/key+x", token), "eu-west-3", "s3", now)
    assert ours["Authorization"] == request.headers["Authorization"]
    assert ours.get("X-Amz-Security-Token") == (token or None)


def test_a_different_secret_changes_the_signature() -> None:
    a = sign("GET", "https://example.amazonaws.com/", {}, SUITE, "us-east-1", "service", SUITE_TIME)
    b = sign("GET", "https://example.amazonaws.com/", {}, Credentials("AKIDEXAMPLE", "other"),
             "us-east-1", "service", SUITE_TIME)
    assert _signature(a) != _signature(b)
