"""`invoke` and `serve` of a SnapStart project run init -> snapshot -> restore, and say so."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lambdaserve.cli import wiring
from lambdaserve.config import load_config

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))

_PREDICTOR = '''
    import random

    class Predictor:
        signature = {"inputs": [{"name": "x", "dtype": "float32", "shape": [-1, 1]}],
                     "outputs": [{"name": "y", "dtype": "float64", "shape": [-1]}]}

        def load(self, model_dir):
            self.token = random.random()

        def predict(self, inputs):
            return [self.token for _ in inputs["x"]]
'''


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.json").write_text("{}")
    (tmp_path / "snap_cli_predictor.py").write_text(textwrap.dedent(_PREDICTOR))
    done = subprocess.run([LAMBDASERVE, "init", "--model", "model", "--predictor",
                           "snap_cli_predictor:Predictor"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    toml = tmp_path / "lambdaserve.toml"
    toml.write_text(toml.read_text().replace("snapstart = false", "snapstart = true"))
    assert load_config(tmp_path).function.snapstart
    return tmp_path


@pytest.mark.slow
def test_invoke_restores_from_a_snapshot_and_says_so(project: Path) -> None:
    done = subprocess.run([LAMBDASERVE, "invoke", "--data", "[[1]]"], cwd=project, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["predictions"]) == 1
    assert "SnapStart: init runs once" in done.stderr
    assert "Restore Duration" in done.stderr and "Init Duration" not in done.stderr.split("REPORT")[-1]


def test_the_banner_says_when_snapstart_is_not_emulated(project: Path) -> None:
    config = load_config(project)
    spec = wiring.function_spec(config)
    assert spec.snapstart and "restored from that snapshot" in (wiring.snapstart_note(config, spec) or "")
    container = wiring.function_spec(config, sandbox="container")
    assert not container.snapstart
    assert "not emulated" in (wiring.snapstart_note(config, container) or "")
