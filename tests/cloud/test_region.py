"""One region resolution for every cloud verb: --region, deploy.region, then the environment/profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.cloud.aws import make_session
from lambdaserve.cloud.region import resolve_region
from lambdaserve.errors import CloudError

CLEAN = {"AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/creds"}


def _profile_config(tmp_path: Path) -> Path:
    path = tmp_path / "aws-config"
    path.write_text("[default]\nregion = eu-north-1\n[profile work]\nregion = sa-east-1\n")
    return path


@pytest.mark.parametrize(("flag", "configured", "env", "expected"), [
    ("us-west-2", "eu-west-1", {"AWS_REGION": "ap-south-1"}, "us-west-2"),
    (None, "eu-west-1", {"AWS_REGION": "ap-south-1"}, "eu-west-1"),
    (None, None, {"AWS_DEFAULT_REGION": "ca-central-1"}, "ca-central-1"),
    (None, None, {"AWS_DEFAULT_REGION": "ca-central-1", "AWS_REGION": "ap-south-1"}, "ap-south-1"),
])
def test_order_of_the_places(flag, configured, env, expected):
    session = make_session(environ={**CLEAN, **env})
    assert resolve_region(flag, configured, session) == expected


def test_the_profiles_region_is_honoured(tmp_path):
    env = {**CLEAN, "AWS_CONFIG_FILE": str(_profile_config(tmp_path))}
    assert resolve_region(None, None, make_session(environ=env)) == "eu-north-1"
    assert resolve_region(None, None, make_session(profile="work", environ=env)) == "sa-east-1"


def test_nowhere_names_every_place():
    with pytest.raises(CloudError) as err:
        resolve_region(None, None, make_session(environ=CLEAN))
    assert "AWS_DEFAULT_REGION" in err.value.message and "--region" in err.value.hint


def _project(tmp_path: Path) -> Path:
    (tmp_path / "model.onnx").write_bytes(b"not really onnx")
    (tmp_path / "lambdaserve.toml").write_text('name = "iris"\n[model]\npath = "model.onnx"\n')
    return tmp_path


def test_policy_honours_aws_default_region_like_deploy(tmp_path):
    root = _project(tmp_path)
    env = {**CLEAN, "AWS_DEFAULT_REGION": "eu-central-1", "AWS_REGION": None}
    result = CliRunner(env=env).invoke(cli, ["policy", "--config", str(root), "--account", "123456789012"])
    assert result.exit_code == 0, result.output
    assert "arn:aws:cloudformation:eu-central-1:123456789012:stack/lambdaserve-iris/*" in result.stdout


def test_policy_honours_the_profiles_region(tmp_path):
    (tmp_path / "p").mkdir()
    root = _project(tmp_path / "p")
    env = {**CLEAN, "AWS_CONFIG_FILE": str(_profile_config(tmp_path)), "AWS_REGION": None,
           "AWS_DEFAULT_REGION": None, "AWS_PROFILE": None}
    result = CliRunner(env=env).invoke(cli, ["policy", "--config", str(root), "--account", "123456789012",
                                             "--profile", "work"])
    assert result.exit_code == 0, result.output
    assert ":sa-east-1:123456789012:" in result.stdout
