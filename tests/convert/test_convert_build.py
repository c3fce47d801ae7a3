"""The slim path's point: the config convert writes builds the small onnxruntime zip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from lambdaserve.cli.lock_cmd import lock_project
from lambdaserve.config import load_config
from lambdaserve.convert import convert_project
from lambdaserve.package.deps.interpreters import Interpreter
from lambdaserve.package.zip.build import MB, build_zip
from tests.examples import make_example


@pytest.mark.slow  # pip resolves onnxruntime for python3.12 (PyPI once, then the test cache)
def test_the_onnx_config_builds_a_zip_without_scikit_learn_under_45_mb(tmp_path: Path,
                                                                      py312: Interpreter) -> None:
    project = make_example("iris", tmp_path / "iris")
    done = convert_project(load_config(project))
    lock_project(load_config(done.config_path), echo=lambda _: None)  # as `convert` does after converting
    built = build_zip(load_config(done.config_path), interpreter=py312, out_dir=tmp_path / "out")
    packages = {name.lower() for name, _ in built.packages}
    assert "onnxruntime" in packages and "scikit-learn" not in packages and "scipy" not in packages
    assert built.zipped_bytes <= 45 * MB and not built.needs_s3
    assert not built.warnings
    with zipfile.ZipFile(built.path) as archive:
        files = [n for n in archive.namelist() if n.startswith("model/") and not n.endswith("/")]
        assert files == ["model/model.onnx"]  # not the joblib beside it
