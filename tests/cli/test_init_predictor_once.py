"""`init --predictor` loads the predictor once, in its tracing run: the signature, the framework
versions and the answer to the sample come back from there, and the CLI's own process never
imports the predictor (nor, so, its framework). A predictor that fails to load stops init with
the runtime's message and hint, and the line of the user's code that raised, not a traceback."""

from __future__ import annotations

import contextlib
import json
import sys
import textwrap
import tomllib
from importlib.metadata import version
from pathlib import Path

from click.testing import CliRunner, Result

from lambdaserve.cli.main import cli

# Each load appends a line to model/loads.txt, so the test counts the loads of every process.
COUNTED = '''
import json
from pathlib import Path


class Predictor:
    signature = {"inputs": [{"name": "x", "dtype": "float64", "shape": [-1, 2]}]}

    def load(self, model_dir):
        with open(Path(model_dir) / "loads.txt", "a") as fh:
            fh.write("loaded\\n")
        self.scale = json.loads((Path(model_dir) / "scale.json").read_text())["scale"]

    def predict(self, inputs):
        return {"y": [self.scale * sum(row) for row in inputs["x"]]}
'''
TABLE = '''
class Predictor:
    def load(self, model_dir):
        with open(model_dir / "loads.txt", "a") as fh:
            fh.write("loaded\\n")

    def predict(self, inputs):
        import threadpoolctl  # noqa: F401 (imported by predict only: the sample's answer traces it)

        return {"total": [a * 2 for a in inputs["area"]]}
'''
FAILS = '''
class Predictor:
    def load(self, model_dir):
        raise FileNotFoundError("weights.bin is missing")

    def predict(self, inputs):
        return inputs
'''


def _init(project: Path, *args: str) -> Result:
    with contextlib.chdir(project):
        return CliRunner().invoke(cli, ["init", "--model", "model", *args], prog_name="lambdaserve")


def _project(tmp_path: Path, module: str, source: str) -> Path:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "scale.json").write_text('{"scale": 3.0}')
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    return tmp_path


def test_the_predictor_loads_once_and_never_in_the_clis_process(tmp_path: Path) -> None:
    project = _project(tmp_path, "init_once_predictor", COUNTED)
    done = _init(project, "--predictor", "init_once_predictor:Predictor")
    assert done.exit_code == 0, done.output
    assert (project / "model" / "loads.txt").read_text() == "loaded\n"  # the tracing run's only
    assert "init_once_predictor" not in sys.modules
    raw = tomllib.loads((project / "lambdaserve.toml").read_text())
    assert raw["signature"]["inputs"] == [{"name": "x", "dtype": "float64", "shape": [-1, 2]}]  # its own


def test_the_sample_is_answered_by_the_same_single_load(tmp_path: Path) -> None:
    project = _project(tmp_path, "init_once_table", TABLE)
    (project / "rows.csv").write_text("city,area\nParis,31.5\nLyon,70\nNice,12\n")
    done = _init(project, "--predictor", "init_once_table:Predictor", "--sample", "rows.csv")
    assert done.exit_code == 0, done.output
    assert (project / "model" / "loads.txt").read_text() == "loaded\n"
    assert "init_once_table" not in sys.modules
    raw = tomllib.loads((project / "lambdaserve.toml").read_text())
    assert raw["signature"]["outputs"] == [{"name": "total", "dtype": "float64", "shape": [-1]}]
    assert [c["name"] for c in raw["signature"]["columns"]] == ["city", "area"]
    pin = f"threadpoolctl=={version('threadpoolctl')}"
    assert raw["function"]["requirements"] == [pin]
    assert f"{pin}: the predictor's load + predict imported threadpoolctl" in done.output
    golden = json.loads((project / "golden.json").read_text())
    assert golden == [[{"city": "Paris", "area": 31.5}, {"city": "Lyon", "area": 70.0}]]


