"""build and deploy prove the zip on this machine's system libraries: a library the package needs
that Lambda's OS lacks (LightGBM's libgomp.so.1) must be named after the proof, not hidden by it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.build_proof import libraries_lambda_lacks
from lambdaserve.cli.main import cli as main
from lambdaserve.config import load_config
from lambdaserve.runtime.system_libraries import missing_libraries
from tests.doctor.support import project
from tests.helpers import require


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


@pytest.mark.slow
def test_a_lightgbm_zip_ships_libgomp_and_is_proved_without_the_hosts(tmp_path: Path) -> None:
    """A native model.txt (no scikit-learn in the layer): build installs scikit-learn's wheel alone
    for the target, ships its libgomp in lib/, and proves the zip in the namespace sandbox, where
    the host's libgomp is hidden, so the proof passing means the shipped copy loaded."""
    require(sys.platform.startswith("linux") and os.geteuid() == 0, "the namespace sandbox needs Linux root")
    lightgbm = pytest.importorskip("lightgbm")
    import numpy as np

    x = np.random.default_rng(0).random((64, 3))
    booster = lightgbm.train({"objective": "binary", "verbose": -1, "num_leaves": 4},
                             lightgbm.Dataset(x, (x[:, 0] > 0.5).astype(int)), 3)
    booster.save_model(str(tmp_path / "model.txt"))
    # init in this process (lightgbm is imported already: a fresh interpreter paid for it again);
    # build, whose proof is the point, in its own
    with contextlib.chdir(tmp_path):
        init = CliRunner().invoke(main, ["init", "--model", "model.txt", "--force"], prog_name="lambdaserve")
    assert init.exit_code == 0 and init.exception is None, init.output
    done = subprocess.run([str(Path(sys.executable).with_name("lambdaserve")), "build"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    out = tmp_path / ".lambdaserve" / "build"
    record = json.loads((out / "build.json").read_text())
    assert "namespace sandbox" in record["proof"]["how"]  # where the host's libgomp.so.1 is hidden
    assert not [n for n in record["proof"]["notes"] if "libgomp" in n]
    [shipped] = record["libraries"]
    assert shipped["path"] == "lib/libgomp.so.1" and shipped["source"].startswith("scikit-learn ")
    with zipfile.ZipFile(out / "model.zip") as archive:
        data = archive.read("lib/libgomp.so.1")
        assert "lib/libgomp.so.1.COPYING" in archive.namelist()
    assert hashlib.sha256(data).hexdigest() == shipped["sha256"]
    # what the doctor's shared-libraries check reads: nothing left missing
    assert missing_libraries(Path(record["dependency_root"])) == {}
