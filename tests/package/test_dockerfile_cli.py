"""`lambdaserve export dockerfile` through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from tests.package.conftest import ImageProject

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_export_dockerfile_writes_the_context(image_project: ImageProject, tmp_path: Path) -> None:
    out = tmp_path / "docker"
    result = CliRunner().invoke(cli, ["export", "dockerfile", "--config", str(image_project.root),
                                      "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "ENTRYPOINT runs awslambdaric" in result.output
    text = (out / "Dockerfile").read_text()
    assert f"FROM --platform=linux/amd64 {image_project.base_image}" in text
    assert "awslambdaric==4.2.2" in text
    assert (out / "model" / "weights.json").is_file()
    assert (out / "code" / "predictor.py").is_file()
    assert (out / "code" / "lambdaserve" / "errors.py").is_file()


def test_export_of_an_unreachable_base_still_writes_and_says_so(image_project: ImageProject,
                                                                 tmp_path: Path) -> None:
    toml = image_project.root / "lambdaserve.toml"
    toml.write_text(toml.read_text().replace(image_project.base_image, "127.0.0.1:9/nothing/here:v1"))
    result = CliRunner().invoke(cli, ["export", "dockerfile", "--config", str(image_project.root),
                                      "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "was not inspected" in result.stderr and "awslambdaric runs the handler" in result.stderr
    assert "# NOTE: the base 127.0.0.1:9/nothing/here:v1 was not inspected" in (
        tmp_path / "out" / "Dockerfile").read_text()
