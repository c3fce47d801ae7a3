"""Text models end to end: a sentence-transformers predictor (the image path) and its ONNX zip.

The model is examples/make_examples.py's text-tiny (a random 1-layer BERT saved by
sentence-transformers); one test converts the real all-MiniLM-L6-v2 from its offline wheel.
Importing sentence-transformers costs seconds, so all of these are slow.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.config import load_config, runtime_env
from lambdaserve.convert import convert_project
from lambdaserve.convert.text_onnx import MIN_COSINE, SAMPLE_TEXTS, convert_text
from lambdaserve.errors import ConvertError
from lambdaserve.package.deps.interpreters import Interpreter
from lambdaserve.package.needs.resolve import requirement_name
from lambdaserve.package.zip.build import build_zip
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.settings import RuntimeSettings
from tests.examples import make_example

pytestmark = pytest.mark.slow
LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))
TEXTS = ["A man is eating food.", "", "Ünïcödé 🙂", "lambda " * 50]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_example("text-tiny", tmp_path_factory.mktemp("text-tiny"))


def _copy(project: Path, to: Path) -> Path:
    shutil.copytree(project, to, ignore=shutil.ignore_patterns("model-onnx", "lambdaserve.onnx.toml"))
    return to


def _embed(config_path: Path, texts: list[str]) -> np.ndarray:
    config = load_config(config_path)
    model = load_model(RuntimeSettings.from_env(runtime_env(config)))
    key = "text" if model.signature.inputs and model.signature.inputs[0].name == "text" else "input"
    return np.asarray(model.predict({key: texts})["embedding"], dtype=np.float64)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_init_pins_the_predictors_text_stack_and_picks_an_image(tiny: Path, tmp_path: Path) -> None:
    project = _copy(tiny, tmp_path / "p")
    (project / "lambdaserve.toml").unlink()
    done = subprocess.run([LAMBDASERVE, "init", "--model", "model",
                           "--predictor", "embed_predictor:Predictor"],
                          cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    config = load_config(project)
    pins = {requirement_name(r).lower(): r for r in config.function.requirements}
    for dist in ("sentence-transformers", "transformers", "tokenizers", "torch"):
        assert pins.get(dist) == f"{dist}=={version(dist).split('+')[0]}", (dist, pins)
    assert config.function.package == "image"
    assert config.model.framework == "custom"


def test_the_onnx_config_answers_like_the_predictor_without_torch(tiny: Path, tmp_path: Path) -> None:
    project = _copy(tiny, tmp_path / "p")
    done = convert_project(load_config(project))
    slim = load_config(done.config_path)
    assert (slim.model.framework, slim.model.predictor, slim.function.package) == ("onnx", None, "zip")
    assert sorted(requirement_name(r).lower() for r in slim.function.requirements) == [
        "numpy", "onnxruntime", "tokenizers"]
    assert sorted(p.name for p in done.onnx_path.iterdir()) == ["model.onnx", "tokenizer.json"]
    assert done.rows == len(SAMPLE_TEXTS) and "cosine" in done.check
    native, onnx = _embed(project / "lambdaserve.toml", TEXTS), _embed(done.config_path, TEXTS)
    assert native.shape == onnx.shape == (len(TEXTS), 16)
    assert _cosines(native, onnx).min() >= MIN_COSINE
    answer = CliRunner().invoke(cli, ["invoke", "--in-process", "--config", str(done.config_path),
                                      "--data", json.dumps(TEXTS[:2])])
    assert answer.exit_code == 0, answer.output
    assert np.allclose(json.loads(answer.stdout)["predictions"], onnx[:2], atol=1e-6)


def test_an_export_that_answers_differently_is_refused_and_nothing_is_written(tiny: Path,
                                                                              tmp_path: Path) -> None:
    target = tmp_path / "model-onnx"

    def flipped(folder: Path, texts: list[str]) -> np.ndarray:  # as if the graph lost a sign
        return -_embed_folder(folder, texts)

    with pytest.raises(ConvertError, match=r"text 0: cosine -1\.0+ < 0\.999"):
        convert_text(tiny / "model", target, ["A man is eating food.", "Short."], flipped)
    assert not target.exists() and list(tmp_path.iterdir()) == []


def _embed_folder(folder: Path, texts: list[str]) -> np.ndarray:
    settings = RuntimeSettings.from_env({"LAMBDASERVE_NAME": "t", "LAMBDASERVE_MODEL_DIR": str(folder),
                                         "LAMBDASERVE_FRAMEWORK": "onnx"})
    return np.asarray(load_model(settings).predict({"text": texts})["embedding"])


def test_a_pooling_it_cannot_export_is_refused_before_anything_is_written(tiny: Path, tmp_path: Path) -> None:
    project = _copy(tiny, tmp_path / "p")
    pooling = project / "model" / "1_Pooling" / "config.json"
    pooling.write_text(json.dumps({**json.loads(pooling.read_text()), "pooling_mode": "weightedmean"}))
    with pytest.raises(ConvertError, match="weightedmean"):
        convert_project(load_config(project))
    assert not (project / "model-onnx").exists() and not (project / "lambdaserve.onnx.toml").exists()


def test_the_onnx_config_builds_a_zip_with_tokenizers_and_no_torch(tiny: Path, tmp_path: Path,
                                                                    py312: Interpreter) -> None:
    project = _copy(tiny, tmp_path / "p")
    done = convert_project(load_config(project))
    built = build_zip(load_config(done.config_path), interpreter=py312, out_dir=tmp_path / "out")
    packages = {name.lower() for name, _ in built.packages}
    assert {"onnxruntime", "tokenizers", "numpy"} <= packages
    assert not packages & {"torch", "transformers", "sentence-transformers", "huggingface-hub"}
    with zipfile.ZipFile(built.path) as archive:
        names = archive.namelist()
    assert sorted(n for n in names if n.startswith("model/") and not n.endswith("/")) == [
        "model/model.onnx", "model/tokenizer.json"]
    assert not any(n.startswith(("torch/", "transformers/")) for n in names)


def test_the_real_minilm_converts_at_cosine_0_999_or_better(tmp_path: Path) -> None:
    project = make_example("minilm", tmp_path / "minilm")
    done = convert_project(load_config(project))
    lowest = float(done.check.rsplit("lowest ", 1)[1].rstrip(")"))
    assert lowest >= MIN_COSINE
    assert 80_000_000 < done.onnx_bytes < 100_000_000  # the float32 weights, no more
    onnx = _embed(done.config_path, ["A man is eating food.", "A man is eating a piece of bread."])
    assert onnx.shape == (2, 384) and 0.5 < float(_cosines(onnx[:1], onnx[1:])[0]) < 1.0
