"""The project's own modules a model needs, which the package would leave out
(lambdaserve.package.needs.local_code): `invoke` of the project folder imports them, the built
function could not, so init and build say so before anything is built."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.config import load_config
from lambdaserve.errors import BuildError
from lambdaserve.package.needs import check_model_needs
from lambdaserve.package.needs.local_code import LocalModule, local_modules, unshipped, unshipped_problem
from tests.helpers import require_installed

PREDICTOR = '''\
    from helpers.scale import factor


    class Predictor:
        signature = {"inputs": [{"name": "input", "dtype": "float64", "shape": [-1, 2]}],
                     "outputs": [{"name": "prediction", "dtype": "float64", "shape": [-1]}]}

        def load(self, model_dir):
            self.factor = factor()

        def predict(self, inputs):
            return [sum(row) * self.factor for row in inputs["input"]]
'''


def _project(root: Path, *, helpers_in_model: bool) -> Path:
    (root / "model").mkdir()
    (root / "model" / "weights.txt").write_text("2\n")
    helpers = root / ("model/helpers" if helpers_in_model else "helpers")
    helpers.mkdir()
    (helpers / "__init__.py").write_text("")
    (helpers / "scale.py").write_text("def factor():\n    return 2.0\n")
    (root / "predict.py").write_text(textwrap.dedent(PREDICTOR))
    (root / "lambdaserve.toml").write_text(textwrap.dedent('''\
        name = "local-code"
        [model]
        path = "model"
        framework = "custom"
        predictor = "predict:Predictor"
        [function]
        requirements = []
        '''))
    return root / "lambdaserve.toml"


def test_a_helper_package_beside_the_predictor_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    config = load_config(_project(tmp_path, helpers_in_model=False))
    with pytest.raises(BuildError) as raised:
        check_model_needs(config)  # traces the predictor's load + predict in a subprocess
    error = raised.value
    assert "the predictor needs 'helpers' (helpers/," in error.message
    assert "the package does not ship" in error.message and "'predict'" in error.message
    assert "Move helpers/ into the model folder model/" in error.hint
    assert "function.requirements" not in error.hint  # it is the user's code, not a distribution


def test_a_helper_package_inside_the_model_folder_ships_and_passes(tmp_path: Path) -> None:
    config = load_config(_project(tmp_path, helpers_in_model=True))
    assert check_model_needs(config) == []


def test_a_pickle_naming_a_module_of_the_project_fails_init_with_the_module_and_no_traceback(
        tmp_path: Path) -> None:
    (tmp_path / "features.py").write_text("class LogArea:\n    pass\n")
    # pickled where it was made: by a script run in the project folder, as a user trains
    subprocess.run([sys.executable, "-c", "import pickle, features; "
                    "pickle.dump(features.LogArea(), open('model.pkl', 'wb'))"], cwd=tmp_path, check=True)
    with contextlib.chdir(tmp_path):
        result = CliRunner().invoke(cli, ["init", "--model", "model.pkl", "--framework", "sklearn"],
                                    prog_name="lambdaserve")
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, "".join(traceback.format_exception(result.exception))
    assert result.exit_code == 1, result.stderr
    needed = "the model needs 'features' (features.py, the model file references features.LogArea)"
    assert needed in result.stderr
    assert "add its package to function.requirements" not in result.stderr  # the loader's wrong guess
    assert not (tmp_path / "lambdaserve.toml").exists()


def test_only_modules_the_project_holds_are_local(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text("")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "loose").mkdir()  # a namespace folder of Python files, no distribution of that name
    (tmp_path / "loose" / "a.py").write_text("")
    (tmp_path / "numpy").mkdir()  # a data folder named like an installed package: numpy is imported
    (tmp_path / "numpy" / "notes.py").write_text("")
    (tmp_path / "data").mkdir()  # a folder without Python files is no module
    found = {m: "why" for m in ("mine", "pkg", "loose", "numpy", "data", "json", "lambdaserve", "__main__")}
    local = local_modules(found, [tmp_path], installed={"numpy"})
    assert {m.module: m.path for m in local} == {"mine": tmp_path / "mine.py", "pkg": tmp_path / "pkg",
                                                 "loose": tmp_path / "loose"}


def test_what_ships_the_predictor_module_and_the_model_folder(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    modules = [LocalModule("predict", tmp_path / "predict.py", "r"),
               LocalModule("helpers", tmp_path / "helpers", "r"),
               LocalModule("inside", model / "inside.py", "r")]
    left = unshipped(modules, model_path=model, predictor="predict:Predictor")
    assert [m.module for m in left] == ["helpers"]
    # without a predictor the model folder still ships whole, on sys.path for a pickle
    assert [m.module for m in unshipped(modules, model_path=model, predictor=None)] == ["predict", "helpers"]


def test_a_predictor_with_a_model_file_is_told_to_become_a_package(tmp_path: Path) -> None:
    model = tmp_path / "model.joblib"
    model.write_bytes(b"")
    message, hint = unshipped_problem([LocalModule("helpers", tmp_path / "helpers.py", "r")],
                                      project_dir=tmp_path, model_path=model, predictor="predict:Predictor")
    assert "'helpers' (helpers.py, r)" in message
    assert hint.startswith("Make the predictor a package") and "helpers.py" in hint


FEATURES = """\
import numpy as np


