"""The runtime fetches a model from S3 (model.s3_uri) with its own SigV4 GET, against moto with
signature and IAM checks on: the role's one-object grant, a missing key, a replaced object."""

from __future__ import annotations

import errno
import hashlib
import http.client
import io
import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdaserve.errors import ModelLoadError
from lambdaserve.runtime.s3_model import download, object_url, parse_s3_uri
from tests.cloud.fakes import moto_clients, moto_server

MODEL = b"\x00model bytes\xff" * 1000
SHA = hashlib.sha256(MODEL).hexdigest()


@pytest.fixture(scope="module")
def s3() -> Iterator[tuple[str, dict[str, str]]]:
    """A moto server with a bucket holding models/m.onnx and a user allowed to read only that object;
    yields the endpoint and that user's environment. Authentication is on while tests run."""
    with moto_server() as url:
        clients = moto_clients(url)
        s3c, iam = clients.client("s3"), clients.client("iam")
        s3c.create_bucket(Bucket="models-bucket")
        s3c.put_object(Bucket="models-bucket", Key="models/m.onnx", Body=MODEL)
        s3c.put_object(Bucket="models-bucket", Key="models/other.onnx", Body=b"x")
        iam.create_user(UserName="fn")
        iam.put_user_policy(UserName="fn", PolicyName="one-object", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject",
                 "Resource": ["arn:aws:s3:::models-bucket/models/m.onnx",
                              "arn:aws:s3:::models-bucket/models/gone.onnx"]},
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::models-bucket"}]}))
        key = iam.create_access_key(UserName="fn")["AccessKey"]
        env = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
               "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": url}
        _auth(url, "0")  # every request from here on is signed and authorised by moto
        try:
            yield url, env
        finally:
            _auth(url, "inf")


def _auth(url: str, count: str) -> None:
    urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset-auth", data=count.encode(),
                                                  headers={"Content-Type": "text/plain"}, method="POST"),
                           timeout=10).close()


