"""`lambdaserve template`: the same template deploy renders, in YAML or JSON, cfn or SAM."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.cloud.cfn.render import render_template
from lambdaserve.cloud.store.artifact_ref import PLACEHOLDER_ZIP
from lambdaserve.config import load_config
from tests.cloud.test_template_golden import IMAGE, ZIP


def project(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "model.onnx").write_bytes(b"not really onnx")
    (tmp_path / "lambdaserve.toml").write_text(f'name = "iris"\n[model]\npath = "model.onnx"\n{extra}')
    return tmp_path


def test_prints_the_deploy_template_with_labelled_placeholders(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = CliRunner().invoke(cli, ["template", "--config", str(root)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout) == render_template(load_config(root), PLACEHOLDER_ZIP)
    assert "placeholders" in result.stderr


def test_sam_json_to_a_file_with_a_real_zip(tmp_path: Path) -> None:
    root = project(tmp_path)
    out = tmp_path / "template.json"
    result = CliRunner().invoke(cli, ["template", "--config", str(root), "--format", "sam", "--json",
                                      "-o", str(out), "--zip", f"s3://{ZIP.bucket}/{ZIP.key}",
                                      "--sha256", ZIP.sha256])
    assert result.exit_code == 0, result.output
    template = json.loads(out.read_text())
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert template["Parameters"]["ArtifactKey"]["Default"] == ZIP.key
    assert result.stdout == "" and "placeholders" not in result.stderr


def test_image_project_takes_an_image_and_refuses_a_zip(tmp_path: Path) -> None:
    root = project(tmp_path, '[function]\npackage = "image"\n')
    ok = CliRunner().invoke(cli, ["template", "--config", str(root), "--image", IMAGE.image_uri])
    assert ok.exit_code == 0, ok.output
    assert yaml.safe_load(ok.stdout)["Parameters"]["ImageUri"]["Default"] == IMAGE.image_uri
    bad = CliRunner().invoke(cli, ["template", "--config", str(root), "--zip", "s3://b-b/k.zip",
                                   "--sha256", "0" * 64])
    assert bad.exit_code == 2  # a usage error: the option does not fit the project
    assert "--image for image packages" in bad.stderr


def test_bad_artifact_and_config_errors_exit_with_a_hint(tmp_path: Path) -> None:
    root = project(tmp_path, '[api]\ntype = "http"\nauth = "api_key"\n')
    result = CliRunner().invoke(cli, ["template", "--config", str(root)])
    assert result.exit_code == 3 and "api.type = 'rest'" in result.stderr
    (tmp_path / "ok").mkdir()
    plain = project(tmp_path / "ok")
    zip_only = CliRunner().invoke(cli, ["template", "--config", str(plain), "--zip", "bucket/key"])
    assert zip_only.exit_code == 2 and "s3://bucket/key" in zip_only.stderr


def test_a_trailing_slash_api_path_is_a_config_error_not_a_traceback(tmp_path: Path) -> None:
    # `template` and `doctor` once crashed with a KeyError on "/predict/" or "/health/".
    for path in ("/predict/", "/health/", "/a//b"):
        root = project(tmp_path, f'[api]\npath = "{path}"\n')
        doctor = ["doctor", "--config", str(root), "--offline", "--no-smoke"]
        for command in (["template", "--config", str(root)], doctor):
            result = CliRunner().invoke(cli, command)
            assert result.exit_code == 3, (command, result.output)
            assert "api.path" in result.output and "Traceback" not in result.output
