"""Golden requests for custom predictors: from the sample `init --predictor --sample` was given
(written to golden.json), and when a project truly has none, build says so plainly in its
output and build.json instead of calling the package proved."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_init_table import PRICE_PREDICTOR
from tests.helpers import share_runtime_support
from tests.package.test_zip_build import make_project

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMBDASERVE, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def _price_project(root: Path) -> Path:
    (root / "model").mkdir(parents=True)
    (root / "model" / "rates.json").write_text('{"Paris": 10.0, "Lyon": 5.0}')
    (root / "golden_price_predictor.py").write_text(PRICE_PREDICTOR)
    return root


@pytest.mark.slow
def test_a_predictors_sample_becomes_golden_requests_that_build_proves(tmp_path: Path, py312) -> None:
    root = _price_project(tmp_path)
    (root / "inputs.csv").write_text("city,area\nParis,31.5\nLyon,70\n")
    done = _run(["init", "--model", "model", "--predictor", "golden_price_predictor:Predictor",
                 "--sample", "inputs.csv"], root)
    assert done.returncode == 0, done.stderr
    assert "golden.json (2 sample rows)" in done.stderr
    assert json.loads((root / "golden.json").read_text()) == [
        [{"city": "Paris", "area": 31.5}, {"city": "Lyon", "area": 70.0}]]
    built = _run(["build"], root)
    assert built.returncode == 0, built.stderr
    assert "answered 1 golden request from golden.json" in built.stdout
    record = json.loads((root / ".lambdaserve" / "build" / "build.json").read_text())
    (request,) = record["golden"]["requests"]
    # the predictor's own answer to the sample, in the training process: rate * area
    assert request["answer"] == {"predictions": [{"price": 315.0, "known": True},
                                                 {"price": 350.0, "known": True}]}
    assert record["proof"]["predictions_checked"] is True


def test_init_of_a_predictor_without_a_sample_says_it_has_no_golden_requests(tmp_path: Path) -> None:
    root = _price_project(tmp_path)
    done = _run(["init", "--model", "model", "--predictor", "golden_price_predictor:Predictor"], root)
    assert done.returncode == 0, done.stderr
    assert "no golden requests" in done.stderr and "--sample" in done.stderr
    assert not (root / "golden.json").exists()


@pytest.mark.slow
def test_build_without_any_golden_request_says_no_prediction_was_checked(tmp_path: Path, py312) -> None:
    project = make_project(tmp_path / "p", requirements=())
    share_runtime_support(project)  # awslambdaric for the local Lambda, built once per run
    toml = project / "lambdaserve.toml"
    text = toml.read_text()  # the predictor declares no [signature]: nothing gives a row
    toml.write_text(text.split("[signature]")[0] + "[build]" + text.split("[build]")[1])
    assert "[signature]" not in toml.read_text()
    built = _run(["build", "--config", str(project)], tmp_path)
    assert built.returncode == 0, built.stderr
    assert "NO golden request was answered, so no prediction was checked" in built.stdout
    assert "no golden requests, so no prediction was checked" in built.stderr
    assert "golden.json" in built.stderr
    proof = json.loads((project / ".lambdaserve" / "build" / "build.json").read_text())["proof"]
    assert proof["golden_requests"] == 0 and proof["predictions_checked"] is False
    assert any("no golden requests" in note for note in proof["notes"])


SIGNED_PREDICTOR = '''
class Predictor:
    signature = {"inputs": [{"name": "features", "dtype": "float32", "shape": [-1, 2]}],
                 "outputs": [{"name": "total", "dtype": "float64", "shape": [-1]}]}

    def load(self, model_dir):
        pass

    def predict(self, inputs):
        return {"total": [sum(row) for row in inputs["features"]]}
'''


def test_init_of_a_predictor_with_a_signature_says_build_checks_only_a_row_of_zeros(tmp_path: Path) -> None:
    # its signature gives every input's shape, so build asks a row of zeros (build_proof): "nothing
    # tells lambdaserve what its inputs look like" would be untrue, and a zero row checks no answer
    (tmp_path / "model").mkdir()
    (tmp_path / "signed_predictor.py").write_text(SIGNED_PREDICTOR)
    done = _run(["init", "--model", "model", "--predictor", "signed_predictor:Predictor"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "nothing tells lambdaserve" not in done.stderr
    assert "a row of zeros made from its signature" in done.stderr and "--sample" in done.stderr
    assert not (tmp_path / "golden.json").exists()
