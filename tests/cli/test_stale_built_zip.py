"""`invoke --built` / `serve --built` of a zip older than the project's files say so first.

The zip answers as it was built (a model retrained since is not in it): printing only "Running the
built zip" let a retrained model's user read the old model's answers as the new one's.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.cli.serve_artifact import stale_warning
from lambdaserve.config import load_config


def _project(tmp_path: Path) -> Path:
    (tmp_path / "model.onnx").write_bytes(b"not read by these tests")
    (tmp_path / "lambdaserve.toml").write_text('name = "tiny"\n[model]\npath = "model.onnx"\n')
    build = tmp_path / ".lambdaserve" / "build"
    build.mkdir(parents=True)
    (build / "tiny.zip").write_bytes(b"not a zip: these tests stop before it is read")
    for age, name in ((300, "lambdaserve.toml"), (200, ".lambdaserve/build/tiny.zip"), (200, "model.onnx")):
        os.utime(tmp_path / name, (1_700_000_000 - age, 1_700_000_000 - age))
    return tmp_path


def test_a_zip_newer_than_every_file_it_is_made_of_is_not_stale(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert stale_warning(load_config(project), project / ".lambdaserve" / "build" / "tiny.zip") is None


def test_another_zip_is_not_judged_by_this_projects_files(tmp_path: Path) -> None:
    project = _project(tmp_path)
    os.utime(project / "model.onnx")  # now: after the zip
    other = tmp_path / "elsewhere.zip"
    other.write_bytes(b"")
    os.utime(other, (1_600_000_000, 1_600_000_000))
    assert stale_warning(load_config(project), other) is None


@pytest.mark.parametrize("command", [["invoke", "--built", "--data", "[[1]]"], ["serve", "--built"]])
def test_running_a_zip_older_than_the_model_warns_first(tmp_path: Path, command: list[str]) -> None:
    project = _project(tmp_path)
    os.utime(project / "model.onnx")  # retrained after the build
    result = CliRunner().invoke(cli, [*command, "--config", str(project)])
    assert ("warning: model.onnx was modified after tiny.zip was built: the zip runs what was built, "
            "not the project as it is now (`lambdaserve build` builds it again)") in result.output
    assert "Traceback" not in result.output and result.exit_code != 0  # then the fake zip is refused
