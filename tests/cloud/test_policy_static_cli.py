"""`lambdaserve policy`: the deployer policy for this project, as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.cloud.iam.policy import deployer_policy
from lambdaserve.config import load_config
from tests.cloud.fakes import FAKE_ENV, moto_server


def project(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "model.onnx").write_bytes(b"not really onnx")
    (tmp_path / "lambdaserve.toml").write_text(f'name = "iris"\n[model]\npath = "model.onnx"\n{extra}')
    return tmp_path


def test_prints_the_policy_for_the_given_account_and_region(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = CliRunner().invoke(cli, ["policy", "--config", str(root), "--account", "123456789012",
                                      "--region", "eu-west-1"])
    assert result.exit_code == 0, result.output
    expected = deployer_policy(load_config(root), account="123456789012", region="eu-west-1",
                               artifact_bucket="lambdaserve-artifacts-123456789012-eu-west-1",
                               ecr_repository="lambdaserve/iris")
    assert json.loads(result.stdout) == expected
    assert "lambdaserve-iris" in result.stderr


def test_region_comes_from_the_config_and_output_can_go_to_a_file(tmp_path: Path) -> None:
    root = project(tmp_path, '[deploy]\nregion = "ap-south-1"\n')
    out = tmp_path / "policy.json"
    result = CliRunner().invoke(cli, ["policy", "--config", str(root), "--account", "123456789012",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "arn:aws:cloudformation:ap-south-1:123456789012:stack/lambdaserve-iris/*" in out.read_text()


def test_missing_region_or_bad_account_explain_the_fix(tmp_path: Path) -> None:
    root = project(tmp_path)
    no_region = CliRunner().invoke(cli, ["policy", "--config", str(root), "--account", "123456789012"])
    assert no_region.exit_code == 1 and "--region" in no_region.stderr
    bad = CliRunner().invoke(cli, ["policy", "--config", str(root), "--account", "42",
                                   "--region", "us-east-1"])
    assert bad.exit_code == 1 and "12-digit" in bad.stderr


def test_account_comes_from_the_credentials_when_not_given(tmp_path: Path) -> None:
    root = project(tmp_path)
    env = {**FAKE_ENV, "AWS_PROFILE": None, "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    with moto_server() as endpoint:
        result = CliRunner(env=env).invoke(cli, ["policy", "--config", str(root), "--region", "us-east-1",
                                                 "--endpoint-url", endpoint])
    assert result.exit_code == 0, result.output
    assert ":123456789012:" in result.stdout  # moto's default account


def test_no_credentials_and_no_account_asks_for_account(tmp_path: Path) -> None:
    root = project(tmp_path)
    env = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None,
           "AWS_PROFILE": None, "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None, "AWS_CONTAINER_CREDENTIALS_FULL_URI": None,
           "AWS_WEB_IDENTITY_TOKEN_FILE": None}
    result = CliRunner(env=env).invoke(cli, ["policy", "--config", str(root), "--region", "us-east-1"])
    assert result.exit_code == 1
    assert "--account" in result.stderr


def test_a_traffic_shift_points_at_the_second_policy_and_prints_it(tmp_path: Path) -> None:
    root = project(tmp_path, '[deploy]\ntraffic_shift = "Canary10Percent5Minutes"\n')
    args = ["policy", "--config", str(root), "--account", "123456789012", "--region", "eu-west-1"]
    base = CliRunner().invoke(cli, args)
    assert base.exit_code == 0 and "lambdaserve policy --rollout" in base.stderr
    rollout = CliRunner().invoke(cli, [*args, "--rollout"])
    assert rollout.exit_code == 0, rollout.output
    sids = {s["Sid"] for s in json.loads(rollout.stdout)["Statement"]}
    assert {"OwnCodeDeployApplication", "OwnRolloutAlarms", "PreTrafficHookFunction"} <= sids
    (tmp_path / "p").mkdir()
    plain = CliRunner().invoke(cli, ["policy", "--config", str(project(tmp_path / "p")), "--account",
                                     "123456789012", "--region", "eu-west-1"])
    assert "--rollout" not in plain.stderr
