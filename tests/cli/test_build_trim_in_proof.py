"""build's proof is also the verifying run of the trim (issue 20): one run of the zip that ships.

The trim is planned from the smoke run's trace (a zero row); the proof then runs the trimmed,
.pyc-only zip on the golden requests, and its trace must show it asked for nothing the trim left
out. Here a golden request takes a path the zero row never does: it imports a subpackage of a
dependency (lstrim.extra, from a wheel in a local index) the trace did not see, so the trim
left it out. The predictor catches the ImportError and answers anyway, differently: only the
trace shows the trim changed the run. Build must see it, build the zip again without the trim,
prove that one, and say so; never ship the trimmed zip as proved.
"""

from __future__ import annotations

import json
import textwrap
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lambdaserve.cli.main import cli
from lambdaserve.package.deps.trim_imports import PendingCheck
from tests.package.test_zip_build import make_project
from tests.package.test_zip_lock import make_wheel

PREDICTOR = '''
    import json
    from pathlib import Path

    import lstrim


    class Predictor:
        def load(self, model_dir):
            raw = json.loads((Path(model_dir) / "weights.json").read_text())
            self.w, self.b = raw["w"], raw["b"]

        def predict(self, inputs):
            bonus = 0.0
            if any(row[0] > 5 for row in inputs["features"]):  # only large rows use lstrim.extra
                try:
                    from lstrim.extra import BONUS as bonus
                except ImportError:  # a fallback that hides a broken trim from the answers' status
                    bonus = -1.0
            return {"score": [sum(w * x for w, x in zip(self.w, row)) + self.b + bonus + lstrim.BASE
                              for row in inputs["features"]]}
'''


def test_the_check_names_what_a_run_asked_for_that_the_trim_left_out():
    fast = "pkg/_fast.cpython-312-x86_64-linux-gnu.so"
    removed = frozenset({"pkg/extra/__init__.py", "pkg/extra/table.csv", fast})
    sources = frozenset({"pkg/__init__.py", "pkg/__pycache__/__init__.cpython-312.pyc", "single.py"})
    check = PendingCheck(removed | sources, removed, lambda: None)
    assert check.touched({"pkg/__init__.pyc"}, {"pkg", "json"}, {"model"}) is None
    looked = "it imported or looked for {}, which the trim left out"
    assert check.touched(set(), {"pkg.extra"}, set()) == looked.format("pkg.extra")
    assert check.touched(set(), {"pkg._fast"}, set()) == looked.format("pkg._fast")
    opened = "it opened {}, which the trim left out"
    assert check.touched({"pkg/extra/table.csv"}, set(), set()) == opened.format("pkg/extra/table.csv")
    # a dependency's source read (inspect.getsource, a data loader next to it) is gone when .pyc-only
    assert check.touched({"pkg/__init__.py"}, set(), set()) == opened.format("pkg/__init__.py")
    assert check.touched(set(), set(), {"pkg/extra"}) == "it listed pkg/extra, where the trim left files out"
    assert check.touched(set(), set(), {"pkg"}) == "it listed pkg, where the trim left files out"
    # the task root is listed to find distributions (importlib.metadata): a top-level m.py shows as
    # m.pyc there, the same module; only a file left out of the root would count
    assert check.touched(set(), set(), {"."}) is None
    assert PendingCheck(frozenset({"top.so"}), frozenset({"top.so"}), lambda: None).touched(
        set(), set(), {"."}) == "it listed ., where the trim left files out"


@pytest.fixture()
def lstrim_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    index = tmp_path / "index"
    make_wheel(index, "lstrim", "1.0", extra={"lstrim/__init__.py": "BASE = 0.25\n",
                                               "lstrim/extra/__init__.py": "BONUS = 100.0\n",
                                               "lstrim/unused/__init__.py": "UNUSED = True\n"})
    # An extra index, read from the environment (pip itself; uv through layer's mapping): the
    # usual one stays, for the awslambdaric the local Lambda installs for the proof.
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", (index / "simple").as_uri())
    return index


def _build(project: Path) -> Result:
    result = CliRunner().invoke(cli, ["build", "--config", str(project)])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.slow
@pytest.mark.usefixtures("fresh_user_cache")  # another test's verified plan for this layer would be borrowed
def test_a_trim_the_golden_requests_need_is_caught_by_the_proof_and_the_zip_rebuilt_without_it(
        tmp_path, lstrim_index, py312):
    project = make_project(tmp_path / "p", requirements=("lstrim==1.0",))
    (project / "scorer" / "linear.py").write_text(textwrap.dedent(PREDICTOR))
    toml = project / "lambdaserve.toml"
    toml.write_text(toml.read_text().split("[build]")[0])  # the default: both verified trims on
    (project / "golden.json").write_text(json.dumps([[[7.0, 1.0]]]))

    first = _build(project)
    # The trim was planned from the zero-row trace (which never imports lstrim.extra) and the
    # proof's run of that zip looked for it: the zip was built again without the trim and proved.
    assert "it imported or looked for lstrim.extra, which the trim left out" in first.output
    assert "built again without them (all files, with sources) and proved" in first.output
    assert "  proved    the zip as /var/task" in first.output
    names = zipfile.ZipFile(project / ".lambdaserve" / "build" / "tiny.zip").namelist()
    assert {"lstrim/extra/__init__.py", "lstrim/unused/__init__.py", "lstrim/__init__.py"} <= set(names)
    record = json.loads((project / ".lambdaserve" / "build" / "build.json").read_text())
    assert record["proof"]["ran"] is True
    # the answer of the untrimmed package: 2*7 - 1 + 0.5 + 100 (lstrim.extra) + 0.25
    assert [r["answer"] for r in record["golden"]["requests"]] == [{"predictions": [113.75]}]

    # The next build of the same inputs remembers it: no trimmed zip is built and refused again.
    second = _build(project)
    assert "which the trim left out" in second.output  # still said, as a warning
    assert "building again" not in second.output and "REUSED, not run" in second.output


@pytest.mark.slow
@pytest.mark.usefixtures("fresh_user_cache")  # its own trace, not a plan another test shared
def test_a_trim_the_golden_requests_do_not_touch_is_verified_by_the_proof_alone(tmp_path, lstrim_index,
                                                                                py312):
    project = make_project(tmp_path / "p", requirements=("lstrim==1.0",))
    (project / "scorer" / "linear.py").write_text(textwrap.dedent(PREDICTOR))
    toml = project / "lambdaserve.toml"
    toml.write_text(toml.read_text().split("[build]")[0])
    (project / "golden.json").write_text(json.dumps([[[1.0, 1.0]]]))  # a small row: no lstrim.extra

    built = _build(project)
    assert "the proof's run of the zip verifies both" in built.output
    assert "building again" not in built.output and "trimmed" in built.output
    names = set(zipfile.ZipFile(project / ".lambdaserve" / "build" / "tiny.zip").namelist())
    assert "lstrim/extra/__init__.py" not in names and "lstrim/unused/__init__.py" not in names
    assert "lstrim/__init__.pyc" in names and "lstrim/__init__.py" not in names  # .pyc only
    # verified: stored for reuse, so a rebuild runs neither the trace nor the proof
    again = _build(project)
    assert "reusing the verified trim" in again.output and "REUSED, not run" in again.output
