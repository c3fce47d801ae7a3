"""A new project on a cached stack borrows its trim from the user's earlier verified runs (issue 20).

A project's own trace costs its build a cold start of the whole stack. A second project over the
same dependency layer (its id) and settings plans its trim from what the first project's verified
run left out instead, and its proof's run of the shipped zip is what verifies that plan: a run
that asked for something left out (here lstrim.extra, which only a large row imports) is caught,
the borrowed trim is dropped, and the project traces its own run, as a first project would. A
layer built afresh (another id) never lends a plan made over the old one.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lambdaserve.cli.main import cli
from lambdaserve.package.deps import trim_share
from tests.cli.test_build_trim_in_proof import PREDICTOR, lstrim_index  # noqa: F401
from tests.package.test_zip_build import make_project

BORROWED = "planned from the verified runs of first over the same dependency layer (no trace of its own)"
TRACED = "tracing imports"


def _project(folder: Path, name: str, golden: list[object], weights: dict[str, object]) -> Path:
    project = make_project(folder, requirements=("lstrim==1.0",))
    (project / "scorer" / "linear.py").write_text(textwrap.dedent(PREDICTOR))
    toml = project / "lambdaserve.toml"
    toml.write_text(toml.read_text().split("[build]")[0].replace('name = "tiny"', f'name = "{name}"'))
    (project / "golden.json").write_text(json.dumps(golden))
    (project / "model" / "weights.json").write_text(json.dumps(weights))
    return project


def _build(project: Path) -> Result:
    result = CliRunner().invoke(cli, ["build", "--config", str(project)])
    assert result.exit_code == 0, result.output
    return result


def _names(project: Path, name: str) -> set[str]:
    return set(zipfile.ZipFile(project / ".lambdaserve" / "build" / f"{name}.zip").namelist())


def _answers(project: Path) -> list[object]:
    record = json.loads((project / ".lambdaserve" / "build" / "build.json").read_text())
    assert record["proof"]["ran"] is True
    return [r["answer"] for r in record["golden"]["requests"]]


@pytest.mark.slow
@pytest.mark.usefixtures("lstrim_index", "fresh_user_cache", "py312")
def test_a_new_project_borrows_a_verified_trim_and_a_plan_that_misses_a_module_falls_back(tmp_path):
    small = [[[1.0, 1.0]]]  # never imports lstrim.extra
    first = _project(tmp_path / "a", "first", small, {"w": [2.0, -1.0], "b": 0.5})
    built = _build(first)
    assert TRACED in built.output and "building again" not in built.output
    assert "lstrim/extra/__init__.py" not in _names(first, "first")

    # Another model, the same layer: no trace of its own; its proof verifies the borrowed plan.
    second = _project(tmp_path / "b", "second", small, {"w": [1.0, 1.0], "b": 0.0})
    borrowed = _build(second)
    assert BORROWED in borrowed.output and TRACED not in borrowed.output
    assert "building again" not in borrowed.output and "  proved    the zip as /var/task" in borrowed.output
    names = _names(second, "second")
    assert "lstrim/extra/__init__.py" not in names and "lstrim/unused/__init__.py" not in names
    assert "lstrim/__init__.pyc" in names and "lstrim/__init__.py" not in names
    assert _answers(second) == [{"predictions": [2.25]}]  # 1 + 1 + 0.25
    # Its rebuild borrows the same plan again, so the proof of that very tree is reused.
    assert "REUSED, not run" in _build(second).output

    # A project whose golden request imports lstrim.extra: the borrowed plan left it out. The
    # proof's trace shows it, the project traces its own run (a zero row: it misses it too, so
    # that plan is refused as well) and ships untrimmed, proved with lstrim.extra's answer.
    third = _project(tmp_path / "c", "third", [[[7.0, 1.0]]], {"w": [2.0, -1.0], "b": 0.5})
    fallback = _build(third)
    out = fallback.output
    assert BORROWED in out
    assert "does not fit this project; building again with a trim planned from its own trace" in out
    assert out.index(BORROWED) < out.index(TRACED)
    assert "built again without them (all files, with sources) and proved" in out
    assert "lstrim/extra/__init__.py" in _names(third, "third")
    assert _answers(third) == [{"predictions": [113.75]}]  # 14 - 1 + 0.5 + 100 + 0.25


@pytest.mark.slow
@pytest.mark.usefixtures("lstrim_index", "py312")
def test_a_layer_built_again_never_lends_the_plan_made_over_the_old_one(tmp_path, fresh_user_cache):
    small = [[[1.0, 1.0]]]
    _build(_project(tmp_path / "a", "first", small, {"w": [2.0, -1.0], "b": 0.5}))
    assert list((fresh_user_cache / "trims").glob("*.json"))  # the verified plan is shared
    for layer in (fresh_user_cache / "deps").iterdir():  # the layers go: the next build makes new ones
        if layer.is_dir():
            shutil.rmtree(layer)
    second = _build(_project(tmp_path / "b", "second", small, {"w": [1.0, 1.0], "b": 0.0}))
    assert TRACED in second.output and "planned from the verified runs" not in second.output


def test_the_shared_plan_keeps_only_what_every_verified_project_left_out(tmp_path):
    shared = trim_share.Shared(tmp_path / "trims", "k")
    assert trim_share.lookup(shared) is None
    first = {"pkg/a/__init__.py": 10, "pkg/a/x.py": 5, "pkg/b/__init__.py": 7, "pkg/_c.so": 3}
    trim_share.merge(shared, first, {"pkg/a": 15, "pkg/b": 7, "pkg/_c.so": 3}, "one")
    found = trim_share.lookup(shared)
    assert found is not None and found.removed == first and found.projects == ["one"]
    # The second project used pkg/a/x.py and pkg/_c.so: only what both left out is lent from now on.
    second = {"pkg/a/__init__.py": 10, "pkg/b/__init__.py": 7, "pkg/d/__init__.py": 1}
    trim_share.merge(shared, second, {"pkg/a/__init__.py": 10, "pkg/b": 7, "pkg/d": 1}, "two")
    found = trim_share.lookup(shared)
    assert found is not None
    assert found.removed == {"pkg/a/__init__.py": 10, "pkg/b/__init__.py": 7}
    assert found.planned == {"pkg/a/__init__.py": 10, "pkg/b": 7}  # pkg/a is no longer whole
    assert found.projects == ["two", "one"]
    # A project that left out nothing the others did: nothing is left to lend.
    trim_share.merge(shared, {"pkg/e.so": 1}, {"pkg/e.so": 1}, "three")
    assert trim_share.lookup(shared) is None


def test_the_share_key_names_the_layer_and_what_shapes_the_run_not_the_project():
    base = {"layer_id": "aa", "interpreter": ["/py", "3.12.1"], "model_files": ["model/m.joblib"],
            "trim": True, "sourceless": True, "keep": ["numpy"], "probe": "p",
            "env": {"LAMBDASERVE_FRAMEWORK": "sklearn", "LAMBDASERVE_NAME": "a",
                    "LAMBDASERVE_API_PATH": "/a"}}
    key = trim_share.share_key(**base)  # type: ignore[arg-type]
    other_project = {**base, "model_files": ["model/other.joblib"],
                     "env": {**base["env"], "LAMBDASERVE_NAME": "b", "LAMBDASERVE_API_PATH": "/b"}}
    assert trim_share.share_key(**other_project) == key  # type: ignore[arg-type]
    for change in ({"layer_id": "bb"}, {"model_files": ["model/m.onnx"]}, {"probe": "q"},
                   {"env": {**base["env"], "LAMBDASERVE_FRAMEWORK": "onnx"}},
                   {"env": {**base["env"], "OMP_NUM_THREADS": "1"}}):
        assert trim_share.share_key(**{**base, **change}) != key  # type: ignore[arg-type]
