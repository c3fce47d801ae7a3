"""What the model and code layers hold, taken from the same sources as the zip (build.sources).

The model goes under /opt/ml/model (lambdaserve.config.IMAGE_MODEL_DIR). The runtime and the
user's predictor go under /var/task with .pyc compiled by the target Python, as in the zip:
/var/task is read-only on Lambda, so modules without .pyc recompile on every cold start.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from lambdaserve.config import IMAGE_MODEL_DIR, Config
from lambdaserve.errors import BuildError
from lambdaserve.package import sources
from lambdaserve.package.deps.interpreters import Interpreter
from lambdaserve.package.deps.pycompile import compile_tree
from lambdaserve.package.image.layers import LayerEntry, tree_entries
from lambdaserve.package.process import Runner, run_command

TASK_ROOT = "var/task"


def model_entries(config: Config) -> list[LayerEntry]:
    """The model file, or the model folder's files, under /opt/ml/model."""
    prefix = sources.MODEL_DIR + "/"
    return [LayerEntry(IMAGE_MODEL_DIR.strip("/") + "/" + item.name[len(prefix):], source=item.path)
            for item in sources.model_files(config)]


def code_entries(config: Config, staging: Path, interpreter: Interpreter | None,
                 runner: Runner = run_command) -> list[LayerEntry]:
    """The runtime and user code copied to ``staging`` and compiled there (if ``interpreter``)."""
    if staging.exists():
        shutil.rmtree(staging)
    for item in sources.runtime_files() + sources.docs_files(config) + sources.user_code_files(config):
        dest = staging / item.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.path, dest)
    if interpreter is not None:
        failed = compile_tree(staging, interpreter, runner=runner)
        if failed:
            names = ", ".join(p.relative_to(staging).as_posix() for p in failed)
            raise BuildError(f"Python {interpreter.version} cannot compile {names}",
                             hint=f"Fix the syntax for python{interpreter.minor}, then build again.")
    return tree_entries(staging, TASK_ROOT)
