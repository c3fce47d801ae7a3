"""`build` reuses the proof of an earlier build when nothing its run read has changed, says so and
from which build, and proves again when an imported file, the model or the golden requests change.

The project is test_build_proof's pure-Python custom predictor (a build takes seconds); its
package also holds a module the predictor never imports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from lambdaserve.cli.main import cli
from tests.package.test_zip_build import UNTRIMMED, make_project


def _build(project: Path) -> Result:
    result = CliRunner().invoke(cli, ["build", "--config", str(project)])
    assert result.exit_code == 0, result.output
    return result


def _record(project: Path) -> dict[str, Any]:
    return json.loads((project / ".lambdaserve" / "build" / "build.json").read_text())


def _answers(record: dict[str, Any]) -> list[Any]:
    return [r["answer"] for r in record["golden"]["requests"]]


def _proved_here(result: Result, record: dict[str, Any]) -> None:
    assert "  proved    the zip as /var/task" in result.output and "REUSED" not in result.output
    assert record["proof"]["ran"] is True and "reused_from" not in record["proof"]


@pytest.mark.slow
def test_a_code_only_change_reuses_the_proof_an_imported_file_model_or_golden_change_proves(tmp_path, py312):
    project = make_project(tmp_path / "p", requirements=())
    (project / "scorer" / "unused.py").write_text("HELP = 'never imported by the predictor'\n")
    (project / "golden.json").write_text(json.dumps([[[1.0, 2.0]]]))
    first = _build(project)
    record = _record(project)
    _proved_here(first, record)
    assert _answers(record) == [{"predictions": [0.5]}]

    # a file the proof's run never read: the zip changes, its proof is reused, and build says so
    (project / "scorer" / "unused.py").write_text("HELP = 'edited, still never imported'\n")
    (project / "scorer" / "added.py").write_text("NEW = 1\n")
    again = _build(project)
    reused = _record(project)
    assert reused["sha256"] != record["sha256"]  # another zip...
    assert "proved    " not in again.output  # ...whose proof did not run: never "proved"
    assert f"proof     REUSED, not run: the zip as /var/task of the build of {record['sha256'][:12]}" \
        in again.output
    assert reused["proof"]["ran"] is False and reused["proof"]["predictions_checked"] is True
    assert reused["proof"]["reused_from"]["zip_sha256"] == record["sha256"]
    assert reused["proof"]["reused_from"]["built"] == record["built"]
    # the original proof's answers, recorded against the new zip (what deploy's smoke test reads)
    assert _answers(reused) == _answers(record) and reused["golden"]["sha256"] == reused["sha256"]

    # the predictor's own module changes: proved again, with the new answers
    linear = project / "scorer" / "linear.py"
    linear.write_text(linear.read_text().replace("+ self.b", "+ 2 * self.b"))
    edited = _build(project)
    _proved_here(edited, _record(project))
    assert "proving again: scorer/linear.py changed" in edited.output
    assert _answers(_record(project)) == [{"predictions": [1.0]}]

    # the model changes
    (project / "model" / "weights.json").write_text(json.dumps({"w": [2.0, -1.0], "b": 1.5}))
    model = _build(project)
    _proved_here(model, _record(project))
    assert _answers(_record(project)) == [{"predictions": [3.0]}]

    # the golden requests change
    (project / "golden.json").write_text(json.dumps([[[3.0, 1.0]]]))
    golden = _build(project)
    _proved_here(golden, _record(project))
    assert _answers(_record(project)) == [{"predictions": [8.0]}]

    # and with nothing changed since, the last proof is the one reused
    last = _record(project)
    unchanged = _build(project)
    assert f"of the build of {last['sha256'][:12]}" in unchanged.output
    assert _record(project)["proof"]["reused_from"]["zip_sha256"] == last["sha256"]


@pytest.mark.slow
def test_the_trimmed_zip_of_a_dependency_reuses_its_proof_and_a_settings_change_proves_again(tmp_path, py312):
    # With the verified trims on, the shipped layer is the trimmed, sourceless one: its files
    # are keyed by the layer's id and the names kept, not traced one by one.
    project = make_project(tmp_path / "p")
    toml = project / "lambdaserve.toml"
    toml.write_text(toml.read_text().replace(UNTRIMMED, ""))
    first = _build(project)
    _proved_here(first, _record(project))
    (project / "notes.txt").write_text("edited: not shipped")
    assert "REUSED, not run" in _build(project).output
    # a setting the function runs with (its memory) is part of the key
    toml.write_text(toml.read_text().replace("[function]", "[function]\nmemory = 2048", 1))
    _proved_here(_build(project), _record(project))
