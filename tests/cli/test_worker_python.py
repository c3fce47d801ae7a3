"""Which Python runs the function locally: the target's when it can import what the function
needs, else the host's with a warning that says why and how to fix it."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from lambdaserve.cli import worker_python
from lambdaserve.config import load_config
from lambdaserve.errors import BuildError
from lambdaserve.package.deps.interpreters import Interpreter
from tests.reliability.wire import make_project

HOST = ".".join(map(str, sys.version_info[:3]))
OTHER = "3.13" if sys.version_info[:2] != (3, 13) else "3.12"


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory):
    project = make_project(tmp_path_factory.mktemp("worker-python"), "rest")
    toml = project / "lambdaserve.toml"
    toml.write_text(toml.read_text().replace('python = "3.12"', f'python = "{OTHER}"', 1))
    return load_config(project)


class Calls:
    """A real Runner: it records argv and answers like a process that ran."""

    def __init__(self, returncode: int, stderr: str = "") -> None:
        self.returncode, self.stderr = returncode, stderr
        self.argv: list[list[str]] = []

    def __call__(self, args, *, env=None, cwd=None, timeout=None):
        self.argv.append(list(args))
        self.env = env
        return subprocess.CompletedProcess(list(args), self.returncode, "", self.stderr)


def _found(version: str):
    def find(wanted: str, *, runner) -> Interpreter:
        assert wanted == OTHER
        return Interpreter(Path(f"/opt/python{OTHER}/bin/python{OTHER}"), version, "x86_64")
    return find


def _missing(wanted: str, *, runner) -> Interpreter:
    raise BuildError(f"no working Python {wanted} interpreter on this machine")


def test_the_target_interpreter_runs_the_function_when_it_imports_what_it_needs(config):
    runner = Calls(0)
    worker = worker_python.for_project(config, runner=runner, find=_found(f"{OTHER}.2"))
    assert worker.path == f"/opt/python{OTHER}/bin/python{OTHER}" and worker.matches and not worker.note
    assert runner.argv == [[worker.path, "-c", "import awslambdaric, numpy"]]
    assert (worker.extra_pythonpath[0] / "lambdaserve" / "runtime" / "handler.py").is_file()
    assert worker.banner() == f"Python {OTHER}.2 runs the function ({worker.path})"


def test_a_target_that_cannot_import_the_framework_leaves_the_host_with_a_warning(config):
    runner = Calls(1, "Traceback...\nModuleNotFoundError: No module named 'numpy'")
    worker = worker_python.for_project(config, runner=runner, find=_found(f"{OTHER}.2"))
    assert worker.path == sys.executable and not worker.matches
    assert f"Python {OTHER}.2 (/opt/python{OTHER}/bin/python{OTHER}) cannot import" in worker.note
    assert "No module named 'numpy'" in worker.note and "serve --artifact" in worker.note
    assert worker.banner() == (f"Python {HOST} runs the function ({sys.executable}), "
                               f"not python{OTHER} as lambdaserve.toml targets")


def test_the_fix_names_distributions_to_pip_install_not_import_names(config):
    pinned = dataclasses.replace(config, function=dataclasses.replace(
        config.function, requirements=("scikit-learn==1.9.1", "pyyaml==6.0.4")))
    runner = Calls(1, "ModuleNotFoundError: No module named 'awslambdaric'")
    worker = worker_python.for_project(pinned, runner=runner, find=_found(f"{OTHER}.2"))
    assert runner.argv[0][-1] == "import awslambdaric, sklearn, yaml"  # what it checks: modules
    # what it tells to install: distributions (`pip install sklearn` is not scikit-learn)
    assert (f"/opt/python{OTHER}/bin/python{OTHER} -m pip install awslambdaric scikit-learn==1.9.1 "
            "pyyaml==6.0.4)") in worker.note


def test_no_target_interpreter_at_all_is_said_with_the_install_command(config):
    worker = worker_python.for_project(config, runner=Calls(0), find=_missing)
    assert worker.path == sys.executable
    assert f"no Python {OTHER} is installed here" in worker.note
    assert f"pyenv install {OTHER}" in worker.note


def test_the_host_is_used_without_a_word_when_it_is_the_target(config):
    host_minor = ".".join(map(str, sys.version_info[:2]))
    same = dataclasses.replace(config, function=dataclasses.replace(config.function, python=host_minor))
    worker = worker_python.for_project(same, runner=Calls(1), find=_missing)
    assert (worker.path, worker.note, worker.matches) == (sys.executable, "", True)


def test_modules_come_from_the_framework_and_the_requirements(config):
    assert worker_python.modules_needed(config) == ["awslambdaric", "numpy"]
