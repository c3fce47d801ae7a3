"""issue 2's "done when": for each framework, `init` then `invoke` with a real API Gateway event
gives the framework's own predictions, through a real local Lambda."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from tests import models
from tests.runtime.support import load_event

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))

FACTORIES: dict[str, Callable[[Path], models.Made]] = {
    "sklearn-joblib": lambda d: models.sklearn_classifier(d, "joblib"),
    "sklearn-skops-regressor": lambda d: models.sklearn_regressor(d, "skops"),
    "onnx": models.onnx_classifier,
    "torchscript": models.torchscript_mlp,
    "xgboost-ubj": lambda d: models.xgboost_model(d, fmt="ubj"),
    "custom": lambda d: models.custom_predictor(d, module="init_invoke_predictor"),
}


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMBDASERVE, *args], cwd=cwd, capture_output=True, text=True, timeout=180)


def _init_model_file(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`init` of a model file (no user code) in this process: a fresh interpreter re-imported the
    framework this worker has loaded already, seconds of CPU per test. invoke stays a real process."""
    with contextlib.chdir(cwd):
        done = CliRunner().invoke(cli, args, prog_name="lambdaserve")
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    return subprocess.CompletedProcess(args, done.exit_code, done.stdout, done.stderr)


def _declare_signature(toml: Path, signature: dict[str, list[dict[str, object]]]) -> None:
    """What the user does for a model that cannot describe itself: fill in [signature]."""
    def inline(specs: list[dict[str, object]]) -> str:
        items = ", ".join("{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in s.items()) + " }"
                          for s in specs)
        return f"[{items}]"

    text = toml.read_text()
    text = re.sub(r"(?m)^inputs = \[\]$", "inputs = " + inline(signature["inputs"]), text)
    text = re.sub(r"(?m)^outputs = \[\]$", "outputs = " + inline(signature["outputs"]), text)
    toml.write_text(text)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(FACTORIES))
def test_init_then_invoke_with_a_rest_event_matches_the_framework(tmp_path: Path, kind: str) -> None:
    made = FACTORIES[kind](tmp_path)
    init_args = ["init", "--model", str(made.path)]
    if made.predictor:
        init_args += ["--predictor", made.predictor]
    done = _run(init_args, tmp_path) if made.predictor else _init_model_file(init_args, tmp_path)
    assert done.returncode == 0, done.stderr
    toml = tmp_path / "lambdaserve.toml"
    if kind == "torchscript":
        assert "Declare the inputs in [signature]" in done.stderr
        _declare_signature(toml, models.TORCH_SIGNATURE)

    # for parity: sam's apigateway aws-proxy event carries its body base64-encoded.
    event = load_event("apigw-rest-proxy.json")
    assert event["isBase64Encoded"] is True
    event["path"] = "/predict"
    event["body"] = base64.b64encode(json.dumps({"data": made.rows}).encode()).decode()
    (tmp_path / "event.json").write_text(json.dumps(event))
    done = _run(["invoke", "--event", "event.json"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "REPORT RequestId:" in done.stderr and "Init Duration:" in done.stderr  # a real cold start
    answer = json.loads(done.stdout)
    assert answer["statusCode"] == 200, answer
    predictions = np.asarray(json.loads(answer["body"])["predictions"])
    expected = np.asarray(next(iter(made.expected.values())))
    assert predictions.shape == expected.shape
    assert np.allclose(predictions, expected, rtol=1e-5, atol=1e-6)
