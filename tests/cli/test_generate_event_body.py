"""`generate-event` without --body prints a body the project's model answers (it was iris-shaped in
every project): golden.json's first (what `init --sample` recorded), else a zero row from the
declared signature; the path is api.path."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from lambdaserve.cli.main import EXIT_USAGE, cli

PREDICTOR = '''
class Predictor:
    def load(self, model_dir):
        pass

    def predict(self, inputs):
        rows = inputs["x"]
        if any(len(row) != 3 for row in rows):
            raise ValueError("three features per row")
        return {"y": [sum(row) for row in rows]}
'''
SIGNATURE = '''
[signature]
inputs = [{ name = "x", dtype = "float64", shape = [-1, 3] }]
outputs = [{ name = "y", dtype = "float64", shape = [-1] }]
'''


def _project(root: Path, signature: bool = True) -> Path:
    (root / "model").mkdir(parents=True)
    (root / "predictor.py").write_text(PREDICTOR)
    (root / "lambdaserve.toml").write_text(textwrap.dedent('''
        name = "three"
        [model]
        path = "model"
        framework = "custom"
        predictor = "predictor:Predictor"
        [api]
        path = "/score"
        [function]
        python = "3.12"
        requirements = []
    ''') + (SIGNATURE if signature else ""))
    return root


def _event(project: Path, *args: str) -> dict:
    done = CliRunner().invoke(cli, ["generate-event", "apigw", "--config", str(project), *args])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def test_the_default_body_is_a_zero_row_of_the_declared_signature_and_the_model_answers_it(tmp_path):
    project = _project(tmp_path)
    event = _event(project)
    assert json.loads(event["body"]) == {"data": [[0.0, 0.0, 0.0]]}
    assert event["path"] == "/score"
    (tmp_path / "event.json").write_text(json.dumps(event))
    done = CliRunner().invoke(cli, ["invoke", "--in-process", "--event", str(tmp_path / "event.json"),
                                    "--config", str(project)])
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["statusCode"] == 200, answer


def test_the_recorded_sample_comes_first(tmp_path):
    project = _project(tmp_path)
    (project / "golden.json").write_text(json.dumps([[[5.0, 1.0, 2.0]], {"data": [[0, 0, 1]]}]))
    assert json.loads(_event(project)["body"]) == {"data": [[5.0, 1.0, 2.0]]}


def test_a_given_body_and_path_still_win(tmp_path):
    event = _event(_project(tmp_path), "--body", '{"data": [[1, 2, 3]]}', "--path", "/other")
    assert json.loads(event["body"]) == {"data": [[1, 2, 3]]} and event["path"] == "/other"


def test_a_project_that_says_nothing_of_its_inputs_asks_for_a_body(tmp_path):
    done = CliRunner().invoke(cli, ["generate-event", "apigw", "--config", str(_project(tmp_path, False))])
    assert done.exit_code == EXIT_USAGE, done.output
    assert "--body" in done.output and "Traceback" not in done.output


def _lookups(args: list[str]) -> tuple[int, dict]:
    """How many times the command looked up lambdaserve.toml (find_config's calls, counted by a
    profile hook: nothing of ours is replaced), and its event."""
    import sys

    from lambdaserve.config.load import find_config

    calls = 0

    def count(frame, event, _arg):  # noqa: ANN001, ANN202  (sys.setprofile's signature)
        nonlocal calls
        if event == "call" and frame.f_code is find_config.__code__:
            calls += 1

    sys.setprofile(count)
    try:
        done = CliRunner().invoke(cli, ["generate-event", "apigw", *args])
    finally:
        sys.setprofile(None)
    assert done.exit_code == 0, done.output
    return calls, json.loads(done.stdout)


def test_the_project_is_looked_up_once(tmp_path):
    # a GET's path came from the project after a lookup that only asked whether there was one
    project = _project(tmp_path / "p")
    calls, event = _lookups(["--config", str(project), "--method", "GET"])
    assert (calls, event["path"]) == (1, "/score")
    calls, event = _lookups(["--config", str(tmp_path), "--method", "GET"])  # no project: the default
    assert (calls, event["path"]) == (1, "/predict")
    calls, event = _lookups(["--config", str(project)])  # a body: the project is required
    assert (calls, json.loads(event["body"])) == (1, {"data": [[0.0, 0.0, 0.0]]})
