"""SnapStart's documented incompatibilities are refused at load, each naming what AWS would refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaserve.config import Config, load_config
from lambdaserve.errors import ConfigError

BASE = 'name = "iris"\n[model]\npath = "model.onnx"\n'


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "model.onnx").write_bytes(b"not really onnx; detection goes by suffix")
    return tmp_path


def load(project: Path, function: str, rest: str = "") -> Config:
    (project / "lambdaserve.toml").write_text(BASE + "[function]\nsnapstart = true\n" + function + rest,
                                              encoding="utf-8")
    return load_config(project)


@pytest.mark.parametrize("base", ["", 'base_image = "public.ecr.aws/lambda/python:3.13"\n'])
def test_an_image_on_lambdas_own_python_base_may_use_snapstart(project: Path, base: str) -> None:
    # for parity: AWS's base images for Python 3.12+ coordinate SnapStart's lifecycle themselves
    config = load(project, 'package = "image"\npython = "3.13"\n', "[build]\n" + base)
    assert config.function.snapstart and config.function.package == "image"


@pytest.mark.parametrize("base", ["python:3.12-slim",
                                  "123456789012.dkr.ecr.us-east-1.amazonaws.com/lambda/python:3.12"])
def test_an_image_on_another_base_is_refused_naming_the_label_aws_wants(project: Path, base: str) -> None:
    # for parity: other bases fail to publish without /restore/next or the snapstart="Allow" label
    with pytest.raises(ConfigError) as info:
        load(project, 'package = "image"\n', f'[build]\nbase_image = "{base}"\n')
    assert base in info.value.message
    assert 'com.amazonaws.lambda.feature.snapstart="Allow"' in info.value.message
    assert "base_image empty" in info.value.hint


@pytest.mark.parametrize("region", ["ap-southeast-6", "ap-east-2"])
def test_regions_without_snapstart_are_refused(project: Path, region: str) -> None:
    with pytest.raises(ConfigError, match=f"in {region} .*not available"):
        load(project, "", f'[deploy]\nregion = "{region}"\n')


def test_a_region_with_snapstart_and_arm64_load(project: Path) -> None:
    config = load(project, 'architecture = "arm64"\n', '[deploy]\nregion = "eu-west-1"\n')
    assert config.function.architecture == "arm64"


@pytest.mark.parametrize(("function", "expected"), [
    ('python = "3.11"\n', "needs python >= 3.12 (have 3.11)"),
    ("provisioned_concurrency = 2\n", "cannot be combined with function.provisioned_concurrency = 2"),
    ("ephemeral_storage = 1024\n", "needs function.ephemeral_storage = 512 (have 1024)"),
])
def test_the_older_refusals_still_hold(project: Path, function: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(project, function)
    assert expected in info.value.message and info.value.hint


def test_without_snapstart_nothing_is_refused(project: Path) -> None:
    (project / "lambdaserve.toml").write_text(
        BASE + '[function]\npackage = "image"\n[build]\nbase_image = "python:3.12-slim"\n'
               '[deploy]\nregion = "ap-east-2"\n', encoding="utf-8")
    assert load_config(project).function.package == "image"
