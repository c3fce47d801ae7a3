"""scripts/model_matrix.py runs the real CLI end to end on a kind and reports each step's verdict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "model_matrix.py"


@pytest.mark.slow
def test_the_matrix_reports_a_custom_predictor_from_init_to_a_local_deploy() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--only", "custom-third-party",
                           "--only", "text-model-joblib", "--no-write"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ")[1:]
            for line in done.stdout.splitlines() if line.startswith("| ") and "---" not in line}
    pins, invoked, source, build, served, deploy, same = rows["custom predictor importing PyYAML"]
    assert pins.startswith("pyyaml==") and pins.endswith("(zip)")
    assert invoked.startswith("exit 0: {") and source == "200"  # the project folder: invoke, serve + POST
    assert build == "exit 0, proved, 1 golden" and served == "200"
    assert deploy == "exit 0, smoke test: 1 golden requests answered as recorded"
    assert same.rstrip(" |") == "yes"
    refused = rows["a text file named model.joblib"]
    assert refused[0].startswith("init exit 1: model.joblib is not a model") and "not a pickle" in refused[0]