def log_area(x):
    return np.log1p(np.asarray(x, dtype=float))
"""


def test_a_pickle_whose_module_sits_in_the_model_folder_inits_and_answers_as_trained(tmp_path: Path) -> None:
    # a Pipeline with a FunctionTransformer whose function is the user's: with the module in the
    # model folder (it ships whole) the sklearn loader imports it from there, as a predictor would
    require_installed("sklearn")
    from lambdaserve.runtime.loaders import load_model
    from tests.models import runtime_settings

    model = tmp_path / "model"
    model.mkdir()
    (model / "features.py").write_text(FEATURES)
    train = ("import joblib, numpy as np, features; from sklearn.pipeline import make_pipeline; "
             "from sklearn.preprocessing import FunctionTransformer; from sklearn.linear_model import Ridge; "
             "x = np.arange(40.0).reshape(20, 2); "
             "m = make_pipeline(FunctionTransformer(features.log_area), Ridge()).fit(x, x.sum(axis=1)); "
             "joblib.dump(m, 'model.joblib'); print(m.predict([[3.0, 4.0], [10.0, 0.5]]).tolist())")
    trained = subprocess.run([sys.executable, "-c", train], cwd=model, check=True, capture_output=True,
                             text=True)
    with contextlib.chdir(tmp_path):
        result = CliRunner().invoke(cli, ["init", "--model", "model"], prog_name="lambdaserve")
    assert result.exit_code == 0, result.stderr
    assert "features" not in result.stderr  # nothing left out, nothing to warn about
    answer = load_model(runtime_settings(model)).predict({"input": [[3.0, 4.0], [10.0, 0.5]]})
    assert answer["prediction"].tolist() == json.loads(trained.stdout)


def test_a_pickles_module_in_the_project_folder_is_told_to_move_into_a_model_folder(tmp_path: Path) -> None:
    model = tmp_path / "model.joblib"
    model.write_bytes(b"")
    message, hint = unshipped_problem([LocalModule("features", tmp_path / "features.py", "r")],
                                      project_dir=tmp_path, model_path=model, predictor=None)
    assert "'features' (features.py, r)" in message
    assert "model/model.joblib and model/features.py" in hint and "custom predictor" not in hint
    folder = tmp_path / "model"
    folder.mkdir()
    _, hint = unshipped_problem([LocalModule("features", tmp_path / "features.py", "r")],
                                project_dir=tmp_path, model_path=folder, predictor=None)
    assert hint.startswith("Move features.py into the model folder model/")


def test_build_refuses_an_empty_model_folder_which_the_zip_could_not_hold(tmp_path: Path) -> None:
    config_path = _project(tmp_path, helpers_in_model=True)
    for shipped in sorted((tmp_path / "model").rglob("*"), reverse=True):
        shipped.unlink() if shipped.is_file() else shipped.rmdir()
    (tmp_path / "model" / "__pycache__").mkdir()  # what never ships does not count
    (tmp_path / "model" / "__pycache__" / "x.cpython-312.pyc").write_bytes(b"")
    with pytest.raises(BuildError) as raised:
        check_model_needs(load_config(config_path))
    assert raised.value.message == (f"model.path {tmp_path / 'model'} holds no file that ships: the package "
                                    "keeps files, not empty folders, so the function would have no model/ "
                                    "folder to load from")
    assert "README" in raised.value.hint
