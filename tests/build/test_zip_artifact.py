"""Run what was built: the zip, extracted, as the task root of a real local Lambda under Python 3.12."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from lambdaserve.build.artifact import extract, prepare_artifact
from lambdaserve.build.interpreters import Interpreter, find_interpreter
from lambdaserve.build.zip_package import build_zip
from lambdaserve.build.zipwriter import Member, write_zip
from lambdaserve.config import load_config, runtime_env
from lambdaserve.emulator.function import Function, FunctionSpec
from lambdaserve.errors import BuildError
from tests.build.test_zip_build import make_project
from tests.helpers import require


@pytest.fixture(scope="module")
def py312() -> Interpreter:
    try:
        return find_interpreter("3.12")
    except BuildError as exc:
        require(False, f"needs a Python 3.12 interpreter: {exc.hint}")
        raise


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def _snapshot(root: Path) -> dict[str, float]:
    return {str(p.relative_to(root)): p.stat().st_mtime for p in root.rglob("*")}


def _invoke(project: Path, zip_path: Path, dest: Path, cache: Path, rows: list[list[float]]) -> dict:
    config = load_config(project)
    run = prepare_artifact(zip_path, dest, cache_dir=cache)
    before = _snapshot(run.task_root)
    spec = FunctionSpec(name=config.name, task_root=run.task_root, python=run.python,
                        extra_pythonpath=run.extra_pythonpath,
                        environment=runtime_env(config, model_dir=str(run.model_dir)), concurrency=1)
    with Function(spec) as function:
        result = function.invoke(json.dumps({"data": rows}).encode())
    assert result.function_error is None, result.payload
    # for parity: /var/task is read-only on Lambda, so the shipped .pyc must be used as they are.
    # The shipped unchecked-hash .pyc files were used: Python wrote nothing into the task root.
    assert _snapshot(run.task_root) == before
    return json.loads(result.payload)


def test_the_extracted_zip_answers_under_python312_with_awslambdaric(tmp_path, py312, cache):
    project = make_project(tmp_path / "p", requirements=())
    built = build_zip(load_config(project), cache_dir=cache, interpreter=py312)
    answer = _invoke(project, built.path, tmp_path / "task", cache, [[1.0, 2.0], [3.0, 0.5]])
    assert answer == {"predictions": [0.5, 6.0]}


@pytest.mark.slow
def test_iris_sklearn_zip_built_for_python312_predicts_like_sklearn(tmp_path, py312, cache):
    from tests.models import sklearn_classifier

    project = tmp_path / "iris"
    project.mkdir()
    made = sklearn_classifier(project)
    (project / "lambdaserve.toml").write_text(
        'name = "iris"\n[model]\npath = "model.joblib"\nwarmup = false\n[function]\npython = "3.12"\n'
        'requirements = ["scikit-learn==1.9.1", "numpy==2.4.6", "joblib==1.6.0"]\n')
    built = build_zip(load_config(project), cache_dir=cache, interpreter=py312)
    assert {"scikit-learn", "numpy", "scipy", "joblib"} <= {_dist(n) for n, _ in built.packages}
    assert built.unzipped_bytes < 250_000_000 and built.trimmed.removed["tests"] > 0
    answer = _invoke(project, built.path, tmp_path / "task", cache, made.rows)
    assert answer["predictions"] == made.expected["label"].tolist()


def _dist(name: str) -> str:
    return name.replace("_", "-").lower()


def test_an_artifact_for_another_architecture_is_refused(tmp_path, cache):
    zip_path = tmp_path / "arm.zip"
    (tmp_path / "f.py").write_text("x = 1\n")
    write_zip(zip_path, [Member("f.py", source=tmp_path / "f.py")],
              comment=json.dumps({"python": "3.12", "architecture": "arm64"}))
    with pytest.raises(BuildError, match="built for arm64") as info:
        prepare_artifact(zip_path, tmp_path / "task", cache_dir=cache)
    assert "function.architecture" in info.value.hint


def test_a_zip_not_built_by_lambdaserve_is_refused(tmp_path, cache):
    zip_path = tmp_path / "other.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("handler.py", "x = 1\n")
    with pytest.raises(BuildError, match="does not say which Python"):
        prepare_artifact(zip_path, tmp_path / "task", cache_dir=cache)


def test_extract_refuses_paths_outside_the_task_root(tmp_path):
    zip_path = tmp_path / "evil.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("../escaped.py", "x = 1\n")
    with pytest.raises(BuildError, match="unsafe path"):
        extract(zip_path, tmp_path / "task")
    assert not (tmp_path / "escaped.py").exists()
