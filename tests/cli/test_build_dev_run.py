"""The dev venv's run starts first, beside the whole build (the needs check included), and never
outlives it: a build that fails in any step after it ends that run, and a run that fails is said."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from lambdaserve.cli.build_package import Say, zip_built_and_proved
from lambdaserve.cli.build_proof import Proof, compare_dev
from lambdaserve.cli.dev_compare import DevRun
from lambdaserve.config import Config, load_config
from lambdaserve.errors import BuildError
from lambdaserve.runtime.golden import GoldenRequest, GoldenSet
from tests.helpers import require_installed


def _project(folder: Path, requirements: list[str]) -> Config:
    from tests.models import sklearn_classifier

    folder.mkdir()
    sklearn_classifier(folder)
    (folder / "lambdaserve.toml").write_text(
        f'name = "devrun"\n[model]\npath = "model.joblib"\n[function]\npython = "3.12"\n'
        f"requirements = {requirements!r}\n".replace("'", '"'))
    return load_config(folder)


def test_a_failing_needs_check_ends_the_dev_run_started_before_it(tmp_path):
    require_installed("sklearn")
    config = _project(tmp_path / "p", [f"numpy=={version('numpy')}"])  # scikit-learn missing
    started: list[DevRun] = []

    def start(config: Config) -> DevRun:
        started.append(DevRun.start(config))
        return started[-1]

    lines: list[str] = []
    with pytest.raises(BuildError, match="scikit-learn"):
        zip_built_and_proved(config, Say(lines.append, lines.append, lines.append), start_dev=start)
    [dev] = started  # it was started before the check, which is what failed
    assert dev.process.returncode is not None  # and ended with the build, not left loading the model
    assert not (config.project_dir / ".lambdaserve" / "build" / "build.json").exists()


def test_a_dev_run_that_dies_is_a_note_naming_its_error_not_a_hang(tmp_path):
    require_installed("sklearn")
    config = _project(tmp_path / "p", [f"scikit-learn=={version('scikit-learn')}"])
    dying = DevRun(subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read(); sys.exit('dev venv: no module named sklearn')"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    request = GoldenRequest("zero row", {"data": [[0, 0, 0, 0]]}, "/predict", answer={"label": [0]})
    proof = Proof(True, "", GoldenSet((request,), "sha"))
    notes = compare_dev(config, proof, [], dying)
    assert dying.process.returncode == 1
    assert len(notes) == 1 and notes[0].startswith("this venv cannot answer the golden requests")
    assert "no module named sklearn" in notes[0] and notes[0].endswith("only the package was checked")
