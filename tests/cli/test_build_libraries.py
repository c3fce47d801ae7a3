"""build and deploy prove the zip on this machine's system libraries: a library the package needs
that Lambda's OS lacks (LightGBM's libgomp.so.1) must be named after the proof, not hidden by it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lambdaserve.cli.build_proof import libraries_lambda_lacks
from lambdaserve.config import load_config
from tests.doctor.support import project


def _site_with_lib_lightgbm(site: Path) -> Path:
    lightgbm = pytest.importorskip("lightgbm")
    (site / "lightgbm" / "lib").mkdir(parents=True)
    shutil.copy(Path(lightgbm.__file__).parent / "lib" / "lib_lightgbm.so", site / "lightgbm" / "lib")
    return site


def test_build_names_a_library_lambda_lacks_until_the_package_carries_it(tmp_path: Path) -> None:
    config = load_config(project(tmp_path / "p"))
    site = _site_with_lib_lightgbm(tmp_path / "site")
    [note] = libraries_lambda_lacks(config, str(site))
    assert "lightgbm/lib/lib_lightgbm.so needs libgomp.so.1" in note and "on Lambda" in note
    (site / "lib").mkdir()
    (site / "lib" / "libgomp.so.1").write_bytes(b"")  # carried by the package: nothing to say
    assert libraries_lambda_lacks(config, str(site)) == []


def test_no_layer_recorded_means_nothing_to_check(tmp_path: Path) -> None:
    config = load_config(project(tmp_path / "p"))
    assert libraries_lambda_lacks(config, "") == []
    assert libraries_lambda_lacks(config, str(tmp_path / "gone")) == []
