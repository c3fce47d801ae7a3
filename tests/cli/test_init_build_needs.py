"""issue 15, item 1: `init` pins what the model itself needs; `build` refuses a project whose
function.requirements would not install it, naming the distribution and the line to write."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.config import load_config
from lambdaserve.config.lock_file import read_lock
from lambdaserve.package.needs import check_model_needs
from tests.examples import make_examples_script

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))

@dataclass
class Kind:
    model: str  # --model, relative to the project folder
    pins: tuple[str, ...]  # distributions init must pin (with the version installed here)
    key: str  # the pin the test removes; build must then name it
    predictor: str = ""


def _lightgbm(folder: Path) -> Kind:
    import joblib
    import lightgbm
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    joblib.dump(lightgbm.LGBMClassifier(n_estimators=3, num_leaves=4, verbose=-1).fit(x, y),
                folder / "model.joblib")
    return Kind("model.joblib", ("lightgbm", "scikit-learn", "numpy", "joblib"), "lightgbm")


def _xgb_regressor(folder: Path) -> Kind:
    import joblib
    import xgboost
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    model = xgboost.XGBRegressor(n_estimators=3, max_depth=2, n_jobs=1).fit(x, y)
    joblib.dump(model, folder / "model.joblib")
    return Kind("model.joblib", ("xgboost-cpu", "scikit-learn", "numpy", "joblib"), "xgboost-cpu")


def _column_transformer(folder: Path) -> Kind:
    import joblib
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_iris(return_X_y=True)
    frame = pd.DataFrame(x, columns=["sepal_l", "sepal_w", "petal_l", "petal_w"])
    by_name = ColumnTransformer([("scaled", StandardScaler(), ["petal_l", "petal_w"])])
    joblib.dump(Pipeline([("columns", by_name), ("clf", LogisticRegression(max_iter=200))]).fit(frame, y),
                folder / "model.joblib")
    return Kind("model.joblib", ("pandas", "scikit-learn", "numpy", "joblib"), "pandas")


PREDICTOR = '''\
    from pathlib import Path

    import yaml  # a third-party module whose distribution (PyYAML) is named otherwise


    class Predictor:
        signature = {"inputs": [{"name": "input", "dtype": "float64", "shape": [-1, 2]}],
                     "outputs": [{"name": "prediction", "dtype": "float64", "shape": [-1]}]}

        def load(self, model_dir):
            self.scale = yaml.safe_load((Path(model_dir) / "scale.yaml").read_text())["scale"]

        def predict(self, inputs):
            return [sum(row) * self.scale for row in inputs["input"]]
'''


def _custom(folder: Path) -> Kind:
    (folder / "model").mkdir()
    (folder / "model" / "scale.yaml").write_text("scale: 2\n")
    (folder / "needs_predictor.py").write_text(textwrap.dedent(PREDICTOR))
    return Kind("model", ("pyyaml",), "pyyaml", predictor="needs_predictor:Predictor")


def _example(name: str, model: str, pins: tuple[str, ...], key: str,
             predictor: str = "") -> Callable[[Path], Kind]:
    def make(folder: Path) -> Kind:
        make_examples_script().EXAMPLES[name](folder)
        return Kind(model, pins, key, predictor)
    return make


KINDS: dict[str, Callable[[Path], Kind]] = {
    "lightgbm-joblib": _lightgbm,
    "xgbregressor-joblib": _xgb_regressor,
    "columntransformer-dataframe": _column_transformer,
    "custom-third-party": _custom,
    "example-iris": _example("iris", "model.joblib", ("scikit-learn", "numpy", "joblib"), "scikit-learn"),
    "example-diabetes": _example("diabetes", "model.skops", ("scikit-learn", "skops", "numpy"), "skops"),
    "example-iris-onnx": _example("iris-onnx", "model.onnx", ("onnxruntime", "numpy"), "onnxruntime"),
    "example-iris-torchscript": _example("iris-torchscript", "model.pt", ("torch", "numpy"), "torch"),
    "example-iris-xgboost": _example("iris-xgboost", "model.ubj", ("xgboost-cpu", "numpy"), "xgboost-cpu"),
    "example-iris-custom": _example("iris-custom", "model", ("numpy",), "numpy",
                                    predictor="iris_predictor:Predictor"),
}


@dataclass
class Ran:
    returncode: int
    stderr: str


def _run(args: list[str], cwd: Path, *, user_code: bool = False) -> Ran:
    """`lambdaserve <args>` from ``cwd``. A model file's project runs in this process: a fresh
    interpreter per call paid ~2 s of CPU re-importing the frameworks (scikit-learn, skops, pandas)
    this worker has already imported. A custom predictor is the user's code: it runs in a process
    of its own, so its modules never stay in this one's sys.modules for the next test."""
    if user_code:
        done = subprocess.run([LAMBDASERVE, *args], cwd=cwd, capture_output=True, text=True, timeout=300)
        return Ran(done.returncode, done.stderr)
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(cli, args, prog_name="lambdaserve")
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, "".join(traceback.format_exception(result.exception))  # a traceback, not a message
    return Ran(result.exit_code, result.stderr)


