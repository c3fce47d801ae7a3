"""Checks 1 and 2: sudo and root's credentials, docker's ECR logins and credential helpers."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from lambdaserve.doctor import Severity
from lambdaserve.doctor.checks import ecr_auth, sudo
from tests.doctor.support import context, only

NOW = 1_800_000_000.0
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def _aws(home: Path, text: str) -> Path:
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    (home / ".aws" / "credentials").write_text(text)
    return home


def test_sudo_with_roots_own_credentials_is_an_error(tmp_path):
    root_home = _aws(tmp_path / "root", "[default]\naws_access_key_id = ROOTKEY\n")
    ctx = context(environ={"SUDO_USER": "no-such-user-here"}, euid=0, root_home=root_home)
    finding = only(sudo.CHECK, ctx)
    assert finding.severity is Severity.ERROR
    assert "no basic auth credentials" in finding.message and "without sudo" in finding.hint


def test_not_under_sudo_is_fine(tmp_path):
    ctx = context(environ={"SUDO_USER": "alice"}, euid=1000, root_home=tmp_path)
    assert only(sudo.CHECK, ctx).severity is Severity.OK


def _ecr_auth(expiration: float) -> str:
    token = base64.b64encode(json.dumps({"payload": "x", "expiration": int(expiration)}).encode()).decode()
    return base64.b64encode(f"AWS:{token}".encode()).decode()


def _docker_config(tmp_path: Path, cfg: dict) -> dict[str, str]:
    (tmp_path / "docker").mkdir(exist_ok=True)
    (tmp_path / "docker" / "config.json").write_text(json.dumps(cfg))
    return {"DOCKER_CONFIG": str(tmp_path / "docker")}


def test_token_expiry_is_read_from_an_ecr_login():
    assert ecr_auth.token_expiry(_ecr_auth(NOW)) == NOW
    assert ecr_auth.token_expiry(base64.b64encode(b"user:password").decode()) is None


def test_an_expired_ecr_login_is_reported(tmp_path):
    env = _docker_config(tmp_path, {"auths": {f"https://{ECR}": {"auth": _ecr_auth(NOW - 3 * 3600)}}})
    finding = only(ecr_auth.CHECK, context(environ=env, now=NOW))
    assert finding.severity is Severity.WARNING
    assert "expired 3.0 h ago" in finding.message and "authorization token has expired" in finding.message
    assert f"--password-stdin {ECR}" in finding.hint


def test_a_current_ecr_login_passes(tmp_path):
    env = _docker_config(tmp_path, {"auths": {ECR: {"auth": _ecr_auth(NOW + 3600)}}})
    assert only(ecr_auth.CHECK, context(environ=env, now=NOW)).severity is Severity.OK


def test_a_missing_ecr_credential_helper_is_an_error(tmp_path):
    env = _docker_config(tmp_path, {"credHelpers": {ECR: "ecr-login"}})
    finding = only(ecr_auth.CHECK, context(environ=env, now=NOW, which=lambda _n: None))
    assert finding.severity is Severity.ERROR and "docker-credential-ecr-login" in finding.message
    present = context(environ=env, now=NOW, which=lambda n: f"/usr/bin/{n}")
    assert only(ecr_auth.CHECK, present).severity is Severity.OK


def test_no_docker_config_is_fine(tmp_path):
    assert only(ecr_auth.CHECK, context(home=tmp_path)).severity is Severity.OK


def test_sudo_with_the_same_aws_files_is_a_warning():
    import pwd

    root_home = Path(pwd.getpwnam("root").pw_dir)  # SUDO_USER=root: the same ~/.aws on both sides
    finding = only(sudo.CHECK, context(environ={"SUDO_USER": "root"}, euid=0, root_home=root_home))
    assert finding.severity is Severity.WARNING and "docker logins" in finding.message
