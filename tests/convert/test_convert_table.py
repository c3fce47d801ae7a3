"""convert --to onnx on a Pipeline(ColumnTransformer) over named columns of mixed types: one named ONNX
input per column, verified against the pipeline, served from records like the native model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lambdaserve.config import load_config, runtime_env
from lambdaserve.convert import convert_project
from lambdaserve.runtime.formats import read_request
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.settings import RuntimeSettings
from tests import models
from tests.helpers import require_installed

require_installed("pandas", "skl2onnx")


def _answer(config_file: Path, records: list[dict[str, object]]) -> dict[str, np.ndarray]:
    model = load_model(RuntimeSettings.from_env(runtime_env(load_config(config_file))))
    request = read_request({"data": records}, model.signature, default_probabilities=True)
    return {k: np.asarray(v) for k, v in model.predict(request.inputs, probabilities=True).items()}


@pytest.mark.slow
def test_a_column_transformer_converts_with_named_inputs_and_answers_records(tmp_path: Path) -> None:
    made = models.sklearn_table(tmp_path)
    lambdaserve = str(Path(sys.executable).with_name("lambdaserve"))
    args = ["init", "--model", str(made.path), "--sample", str(made.extra["sample"])]
    init = subprocess.run([lambdaserve, *args], cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert init.returncode == 0, init.stderr
    done = convert_project(load_config(tmp_path))
    assert done.rows == 64 and done.outputs == ("label", "probabilities")
    slim_config = load_config(done.config_path)
    assert slim_config.model.framework == "onnx" and slim_config.function.package == "zip"
    assert not any(r.startswith(("pandas", "scikit-learn")) for r in slim_config.function.requirements)
    import onnxruntime

    graph = onnxruntime.InferenceSession(str(done.onnx_path), providers=["CPUExecutionProvider"])
    assert [(i.name, i.type) for i in graph.get_inputs()] == [
        ("age", "tensor(float)"), ("income", "tensor(float)"), ("city", "tensor(string)")]
    slim = _answer(done.config_path, made.rows)
    native = _answer(tmp_path / "lambdaserve.toml", made.rows)
    assert slim["label"].tolist() == native["label"].tolist() == made.expected["label"].tolist()
    np.testing.assert_allclose(slim["probabilities"], native["probabilities"], atol=1e-5, rtol=1e-4)

    rows = tmp_path / "rows.json"  # --data: records, as a request sends them
    rows.write_text(json.dumps(made.rows))
    assert convert_project(load_config(tmp_path), data=rows).rows == len(made.rows)
