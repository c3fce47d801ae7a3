"""`build --package image` proves the image as it proves a zip: the image itself (its own root
filesystem, ENTRYPOINT and Python, in the container sandbox) must load the model and answer the
golden requests, recorded in the image's build.json for deploy's smoke test; otherwise exit 1
and nothing is left marked good.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.build_proof import golden_for
from lambdaserve.cli.main import cli
from lambdaserve.config import load_config
from tests.cli.test_build_proof import FAILS_ON_PREDICT
from tests.helpers import require, require_tool
from tests.package.conftest import _image_project

pytestmark = [pytest.mark.integration, pytest.mark.slow]



@pytest.fixture
def project(tmp_path: Path, base_image: str) -> Path:
    require(os.geteuid() == 0, "the container sandbox needs root")
    require_tool("umoci")
    root = _image_project(tmp_path / "project", base_image).root
    (root / "golden.json").write_text(json.dumps([[[1.0, 2.0], [3.0, 4.0]]]))
    return root


def _build(project: Path, *args: str):
    return CliRunner().invoke(cli, ["build", "--config", str(project), "--package", "image", *args])


def test_build_proves_the_image_and_records_its_golden_answers(project: Path, base_image: str) -> None:
    done = _build(project)
    assert done.exit_code == 0, done.output
    assert "not proved" not in done.output
    proved = next(line for line in done.output.splitlines() if line.strip().startswith("proved"))
    assert f"on base {base_image}" in proved and "container sandbox" in proved
    assert "answered 1 golden request from golden.json" in proved
    out = project / ".lambdaserve" / "build" / "image"
    image = json.loads((out / "image.json").read_text())
    record = json.loads((out / "build.json").read_text())
    assert record["proof"]["ran"] is True and record["image"]["manifest_digest"] == image["manifest_digest"]
    golden = record["golden"]
    assert golden["sha256"] == image["manifest_digest"]  # the answers are this image's
    (request,) = golden["requests"]
    # the training process's answer: weights [1, 2] . row
    assert request["status"] == 200 and request["answer"] == {"predictions": [5.0, 11.0]}
    # what deploy's smoke test POSTs for this image
    found, where = golden_for(load_config(project), out)
    assert found is not None and found.recorded and "recorded by `lambdaserve build`" in where


def test_an_image_that_cannot_answer_fails_the_build_and_is_not_left_good(project: Path) -> None:
    (project / "predictor.py").write_text(textwrap.dedent(FAILS_ON_PREDICT))
    done = _build(project, "--data", "[[1.0, 2.0]]")
    assert done.exit_code == 1, done.output
    assert "the scaler was fitted on 3 features, got 2" in done.output
    out = project / ".lambdaserve" / "build" / "image"
    assert not (out / "image.json").exists() and not (out / "build.json").exists()
    assert (out / "image.json.failed").is_file()
    served = CliRunner().invoke(cli, ["serve", "--built", "--config", str(project)])
    assert served.exit_code != 0 and "failed its proof" in served.output
