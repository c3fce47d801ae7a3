"""`serve --artifact ZIP`: the built iris zip, extracted, answers like scikit-learn itself.

In the namespace sandbox the extracted zip sits at /var/task and the worker's variables are
the deployed ones; in the process sandbox the model folder variable points at the extraction.
"""

from __future__ import annotations

import json
import os
import platform
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.cli.serve_cmd import artifact_spec
from lambdaserve.config import artifact_env, load_config
from lambdaserve.emulator import Function
from lambdaserve.package.deps.interpreters import Interpreter
from lambdaserve.package.zip.build import build_zip
from lambdaserve.runtime import settings
from tests.helpers import require
from tests.models import Made, sklearn_classifier

IRIS_TOML = ('name = "iris"\n[model]\npath = "model.joblib"\n[function]\npython = "3.12"\n'
             'requirements = ["scikit-learn==1.9.1", "numpy==2.4.6", "joblib==1.6.0"]\n')


@pytest.fixture(scope="module")
def iris_zip(tmp_path_factory: pytest.TempPathFactory,
             py312: Interpreter) -> Iterator[tuple[Path, Path, Made]]:
    """(project, built zip, the framework's own predictions); its layer is the session's."""
    project = tmp_path_factory.mktemp("serve") / "iris"
    project.mkdir()
    made = sklearn_classifier(project)
    (project / "lambdaserve.toml").write_text(IRIS_TOML)
    built = build_zip(load_config(project), interpreter=py312)  # the session's layer (conftest)
    yield project, built.path, made


def _predict(spec: Any, rows: list[list[float]]) -> list[Any]:
    with Function(spec) as function:
        result = function.invoke(json.dumps({"data": rows}).encode())
    assert result.function_error is None, result.payload
    return list(json.loads(result.payload)["predictions"])


@pytest.mark.slow
def test_the_zip_in_the_namespace_sandbox_runs_with_the_deployed_variables(iris_zip) -> None:
    require(os.geteuid() == 0, "the namespace sandbox needs root")
    project, zip_path, made = iris_zip
    config = load_config(project)
    spec = artifact_spec(config, zip_path, None, 1)
    assert spec.sandbox == "namespace"  # the default for a zip, where it can run
    # "Works locally" means the deployed bytes and variables: /var/task/model, not a local path.
    assert dict(spec.environment) == artifact_env(config)
    assert spec.environment[settings.ENV_MODEL_DIR] == "/var/task/model"
    assert [target for _, target in spec.binds] == ["/var/task", "/var/runtime"]
    assert _predict(spec, made.rows) == made.expected["label"].tolist()


@pytest.mark.slow
def test_the_zip_in_the_process_sandbox_reads_the_extracted_model(iris_zip) -> None:
    project, zip_path, made = iris_zip
    spec = artifact_spec(load_config(project), zip_path, "process", 1)
    assert Path(spec.environment[settings.ENV_MODEL_DIR]) == spec.task_root / "model"
    assert (spec.task_root / "model" / "model.joblib").is_file() and not spec.binds
    assert _predict(spec, made.rows[:2]) == made.expected["label"].tolist()[:2]


def _tiny_project(root: Path) -> Path:
    root.mkdir()
    (root / "model").mkdir()
    (root / "lambdaserve.toml").write_text(
        'name = "tiny"\n[model]\npath = "model"\nframework = "custom"\npredictor = "p:P"\n')
    return root


def test_a_zip_for_a_python_this_machine_lacks_is_refused_with_the_fix(tmp_path: Path) -> None:
    project = _tiny_project(tmp_path / "p")
    zip_path = tmp_path / "built.zip"
    arch = {"x86_64": "x86_64", "aarch64": "arm64"}[platform.machine()]
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("p.py", "class P: ...\n")
        zf.comment = json.dumps({"python": "3.13", "architecture": arch}).encode()
    # A machine with no Python 3.13 anywhere: nothing on PATH, no pyenv, no uv-managed one.
    bare = {"PATH": str(tmp_path / "bin"), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "pyenv"),
            "XDG_DATA_HOME": str(tmp_path / "share"), "UV_PYTHON_INSTALL_DIR": str(tmp_path / "uv")}
    result = CliRunner().invoke(cli, ["serve", "--artifact", str(zip_path), "--config", str(project)],
                                env=bare)
    assert result.exit_code == 1, result.output
    assert "no working Python 3.13 interpreter" in result.output
    assert "hint: Install one: `pyenv install 3.13`" in result.output
    assert not (project / ".lambdaserve" / "local" / "artifact").exists()  # refused before extracting


def test_a_zip_is_not_run_in_the_container_sandbox(tmp_path: Path) -> None:
    project = _tiny_project(tmp_path / "p")
    (tmp_path / "f.zip").write_bytes(b"")
    result = CliRunner().invoke(cli, ["serve", "--sandbox", "container", "--artifact",
                                      str(tmp_path / "f.zip"), "--config", str(project)])
    assert result.exit_code == 2 and "--sandbox namespace" in result.output