def test_fetches_and_checks_the_hash(s3: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    path = download("s3://models-bucket/models/m.onnx", SHA, tmp_path / "model.onnx", s3[1])
    assert path == tmp_path / "model.onnx"
    assert path.read_bytes() == MODEL
    assert not list(tmp_path.glob("*.partial"))


def test_the_s3_endpoint_variable_wins(s3: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    # botocore reads AWS_ENDPOINT_URL_S3 before AWS_ENDPOINT_URL; so do we
    env = dict(s3[1], AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ENDPOINT_URL_S3=s3[0])
    assert download("s3://models-bucket/models/m.onnx", SHA, tmp_path / "m.onnx", env).read_bytes() == MODEL


def test_another_object_is_refused(s3: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError) as err:
        download("s3://models-bucket/models/other.onnx", SHA, tmp_path / "m.onnx", s3[1])
    assert "403" in err.value.message and "s3://models-bucket/models/other.onnx" in err.value.message
    assert "execution role" in err.value.hint
    assert "does not exist" in err.value.hint  # without s3:ListBucket, S3 answers 403 for a missing key


def test_a_wrong_secret_is_refused(s3: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    # moto checks the signature itself: a signer bug shows up here as 403 SignatureDoesNotMatch
    env = dict(s3[1], AWS_SECRET_ACCESS_KEY="wrong")
    with pytest.raises(ModelLoadError, match="403"):
        download("s3://models-bucket/models/m.onnx", SHA, tmp_path / "m.onnx", env)


def test_a_replaced_object_fails_init(s3: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError) as err:
        download("s3://models-bucket/models/m.onnx", "0" * 64, tmp_path / "m.onnx", s3[1])
    assert SHA in err.value.message and "0" * 64 in err.value.message
    assert "deploy" in err.value.hint
    assert not list(tmp_path.iterdir())  # nothing half-written is left for the loader


def test_a_missing_key_names_the_object(s3: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    # the user may list the bucket, so S3 says 404 rather than 403
    with pytest.raises(ModelLoadError) as err:
        download("s3://models-bucket/models/gone.onnx", SHA, tmp_path / "m.onnx", s3[1])
    assert "s3://models-bucket/models/gone.onnx" in err.value.message and "404" in err.value.message
    assert "lambdaserve deploy" in err.value.hint


def test_no_credentials_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="AWS_ACCESS_KEY_ID"):
        download("s3://b/k.onnx", SHA, tmp_path / "m.onnx", {"AWS_REGION": "us-east-1"})


@pytest.mark.parametrize(("uri", "url"), [
    ("s3://plain/a/b.onnx", "https://plain.s3.eu-west-1.amazonaws.com/a/b.onnx"),
    ("s3://dotted.name/m.pt", "https://s3.eu-west-1.amazonaws.com/dotted.name/m.pt"),
    ("s3://plain/with space+plus.onnx", "https://plain.s3.eu-west-1.amazonaws.com/with%20space%2Bplus.onnx"),
])
def test_regional_endpoint(uri: str, url: str) -> None:
    bucket, key = parse_s3_uri(uri)
    assert object_url(bucket, key, "eu-west-1", {}) == url


@pytest.mark.parametrize("uri", ["s3://bucket", "s3://bucket/", "https://b/k", "s3:///k", "s3://b/dir/"])
def test_bad_uris(uri: str) -> None:
    with pytest.raises(ValueError):
        parse_s3_uri(uri)


class _Answer(io.BytesIO):
    """What urlopen returns, as far as download reads it: headers and a body."""

    def __init__(self, body: bytes, length: int) -> None:
        super().__init__(body)
        self.headers = {"Content-Length": str(length)}


def test_a_model_larger_than_the_free_space_fails_before_writing(tmp_path: Path) -> None:
    env = {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1"}
    seen: list[urllib.request.Request] = []

    def opener(request: urllib.request.Request) -> _Answer:
        seen.append(request)
        return _Answer(b"", 1 << 60)  # an exabyte: no /tmp holds it

    with pytest.raises(ModelLoadError, match="MB free") as err:
        download("s3://b/big.onnx", SHA, tmp_path / "big.onnx", env, opener=opener)
    assert "ephemeral_storage" in err.value.hint
    assert not list(tmp_path.iterdir())
    assert seen[0].full_url == "https://b.s3.us-east-1.amazonaws.com/big.onnx"
    assert seen[0].get_header("Authorization", "").startswith("AWS4-HMAC-SHA256 Credential=a/")


class _BrokenAnswer(_Answer):
    """A body whose second read fails as ``error``: a connection reset, a cut-short body, a full disk."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(MODEL, len(MODEL))
        self.error, self.reads = error, 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        if self.reads > 1:
            raise self.error
        return super().read(100)


@pytest.mark.parametrize("error", [ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
                                   TimeoutError("The read operation timed out"),
                                   http.client.IncompleteRead(b"x" * 100, len(MODEL) - 100)])
def test_a_download_cut_off_mid_way_says_so_not_that_the_disk_is_full(tmp_path: Path,
                                                                      error: BaseException) -> None:
    env = {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1"}
    with pytest.raises(ModelLoadError, match="broke off") as err:
        download("s3://b/m.onnx", SHA, tmp_path / "m.onnx", env, opener=lambda _request: _BrokenAnswer(error))
    assert "ephemeral_storage" not in err.value.hint and "next init" in err.value.hint
    assert not list(tmp_path.iterdir())  # no partial file left


def test_a_disk_that_fills_mid_way_names_ephemeral_storage(tmp_path: Path) -> None:
    env = {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1"}
    full = OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(ModelLoadError, match="cannot write the model") as err:
        download("s3://b/m.onnx", SHA, tmp_path / "m.onnx", env, opener=lambda _request: _BrokenAnswer(full))
    assert "ephemeral_storage" in err.value.hint


def test_a_partial_left_by_a_killed_init_is_removed_before_the_next_fetch(tmp_path: Path) -> None:
    # A killed init (the 10 s init limit, then the first invoke inits again in the same /tmp)
    # reaches no cleanup: its partial model, as big as the model, would take the room this one needs.
    env = {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1"}
    child = subprocess.Popen(["true"])  # a pid that no longer runs
    child.wait()
    dead = tmp_path / f".m.onnx.{child.pid}-0a0b0c0d.partial"
    mine = tmp_path / f".m.onnx.{os.getpid()}-01020304.partial"  # a runtime restarted under its pid
    alive = tmp_path / f".m.onnx.{os.getppid()}-01020304.partial"  # another process writing now
    other = tmp_path / f".n.onnx.{child.pid}-0a0b0c0d.partial"  # another file's
    for path in (dead, mine, alive, other):
        path.write_bytes(b"half")
    download("s3://b/m.onnx", SHA, tmp_path / "m.onnx", env,
             opener=lambda _request: _Answer(MODEL, len(MODEL)))
    assert (tmp_path / "m.onnx").read_bytes() == MODEL
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.onnx", alive.name, other.name])
