"""A model kept in S3 (model.s3_uri): the zip leaves it out, and the build's smoke run and proof
still load it, from model.path (the bytes the function will check by hash)."""

from __future__ import annotations

import json
import textwrap
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from tests.package.test_zip_build import PREDICTOR

TOML = '''
    name = "inbucket"
    [model]
    path = "model/weights.json"
    framework = "custom"
    predictor = "scorer.linear:Predictor"
    s3_uri = "s3://models-bucket/inbucket/weights.json"
    [function]
    python = "3.12"
    [signature]
    inputs = [{ name = "features", dtype = "float64", shape = [-1, 2] }]
    outputs = [{ name = "score", dtype = "float64", shape = [-1] }]
'''


def make_project(folder: Path) -> Path:
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "weights.json").write_text(json.dumps({"w": [2.0, -1.0], "b": 0.5}))
    (folder / "scorer").mkdir()
    (folder / "scorer" / "__init__.py").write_text("")
    (folder / "scorer" / "linear.py").write_text(textwrap.dedent(PREDICTOR))
    (folder / "lambdaserve.toml").write_text(textwrap.dedent(TOML))
    return folder


@pytest.mark.slow
def test_build_leaves_the_model_out_and_still_proves_the_zip(tmp_path: Path, py312) -> None:
    project = make_project(tmp_path / "p")
    result = CliRunner().invoke(cli, ["build", "--package", "zip", "--config", str(project)])
    assert result.exit_code == 0, result.output
    built = project / ".lambdaserve" / "build"
    names = zipfile.ZipFile(built / "inbucket.zip").namelist()
    assert not [n for n in names if n.startswith("model/")], names
    assert "scorer/linear.py" in names or "scorer/__pycache__/linear.cpython-312.pyc" in names
    record = json.loads((built / "build.json").read_text())
    assert record["model_sha256"]
    # the proof loaded the model and answered: a model that cannot load fails the build
    (project / "model" / "weights.json").write_text("{not json")
    broken = CliRunner().invoke(cli, ["build", "--package", "zip", "--config", str(project)])
    assert broken.exit_code != 0, broken.output
