"""The tools a build runs (pip, strip, the target Python's smoke run) never see the caller's
LAMBDASERVE_* variables: a smoke run must load the artifact's model with the artifact's settings."""

from __future__ import annotations

import json
import sys

import pytest

from lambdaserve.package import run_command

SHOW = ("import json, os; "
        "print(json.dumps({k: v for k, v in os.environ.items() if k.startswith(('LAMBDA', 'PATH'))}))")


def test_a_command_gets_what_it_is_given_and_none_of_the_callers_lambdaserve_settings(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDASERVE_MODEL_FILE", "someone-elses.onnx")  # as a shell or an earlier run left it
    done = run_command([sys.executable, "-c", SHOW], env={"LAMBDASERVE_FRAMEWORK": "onnx"})
    seen = json.loads(done.stdout)
    ours = {k: v for k, v in seen.items() if k.startswith("LAMBDASERVE_")}
    assert ours == {"LAMBDASERVE_FRAMEWORK": "onnx"}
    assert "PATH" in seen  # everything else is still inherited


def test_without_an_env_a_command_still_inherits_all_but_lambdaserve_settings(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDASERVE_SIGNATURE", "{}")
    monkeypatch.setenv("LAMBDA_SOMETHING_ELSE", "kept")
    seen = json.loads(run_command([sys.executable, "-c", SHOW]).stdout)
    assert "LAMBDASERVE_SIGNATURE" not in seen and seen["LAMBDA_SOMETHING_ELSE"] == "kept"
