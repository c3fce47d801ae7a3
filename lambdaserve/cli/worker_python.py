"""Which Python runs the function locally, said out loud, and the target's own when it can.

Serving the project folder used to run the workers on whatever Python runs lambdaserve (say the
venv's 3.11) while lambdaserve.toml targets 3.12, silently. Now the interpreter of the target
version is preferred when one is installed and can import what the function needs (awslambdaric
and the model's framework); otherwise the host's runs it and the banner says why, with the fix.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lambdaserve
from lambdaserve.config import Config
from lambdaserve.errors import BuildError
from lambdaserve.package import Runner, run_command
from lambdaserve.package.deps import Interpreter, find_interpreter, probe

# Import names of the frameworks' and common requirements' distributions, where they differ.
_FRAMEWORK_MODULES = {"sklearn": "sklearn", "onnx": "onnxruntime", "torchscript": "torch",
                      "xgboost": "xgboost", "lightgbm": "lightgbm", "catboost": "catboost"}
_DIST_MODULES = {"scikit-learn": "sklearn", "xgboost-cpu": "xgboost", "pillow": "PIL",
                 "opencv-python-headless": "cv2", "opencv-python": "cv2", "pyyaml": "yaml"}
# lambdaserve's runtime is stdlib-only: the folder holding the package is enough on PYTHONPATH.
_LAMBDASERVE_ROOT = Path(lambdaserve.__file__).resolve().parent.parent


@dataclass(frozen=True)
class WorkerPython:
    path: str
    version: str  # the full version, e.g. "3.11.7"
    target: str  # lambdaserve.toml's function.python, e.g. "3.12"
    note: str = ""  # why the target's interpreter does not run the function, when it does not
    extra_pythonpath: tuple[Path, ...] = ()

    @property
    def matches(self) -> bool:
        return ".".join(self.version.split(".")[:2]) == self.target

    def banner(self) -> str:
        line = f"Python {self.version} runs the function ({self.path})"
        if not self.matches:
            line += f", not python{self.target} as lambdaserve.toml targets"
        return line


def modules_needed(config: Config) -> list[str]:
    """What the worker must import: awslambdaric, the framework, the pinned requirements."""
    found = ["awslambdaric"]
    framework = _FRAMEWORK_MODULES.get(config.model.framework)
    if framework:
        found.append(framework)
    for requirement in config.function.requirements:
        dist = re.split(r"[\s\[<>=!~;@]", requirement.strip(), maxsplit=1)[0].lower()
        if dist:
            found.append(_DIST_MODULES.get(dist, dist.replace("-", "_")))
    return list(dict.fromkeys(found))


def _host() -> WorkerPython:
    version = ".".join(map(str, sys.version_info[:3]))
    return WorkerPython(sys.executable, version, version.rsplit(".", 1)[0])


def for_project(config: Config, *, runner: Runner = run_command,
                find: Callable[..., Interpreter] = find_interpreter) -> WorkerPython:
    """The interpreter for serving the project folder (not a built artifact)."""
    host = _host()
    target = config.function.python
    if host.target == target:
        return WorkerPython(host.path, host.version, target)
    try:
        found = find(target, runner=runner)
    except BuildError:
        return WorkerPython(host.path, host.version, target, note=(
            f"no Python {target} is installed here, so this venv's Python {host.version} runs the "
            f"function: what differs between the versions will not show locally. Install it "
            f"(pyenv install {target}) with the requirements, or `lambdaserve build` then "
            f"`lambdaserve serve --artifact` to run the zip under Python {target}."))
    modules = modules_needed(config)
    done = runner([str(found.path), "-c", "import " + ", ".join(modules)],
                  env={"PYTHONPATH": str(_LAMBDASERVE_ROOT)}, timeout=120)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["it failed"])[-1][:200]
        # pip names, not import names: `pip install sklearn` is not scikit-learn
        install = " ".join(["awslambdaric", *(shlex.quote(r) for r in config.function.requirements)])
        return WorkerPython(host.path, host.version, target, note=(
            f"Python {found.version} ({found.path}) cannot import what the function needs "
            f"({reason}), so this venv's Python {host.version} runs it instead. Install it there "
            f"({found.path} -m pip install {install}), or `lambdaserve build` then "
            f"`lambdaserve serve --artifact` to run the zip under Python {target}."))
    return WorkerPython(str(found.path), found.version, target, extra_pythonpath=(_LAMBDASERVE_ROOT,))


def for_interpreter(path: str, target: str, *, runner: Runner = run_command) -> WorkerPython:
    """A given interpreter (an artifact's), described for the banner."""
    found = probe(Path(path), runner)
    version = found.version if found is not None else "?"
    note = "" if found is None or found.minor == target else (
        f"the artifact's interpreter is Python {version}, not python{target}")
    return WorkerPython(path, version, target, note=note)
