"""examples/make_examples.py writes models and lambdaserve.toml files that load and predict correctly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lambdaserve.config import load_config, runtime_env
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.settings import RuntimeSettings
from tests.examples import make_examples_script

SETOSA, VIRGINICA = [5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]
# The examples whose models these tests load. The text ones (minilm, text-tiny: ~17 CPU-s of
# torch and sentence-transformers to make) are made and loaded by tests/convert/test_convert_text.py;
# here only their configs are written, for the pins.
LOADED = ("iris", "diabetes", "iris-onnx", "iris-torchscript", "iris-xgboost", "iris-custom")
TEXT = {"minilm", "text-tiny"}


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("examples")
    assert make_examples_script().main(["--out", str(out), "--only", ",".join(LOADED)]) == 0
    return out


def _predict(folder: Path, rows: list[list[float]]) -> tuple[str, dict[str, object]]:
    config = load_config(folder)
    model = load_model(RuntimeSettings.from_env(runtime_env(config)))
    name = model.signature.inputs[0].name
    return model.framework, model.predict({name: rows})


@pytest.mark.slow
@pytest.mark.parametrize(("example", "framework", "output"), [
    ("iris", "sklearn", "label"),
    ("iris-onnx", "onnx", "label"),
    ("iris-xgboost", "xgboost", "label"),
    ("iris-torchscript", "torchscript", "probabilities"),
    ("iris-custom", "custom", "species"),
])
def test_iris_examples_tell_setosa_from_virginica(examples: Path, example: str, framework: str,
                                                  output: str) -> None:
    loaded, answer = _predict(examples / example, [SETOSA, VIRGINICA])
    assert loaded == framework
    value = np.asarray(answer[output])
    if output == "probabilities":
        value = value.argmax(axis=1)
    assert value.tolist() in ([0, 2], ["setosa", "virginica"])


@pytest.mark.slow
def test_diabetes_example_regresses(examples: Path) -> None:
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    framework, answer = _predict(examples / "diabetes", data.data[:50].tolist())
    assert framework == "sklearn"
    predicted = np.asarray(answer["prediction"])
    assert np.corrcoef(predicted, data.target[:50])[0, 1] > 0.5  # it learned something


@pytest.mark.slow
def test_examples_pin_what_trained_them(examples: Path, tmp_path: Path) -> None:
    script = make_examples_script()
    assert set(script.EXAMPLES) == {*LOADED, *TEXT}  # a new example is loaded above or listed here
    for name in TEXT:  # their lambdaserve.toml and lock as make_examples writes them, beside no model
        (tmp_path / name / "model").mkdir(parents=True)
        script._text_project(tmp_path / name, name, "about")
    folders = [*examples.iterdir(), *(tmp_path / name for name in TEXT)]
    requirements = {p.name: load_config(p).function.requirements for p in folders}
    assert set(requirements) == set(script.EXAMPLES)
    assert any(r.startswith("xgboost-cpu==") for r in requirements["iris-xgboost"])
    assert all("+" not in r and "==" in r for reqs in requirements.values() for r in reqs)
    assert "examples/make_examples.py" in (examples / "iris" / "lambdaserve.toml").read_text()
