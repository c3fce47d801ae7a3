"""`lambdaserve invoke` exits non-zero on error answers, and bad input is a message, not a traceback.

Exit codes: 0 a successful answer; 1 the function failed (function error or 5xx); 4 the function
refused the request (4xx). The answer is printed on stdout in every case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import EXIT_ERROR, EXIT_REFUSED, EXIT_USAGE, cli

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))

_PREDICTOR = '''
    """Doubles the first feature; a row starting with 13 makes it raise (a fault of the model)."""

    class Predictor:
        signature = {"inputs": [{"name": "x", "dtype": "float32", "shape": [-1, 2]}],
                     "outputs": [{"name": "y", "dtype": "float64", "shape": [-1]}]}

        def load(self, model_dir):
            pass

        def predict(self, inputs, probabilities=False):
            rows = inputs["x"]
            if rows[0][0] == 13:
                raise RuntimeError("unlucky row")
            return {"y": [2.0 * row[0] for row in rows]}
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("invoke-codes")
    (folder / "model").mkdir()
    (folder / "model" / "weights.json").write_text("{}")
    (folder / "exit_code_predictor.py").write_text(textwrap.dedent(_PREDICTOR))
    done = _cli(["init", "--model", "model", "--predictor", "exit_code_predictor:Predictor"], folder)
    assert done.returncode == 0, done.stderr
    return folder


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMBDASERVE, *args], cwd=cwd, capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_a_real_local_lambda_sets_the_exit_code_from_the_answer(project: Path):
    ok = _cli(["invoke", "--data", "[[1.5, 0]]"], project)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"predictions": [3.0]}

    refused = _cli(["invoke", "--data", "[[1, 2, 3]]"], project)
    assert refused.returncode == EXIT_REFUSED, refused.stderr
    assert json.loads(refused.stdout)["error"]["status"] == 400  # the answer is still printed
    assert "error: the function answered 400: row 0 has 3 features; the model expects 2" in refused.stderr
    assert "hint:" in refused.stderr and "Traceback" not in refused.stderr

    failed = _cli(["invoke", "--data", "[[13, 0]]"], project)
    assert failed.returncode == EXIT_ERROR, failed.stderr
    assert json.loads(failed.stdout)["errorType"] == "RuntimeError"
    assert "error: the function failed (Unhandled): RuntimeError: unlucky row" in failed.stderr


def test_in_process_4xx_exits_4(project: Path):
    done = CliRunner().invoke(cli, ["invoke", "--in-process", "--config", str(project),
                                    "--data", '[["a", 1]]'])
    assert done.exit_code == EXIT_REFUSED, done.output
    assert "the function answered 400: row 0, column 0: 'a' is not a number" in done.output


def test_a_4xx_api_event_answer_exits_4(project: Path):
    event = {"version": "2.0", "rawPath": "/nowhere", "requestContext": {"http": {"method": "GET"}},
             "headers": {}, "isBase64Encoded": False}
    path = project / "event.json"
    path.write_text(json.dumps(event))
    done = CliRunner().invoke(cli, ["invoke", "--in-process", "--config", str(project),
                                    "--event", str(path)])
    assert done.exit_code == EXIT_REFUSED, done.output
    assert "the function answered 404: no route for GET /nowhere" in done.output


@pytest.mark.parametrize(("args", "message"), [
    (["--data", "[[1, NaN]]"], "--data holds NaN, which is not JSON: the Lambda runtime cannot read it"),
    (["--data", "[[1, -Infinity]]"], "--data holds -Infinity, which is not JSON"),
    (["--data", "[[" + "7" * 5000 + "]]"], "--data holds an integer of more than 4300 digits"),
    (["--data", "[" * 10_000 + "]" * 10_000], "--data is nested too deeply to read"),
    (["--data", "[[1,]]"], "--data is not valid JSON: Expecting value: line 1 column 5"),
])
def test_unreadable_data_is_a_message_with_a_hint(args, message, tmp_path: Path):
    done = CliRunner().invoke(cli, ["invoke", "--config", str(tmp_path), *args])
    assert done.exit_code == EXIT_USAGE  # bad input to the command itself: the one usage rule
    assert f"error: {message}" in done.output
    assert "hint:" in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)


def test_an_event_file_that_is_not_utf8_is_a_message(tmp_path: Path):
    path = tmp_path / "event.json"
    path.write_bytes(b'{"body": "caf\xe9"}')  # Latin-1
    done = CliRunner().invoke(cli, ["invoke", "--config", str(tmp_path), "--event", str(path)])
    assert done.exit_code == EXIT_USAGE  # bad input to the command itself: the one usage rule
    assert f"error: --event {path} is not UTF-8 text (byte 0xe9 at offset 13)" in done.output
    assert isinstance(done.exception, SystemExit)


def test_an_in_process_invoke_leaves_this_process_environment_as_it_found_it(project: Path):
    # It sets the runtime's LAMBDASERVE_* variables for the predictor; left behind, they once
    # reached a later build's smoke run, which then loaded another test's model.
    before = dict(os.environ)
    done = CliRunner().invoke(cli, ["invoke", "--in-process", "--config", str(project),
                                    "--data", "[[1.5, 0]]"])
    assert done.exit_code == 0, done.output
    assert dict(os.environ) == before