def _requirements(toml: Path) -> list[str]:
    line = re.search(r'(?m)^requirements = \[(.*)\]$', toml.read_text())
    assert line, toml.read_text()
    return re.findall(r'"([^"]+)"', line.group(1))


def _drop(toml: Path, distribution: str) -> None:
    kept = [r for r in _requirements(toml) if not r.startswith(f"{distribution}==")]
    line = "requirements = [" + ", ".join(f'"{r}"' for r in kept) + "]"
    text = re.sub(r"(?m)^requirements = \[.*\]$", line, toml.read_text())
    toml.write_text(text)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_init_pins_what_the_model_needs_and_build_refuses_it_missing(tmp_path: Path, kind: str) -> None:
    made = KINDS[kind](tmp_path)
    args = ["init", "--model", made.model, "--force"]
    args += ["--predictor", made.predictor] if made.predictor else []
    done = _run(args, tmp_path, user_code=bool(made.predictor))
    assert done.returncode == 0, done.stderr
    toml = tmp_path / "lambdaserve.toml"
    pins = _requirements(toml)
    for dist in made.pins:
        # exact pins of what is installed here (torch's local "+cpu" label names no release)
        assert f"{dist}=={version(dist).split('+')[0]}" in pins, (dist, pins)
        assert re.search(rf"(?m)^  {re.escape(dist)}==\S+: .+", done.stderr), done.stderr  # and why
    if kind != "columntransformer-dataframe":
        assert not any(p.startswith("pandas==") for p in pins), pins  # only when the model needs it
    check_model_needs(load_config(toml))  # with init's pins nothing is missing: it would raise BuildError
    # and their dependencies are locked to the versions installed here (scipy via scikit-learn)
    lock = read_lock(tmp_path / "lambdaserve.lock")
    assert lock is not None and lock.is_for(pins) and f"wrote {tmp_path / 'lambdaserve.lock'}" in done.stderr
    assert all(pin.version == version(name).split("+")[0] for name, pin in lock.pins.items()), lock.pins
    if "scikit-learn" in made.pins:
        assert lock.pins["scipy"].version == version("scipy") and "scikit-learn" in lock.pins["scipy"].via

    _drop(toml, made.key)
    done = _run(["build"], tmp_path, user_code=bool(made.predictor))
    assert done.returncode == 1, done.stderr
    assert f"the model needs {made.key}," in done.stderr, done.stderr
    pin = f"{made.key}=={version(made.key).split('+')[0]}"
    assert re.search(rf'requirements = \[.*"{re.escape(pin)}"\]', done.stderr), done.stderr
    assert not (tmp_path / ".lambdaserve" / "build").exists()  # refused before anything was built


def test_a_text_file_named_model_joblib_fails_init_and_build_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "model.joblib").write_text("not a model, just text\n")
    done = _run(["init", "--model", "model.joblib"], tmp_path)
    assert done.returncode == 1
    assert "model.joblib is not a model lambdaserve can read: it is not a pickle" in done.stderr
    assert "Traceback" not in done.stderr
    (tmp_path / "lambdaserve.toml").write_text(textwrap.dedent('''\
        name = "text"
        [model]
        path = "model.joblib"
        framework = "sklearn"
        [function]
        requirements = ["scikit-learn==1.9.1"]
        '''))
    done = _run(["build"], tmp_path)
    assert done.returncode == 1
    assert "model.joblib is not a model lambdaserve can read: it is not a pickle" in done.stderr