def test_a_predictor_that_fails_to_load_stops_init_with_its_line_and_no_traceback(tmp_path: Path) -> None:
    project = _project(tmp_path, "init_fails_predictor", FAILS)
    done = _init(project, "--predictor", "init_fails_predictor:Predictor")
    assert done.exit_code != 0 and isinstance(done.exception, SystemExit), done.output
    said = " ".join(done.output.split())
    assert ("init_fails_predictor:Predictor.load(" in said and "failed: FileNotFoundError: weights.bin is "
            "missing (raised at init_fails_predictor.py:4)" in said), said
    assert "hint: Fix load(model_dir) in your predictor" in said
    assert "Traceback" not in done.output
    assert not (project / "lambdaserve.toml").exists()


def test_a_predict_that_fails_on_a_zero_row_is_a_one_line_note(tmp_path: Path) -> None:
    """A zero row may mean nothing to a predictor: init goes on, and says where predict failed."""
    zero_fails = COUNTED.replace("self.scale * sum(row)", "self.scale / sum(row)")
    project = _project(tmp_path, "init_zero_fails", zero_fails)
    done = _init(project, "--predictor", "init_zero_fails:Predictor")
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert ("predict failed here on a zero row, so its imports were traced only up to the failure: "
            "ZeroDivisionError: float division by zero (raised at init_zero_fails.py:15)") in said, said
    assert "Traceback" not in done.output


UNDECLARED = '''
class Predictor:
    def load(self, model_dir):
        pass

    def predict(self, inputs):
        import threadpoolctl  # noqa: F401 (imported by predict only: traced once a signature gives a row)

        return {"total": [sum(row) for row in inputs["x"]]}
'''


def _declare_x(toml: Path) -> None:
    """What init's note asks: [signature] inputs declared by hand in the lambdaserve.toml init wrote."""
    declared = '[signature]\ninputs = [{ name = "x", dtype = "float64", shape = [-1, 2] }]\n'
    text = toml.read_text().replace("[signature]\n", declared, 1)
    toml.write_text(text.replace("\ninputs = []\n", "\n", 1))


def test_init_force_keeps_the_signature_its_note_asked_to_declare_and_traces_predict_with_it(
        tmp_path: Path) -> None:
    project = _project(tmp_path, "init_declared", UNDECLARED)
    first = _init(project, "--predictor", "init_declared:Predictor")
    assert first.exit_code == 0, first.output
    said = " ".join(first.output.split())
    assert ("declare [signature] inputs in lambdaserve.toml (or give the predictor a signature attribute) "
            "and run `lambdaserve init --force` again") in said, said
    toml = project / "lambdaserve.toml"
    assert tomllib.loads(toml.read_text())["function"]["requirements"] == []  # predict's import unseen
    _declare_x(toml)
    again = _init(project, "--predictor", "init_declared:Predictor", "--force")
    assert again.exit_code == 0, again.output
    assert "kept the [signature] declared in" in again.output
    assert "was not traced" not in again.output
    raw = tomllib.loads(toml.read_text())
    assert raw["signature"]["inputs"] == [{"name": "x", "dtype": "float64", "shape": [-1, 2]}]
    assert raw["function"]["requirements"] == [f"threadpoolctl=={version('threadpoolctl')}"]


def test_init_force_for_another_predictor_keeps_no_signature_declared_for_the_old_one(tmp_path: Path) -> None:
    """The declared inputs belong to the predictor they were written for: another one traced and
    written with them would be told rows it does not take."""
    project = _project(tmp_path, "init_old_predictor", UNDECLARED)
    (project / "init_new_predictor.py").write_text(textwrap.dedent(UNDECLARED.replace('"x"', '"features"')))
    assert _init(project, "--predictor", "init_old_predictor:Predictor").exit_code == 0
    toml = project / "lambdaserve.toml"
    _declare_x(toml)
    again = _init(project, "--predictor", "init_new_predictor:Predictor", "--force")
    assert again.exit_code == 0, again.output
    assert "kept the [signature]" not in again.output
    assert tomllib.loads(toml.read_text())["signature"].get("inputs", []) == []
