"""Credential failures explained with the fix; environments and files are injected, never patched."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaserve.cloud.aws import AwsClients, make_session
from lambdaserve.cloud.iam.credentials import resolve_identity, sudo_warning
from lambdaserve.errors import CloudError
from tests.cloud.fakes import FAKE_ENV, Stubbed


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "HOME": str(tmp_path),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **extra,
    }


def _clients(env: dict[str, str], profile: str | None = None) -> AwsClients:
    return AwsClients(make_session(profile=profile, region="us-east-1", environ=env), "us-east-1")


def test_no_credentials_lists_every_place_boto3_looked(tmp_path):
    env = _env(tmp_path)
    with pytest.raises(CloudError) as caught:
        resolve_identity(_clients(env), environ=env, euid=1000)
    message = caught.value.message
    assert "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY not set" in message
    assert f"{tmp_path / 'credentials'}: file missing" in message
    assert f"{tmp_path / 'config'}: file missing" in message
    assert "SSO: not configured" in message
    assert "IMDS): disabled" in message
    assert "aws configure" in caught.value.hint


def test_profile_without_keys_is_named(tmp_path):
    (tmp_path / "credentials").write_text("[other]\naws_access_key_id = a\naws_secret_access_key = b\n")
    (tmp_path / "config").write_text(
        "[profile work]\nsso_session = corp\nsso_account_id = 1\n"
        "[sso-session corp]\nsso_start_url = https://x\nsso_region = us-east-1\n"
    )
    env = _env(tmp_path, AWS_PROFILE="missing")
    with pytest.raises(CloudError) as caught:
        resolve_identity(_clients(env), environ=env, euid=1000)
    assert "profile 'missing' does not exist" in caught.value.message


def test_profile_from_the_shared_file_is_used(tmp_path):
    (tmp_path / "credentials").write_text("[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n")
    env = _env(tmp_path)
    clients = _clients(env, profile="dev")
    assert clients.session.get_credentials().access_key == "AKIADEV"


def test_environment_keys_win(tmp_path):
    env = _env(tmp_path, AWS_ACCESS_KEY_ID="AKIAENV", AWS_SECRET_ACCESS_KEY="s")
    assert _clients(env).session.get_credentials().access_key == "AKIAENV"


def test_sudo_warns_that_roots_credentials_are_used():
    s, warnings = Stubbed(("sts",)), []
    s.ok(
        "get_caller_identity",
        {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:root", "UserId": "x"},
        service="sts",
    )
    identity = resolve_identity(
        s.clients, environ={**FAKE_ENV, "SUDO_USER": "alice", "HOME": "/root"}, euid=0, warn=warnings.append
    )
    assert identity.account == "123456789012"
    assert (
        len(warnings) == 1 and "SUDO_USER=alice" in warnings[0] and "no basic auth credentials" in warnings[0]
    )
    assert sudo_warning({"SUDO_USER": "alice"}, euid=1000) is None  # sudo -u alice: not root


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException"])
def test_expired_session_says_so(code):
    s = Stubbed(("sts",))
    s.error(
        "get_caller_identity",
        code,
        "The security token included in the request is expired",
        service="sts",
        status=403,
    )
    with pytest.raises(CloudError) as caught:
        resolve_identity(s.clients, environ={**FAKE_ENV, "AWS_PROFILE": "work"}, euid=1000)
    assert "expired" in caught.value.message
    assert "aws sso login --profile work" in caught.value.hint


def test_invalid_keys_are_not_called_expired():
    s = Stubbed(("sts",))
    s.error("get_caller_identity", "InvalidClientTokenId", "bad", service="sts", status=403)
    with pytest.raises(CloudError) as caught:
        resolve_identity(s.clients, environ=FAKE_ENV, euid=1000)
    assert "rejected" in caught.value.message


def test_sso_profile_without_a_login_says_to_log_in(tmp_path):
    (tmp_path / "config").write_text(
        "[profile work]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\n"
        "region = us-east-1\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = us-east-1\n"
    )
    env = _env(tmp_path)
    with pytest.raises(CloudError) as caught:
        resolve_identity(_clients(env, profile="work"), profile="work", environ=env, euid=1000)
    assert "SSO session for profile 'work'" in caught.value.message
    assert caught.value.hint == "Run `aws sso login --profile work` and try again."


def test_aws_profile_in_the_environment_does_not_hide_environment_keys(tmp_path):
    (tmp_path / "credentials").write_text("[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n")
    env = _env(tmp_path, AWS_PROFILE="dev", AWS_ACCESS_KEY_ID="AKIAENV", AWS_SECRET_ACCESS_KEY="s")
    assert _clients(env).session.get_credentials().access_key == "AKIAENV"
    # an explicit --profile wins over the environment's keys
    assert _clients(env, profile="dev").session.get_credentials().access_key == "AKIADEV"


def test_region_comes_from_the_injected_environment(tmp_path):
    env = _env(tmp_path, AWS_DEFAULT_REGION="eu-west-1", AWS_REGION="eu-central-1")
    assert make_session(environ=env).region_name == "eu-central-1"
