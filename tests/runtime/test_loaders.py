"""Each loader answers exactly what its framework answers, with the signature read off the model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lambdaserve.errors import RequestError
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.signature import Signature, TensorSpec
from tests import models
from tests.helpers import require_module
from tests.models import Made, runtime_settings


def _predict(made: Made, probabilities: bool = True, **settings: Any) -> dict[str, Any]:
    model = load_model(runtime_settings(made.path, **settings))
    name = model.signature.inputs[0].name
    return model.predict({name: made.rows}, probabilities=probabilities)


def _same(answer: dict[str, Any], expected: dict[str, Any]) -> None:
    assert set(answer) == set(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(np.asarray(answer[name]), np.asarray(value), rtol=1e-6, err_msg=name)


@pytest.mark.slow  # a fresh interpreter imports scikit-learn and skops
def test_a_skops_model_loads_without_importing_torch_beside_it(tmp_path: Path) -> None:
    # skops' trusted-type scan walks scikit-learn, whose torch shim imports torch when installed
    # (as it is here): seconds at every cold start of a worker that never uses it.
    require_module("torch")
    made = models.sklearn_classifier(tmp_path, "skops")
    script = (f"import sys; from lambdaserve.runtime.loaders import load_model; "
              f"from tests.models import runtime_settings; "
              f"m = load_model(runtime_settings(__import__('pathlib').Path({str(made.path)!r}))); "
              f"print(m.framework, 'torch' in sys.modules); import importlib.util as u; "
              f"print('torch', u.find_spec('torch') is not None)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["sklearn", "False", "torch", "True"]  # and torch is found after


@pytest.mark.parametrize("fmt", ["joblib", "pickle", "skops"])
def test_sklearn_classifier_matches_sklearn(tmp_path: Path, fmt: str) -> None:
    made = models.sklearn_classifier(tmp_path, fmt)
    model = load_model(runtime_settings(made.path))
    assert model.framework == "sklearn"
    _same(model.predict({"input": made.rows}, probabilities=True), made.expected)
    assert set(model.predict({"input": made.rows})) == {"label"}
    sig = model.signature
    assert sig.n_features == 4 and sig.inputs[0].dtype == "float32"  # what its trees compute in
    assert sig.classes == (0, 1, 2) and sig.has_proba
    assert [(t.name, t.shape) for t in sig.outputs] == [("label", (None,)), ("probabilities", (None, 3))]
    assert model.versions()["scikit-learn"] and model.versions()["numpy"] == np.__version__
    assert ("skops" in model.versions()) == (fmt == "skops")  # needed in the function to read it


def test_sklearn_string_labels(tmp_path: Path) -> None:
    made = models.sklearn_classifier(tmp_path, "skops", string_labels=True)
    model = load_model(runtime_settings(made.path))
    assert model.signature.classes == ("setosa", "versicolor", "virginica")
    assert model.signature.outputs[0] == TensorSpec("label", "string", (None,))
    answer = model.predict({"input": made.rows})
    assert answer["label"].tolist() == made.expected["label"].tolist()
    assert answer["label"].tolist()[:3] == ["setosa", "versicolor", "virginica"]


def test_pickle_load_warns_in_a_json_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = models.sklearn_classifier(tmp_path, "pickle")
    load_model(runtime_settings(made.path))
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    warned = [line for line in lines if "a pickle runs any code" in line["message"]]
    assert warned and warned[0]["level"] == "WARNING" and "model.pkl" in warned[0]["message"]


def test_skops_load_does_not_warn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = models.sklearn_classifier(tmp_path, "skops")
    load_model(runtime_settings(made.path))
    assert "pickle" not in capsys.readouterr().err


def test_sklearn_regressor_gives_predictions_and_no_probabilities(tmp_path: Path) -> None:
    made = models.sklearn_regressor(tmp_path)
    model = load_model(runtime_settings(made.path, "sklearn"))
    _same(model.predict({"input": made.rows}), made.expected)
    assert model.signature.n_features == 10
    assert model.signature.classes is None and not model.signature.has_proba
    with pytest.raises(RequestError, match="does not give probabilities"):
        model.predict({"input": made.rows}, probabilities=True)


def _loaded(estimator: Any, folder: Path) -> Any:
    """A fitted estimator saved with joblib in ``folder`` and loaded as the function loads it."""
    import joblib

    joblib.dump(estimator, folder / "model.joblib")
    return load_model(runtime_settings(folder / "model.joblib"))


def _multi_output_models() -> list[Any]:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.linear_model import Ridge
    from sklearn.multioutput import MultiOutputClassifier, MultiOutputRegressor, RegressorChain
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.random.default_rng(0).normal(size=(40, 4))
    y = np.c_[x[:, 0], x[:, 1] * 2]
    labels = np.c_[np.where(x[:, 0] > 0, "up", "down"), np.where(x[:, 1] > 0, "hi", "lo")]
    forest = {"n_estimators": 3, "random_state": 0}
    return [(RandomForestRegressor(**forest), y), (MultiOutputRegressor(Ridge()), y),
            (RegressorChain(Ridge()), y), (make_pipeline(StandardScaler(), Ridge()), y),
            (RandomForestClassifier(**forest), labels),
            (MultiOutputClassifier(RandomForestClassifier(**forest)), labels)]


@pytest.mark.parametrize("index", range(6))
def test_a_multi_output_models_signature_says_what_it_answers(tmp_path: Path, index: int) -> None:
    # /metadata and /openapi.json said one float per row for MultiOutputRegressor, and float64 for
    # a multi-output classifier's string labels: a client built from them would misread the answer
    estimator, y = _multi_output_models()[index]
    x = np.random.default_rng(1).normal(size=(40, 4))
    estimator.fit(x, y)
    model = _loaded(estimator, tmp_path)
    answer = model.predict({"input": x[:3].tolist()})
    output = model.signature.outputs[0]  # a classifier's probabilities follow, one output each
    assert (output.name, output.shape) == ("prediction", (None, 2))
    assert np.asarray(answer["prediction"]).shape == (3, 2)
    assert output.dtype == ("string" if y.dtype.kind == "U" else "float64")
    assert np.asarray(answer["prediction"]).tolist() == estimator.predict(x[:3]).tolist()


@pytest.mark.parametrize("kind", ["kmeans", "isolation-forest", "scaled-kmeans"])
def test_an_unsupervised_models_signature_says_it_answers_integers(tmp_path: Path, kind: str) -> None:
    # /metadata said float64 for KMeans' clusters and IsolationForest's -1/1, answered as integers
    from sklearn.cluster import KMeans
    from sklearn.ensemble import IsolationForest
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    made = {"kmeans": lambda: KMeans(3, n_init=1, random_state=0),
            "isolation-forest": lambda: IsolationForest(n_estimators=5, random_state=0),
            "scaled-kmeans": lambda: make_pipeline(StandardScaler(), KMeans(3, n_init=1, random_state=0))}
    x = np.random.default_rng(2).normal(size=(40, 2))
    estimator = made[kind]().fit(x)
    model = _loaded(estimator, tmp_path)
    (output,) = model.signature.outputs
    assert (output.name, output.dtype, output.shape) == ("prediction", "int64", (None,))
    answer = np.asarray(model.predict({"input": x[:5].tolist()})["prediction"])
    # the dtype the signature names: KMeans answers int32, which the OIP answer called INT32
    assert answer.dtype == np.int64 and answer.tolist() == estimator.predict(x[:5]).tolist()


def test_a_classifier_with_int32_labels_answers_int64_as_its_signature_says(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    x = np.random.default_rng(3).normal(size=(30, 2))
    estimator = LogisticRegression().fit(x, (x[:, 0] > 0).astype(np.int32))
    model = _loaded(estimator, tmp_path)
    assert model.signature.outputs[0].dtype == "int64"
    label = np.asarray(model.predict({"input": x[:4].tolist()})["label"])
    assert label.dtype == np.int64 and label.tolist() == estimator.predict(x[:4]).tolist()


def _multi_output_classifiers() -> list[tuple[Any, Any]]:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.multioutput import MultiOutputClassifier
    from sklearn.neighbors import KNeighborsClassifier

    x = np.random.default_rng(0).normal(size=(40, 4))
    strings = np.c_[np.where(x[:, 0] > 0, "up", "down"), np.where(x[:, 1] > 0, "hi", "lo")]
    # a different number of classes per output: predict_proba's arrays differ in width
    ragged = np.c_[np.digitize(x[:, 0], [-0.5, 0.5]), x[:, 1] > 0]
    forest = {"n_estimators": 3, "random_state": 0}
    return [(RandomForestClassifier(**forest), strings),
            (MultiOutputClassifier(RandomForestClassifier(**forest)), strings),
            (KNeighborsClassifier(3), ragged), (MultiOutputClassifier(KNeighborsClassifier(3)), ragged)]


@pytest.mark.parametrize("index", range(4))
def test_a_multi_output_classifier_answers_each_outputs_probabilities(tmp_path: Path, index: int) -> None:
    # it was a 400; predict_proba answers one array per output, a column per class of that output
    from tests.runtime.support import Context, answer, http_event, runtime

    estimator, y = _multi_output_classifiers()[index]
    x = np.random.default_rng(1).normal(size=(40, 4))
    estimator.fit(x, y)
    rt, _ = runtime(_loaded(estimator, tmp_path))
    rows = x[:5].tolist()
    want = estimator.predict_proba(np.asarray(rows, dtype=np.float32))
    classes = [c.tolist() for c in estimator.classes_]

    status, meta = answer(rt.handle(http_event(path="/metadata", method="GET"), Context()))
    assert status == 200
    signature = meta["signature"]
    assert signature["has_proba"] and signature["output_classes"] == classes
    assert [(o["name"], o["shape"]) for o in signature["outputs"]] == [
        ("prediction", [None, 2]), ("probabilities_0", [None, len(classes[0])]),
        ("probabilities_1", [None, len(classes[1])])]
    status, doc = answer(rt.handle(http_event(path="/openapi.json", method="GET"), Context()))
    assert status == 200
    (param,) = doc["paths"]["/predict"]["post"]["parameters"]
    assert "probabilities_0 ... probabilities_1" in param["description"]

    status, body = answer(rt.handle(http_event({"data": rows, "parameters": {"probabilities": True}}),
                                    Context()))
    assert status == 200, body
    for k, array in enumerate(want):
        assert [row[f"probabilities_{k}"] for row in body["predictions"]] == array.tolist()
    assert [row["prediction"] for row in body["predictions"]] == estimator.predict(np.asarray(rows)).tolist()
    oip = {"inputs": [{"name": "input", "shape": [5, 4], "datatype": "FP64", "data": rows}],
           "parameters": {"probabilities": True}}
    status, body = answer(rt.handle(http_event(oip), Context()))
    assert status == 200, body
    by_name = {o["name"]: o for o in body["outputs"]}
    for k, array in enumerate(want):
        assert by_name[f"probabilities_{k}"]["shape"] == list(array.shape)
        assert by_name[f"probabilities_{k}"]["data"] == array.ravel().tolist()


def test_a_classifier_chain_asked_for_probabilities_says_why_not(tmp_path: Path) -> None:
    # its predict_proba gives P(label 1) per output, not each output's classes: nothing to serve as such
    from sklearn.linear_model import LogisticRegression
    from sklearn.multioutput import ClassifierChain

    from lambdaserve.runtime.formats import read_request

    x = np.random.default_rng(1).normal(size=(40, 4))
    estimator = ClassifierChain(LogisticRegression()).fit(x, np.c_[x[:, 0] > 0, x[:, 1] > 0].astype(int))
    model = _loaded(estimator, tmp_path)
    assert not model.signature.has_proba and [t.name for t in model.signature.outputs] == ["prediction"]
    with pytest.raises(RequestError) as refused:
        read_request({"data": [[0, 0, 0, 0]]}, model.signature, query_probabilities="true")
    assert refused.value.message == (
        "this model cannot return probabilities: it is a classifier chain (2 outputs), whose "
        "predict_proba gives one number per output, not one per class")


def test_pipeline_with_feature_names(tmp_path: Path) -> None:
    made = models.sklearn_pipeline(tmp_path)
    model = load_model(runtime_settings(made.path))
    assert model.signature.feature_names == made.extra["feature_names"]
    _same(model.predict({"input": made.rows}, probabilities=True), made.expected)


def test_declared_signature_renames_the_input_and_keeps_model_outputs(tmp_path: Path) -> None:
    made = models.sklearn_classifier(tmp_path)
    declared = {
        "inputs": [{"name": "features", "dtype": "float64", "shape": [-1, 4]}],
        "outputs": [{"name": "whatever", "dtype": "int64", "shape": [-1]}],
    }
    model = load_model(runtime_settings(made.path, signature=declared))
    # the dtype stays the model's own: a forest computes in float32, whatever the declaration; and
    # whether it takes null (NaN) is the model's too: its tags say a forest scores missing values
    assert model.signature.inputs == (TensorSpec("features", "float32", (None, 4), nullable=True),)
    assert model.signature.source == "config" and model.signature.classes == (0, 1, 2)
    assert [t.name for t in model.signature.outputs] == ["label", "probabilities"]
    _same(model.predict({"features": made.rows}, probabilities=True), made.expected)


@pytest.mark.parametrize("zipmap", [False, True])
def test_onnx_classifier_matches_onnxruntime(tmp_path: Path, zipmap: bool) -> None:
    made = models.onnx_classifier(tmp_path, zipmap=zipmap)
    model = load_model(runtime_settings(made.path))
    assert model.framework == "onnx"
    sig = model.signature
    assert sig.inputs == (TensorSpec(made.extra["input"], "float32", (None, 4)),)
    assert [t.name for t in sig.outputs] == ["label", "probabilities"] and sig.has_proba
    assert sig.outputs[0].dtype == "int64"
    _same(model.predict({made.extra["input"]: made.rows}, probabilities=True), made.expected)
    assert set(model.predict({made.extra["input"]: made.rows})) == {"label"}
    assert "onnxruntime" in model.versions()


def test_onnx_multiple_inputs_and_symbolic_dims(tmp_path: Path) -> None:
    made = models.onnx_two_inputs(tmp_path)
    model = load_model(runtime_settings(made.path, "onnx"))
    assert model.signature.inputs == (
        TensorSpec("a", "float32", (None, 3)),
        TensorSpec("b", "float64", (None, 3)),
    )
    assert model.signature.outputs == (TensorSpec("sum", "float32", (None, 3)),)
    assert not model.signature.has_proba
    _same(model.predict(made.extra["inputs"]), made.expected)


def test_onnx_declared_inputs_in_any_order_keep_the_graphs_dtypes(tmp_path: Path) -> None:
    made = models.onnx_two_inputs(tmp_path)
    declared = {"inputs": [{"name": "b", "shape": [-1, 3]}, {"name": "a", "shape": [-1, 3]}]}
    model = load_model(runtime_settings(made.path, signature=declared))
    assert [(t.name, t.dtype) for t in model.signature.inputs] == [("a", "float32"), ("b", "float64")]
    _same(model.predict(made.extra["inputs"]), made.expected)


def test_torchscript_with_declared_signature_matches_torch(tmp_path: Path) -> None:
    made = models.torchscript_mlp(tmp_path)
    model = load_model(runtime_settings(made.path, signature=made.signature))
    assert model.framework == "torchscript"
    assert model.signature.inputs == (TensorSpec("input", "float32", (None, 4)),)
    _same(model.predict({"input": made.rows}), made.expected)
    assert "torch" in model.versions()


@pytest.mark.parametrize("fmt", ["json", "ubj"])
def test_xgboost_multiclass_matches_xgboost(tmp_path: Path, fmt: str) -> None:
    made = models.xgboost_model(tmp_path, "multi:softprob", fmt)
    model = load_model(runtime_settings(made.path))
    assert model.framework == "xgboost"
    sig = model.signature
    assert sig.n_features == 4 and sig.feature_names == made.extra["feature_names"]
    assert sig.classes == (0, 1, 2) and sig.has_proba
    _same(model.predict({"input": made.rows}, probabilities=True), made.expected)
    assert "xgboost" in model.versions()


def test_xgboost_binary_logistic(tmp_path: Path) -> None:
    made = models.xgboost_model(tmp_path, "binary:logistic", "ubj")
    model = load_model(runtime_settings(made.path))
    assert model.signature.classes == (0, 1)
    _same(model.predict({"input": made.rows}, probabilities=True), made.expected)


def test_xgboost_regressor(tmp_path: Path) -> None:
    made = models.xgboost_model(tmp_path, "reg:squarederror", "json")
    model = load_model(runtime_settings(made.path))
    assert model.signature.n_features == 10 and model.signature.classes is None
    assert [t.name for t in model.signature.outputs] == ["prediction"]
    _same(model.predict({"input": made.rows}), made.expected)


@pytest.mark.parametrize("attr", ["Predictor", "predictor"])
def test_custom_predictor_class_or_object(tmp_path: Path, attr: str) -> None:
    module = f"tiny_predictor_{attr.lower()}_{id(tmp_path)}"
    made = models.custom_predictor(tmp_path, module=module, attr=attr)
    model = load_model(runtime_settings(made.path, predictor=made.predictor))  # "auto" + predictor
    assert model.framework == "custom"
    assert model.signature.inputs == (TensorSpec("features", "float64", (None, 4)),)
    assert model.signature.source == "model"  # from the predictor's own signature attribute
    _same(model.predict({"features": made.rows}, probabilities=True), made.expected)
    versions = model.versions()  # the known frameworks imported in this process, by pip name
    assert versions["numpy"] == np.__version__
    assert set(versions) <= {"numpy", "scikit-learn", "onnxruntime", "torch", "xgboost", "transformers"}


def test_custom_predictor_module_inside_the_model_folder(tmp_path: Path) -> None:
    module = f"inside_model_dir_{id(tmp_path)}"
    made = models.custom_predictor(tmp_path, module=module)
    (tmp_path / f"{module}.py").rename(made.path / f"{module}.py")
    model = load_model(runtime_settings(made.path, "custom", predictor=made.predictor))
    assert model.predict({"features": made.rows})["label"].tolist() == made.expected["label"].tolist()


def test_custom_predictor_without_signature_is_unknown(tmp_path: Path) -> None:
    made = models.custom_predictor(
        tmp_path, module=f"tiny_predictor_nosig_{id(tmp_path)}", with_signature=False
    )
    model = load_model(runtime_settings(made.path, "custom", predictor=made.predictor))
    assert model.signature == Signature(inputs=(), outputs=(), source="unknown")
    declared = load_model(
        runtime_settings(made.path, "custom", predictor=made.predictor, signature=made.signature)
    )
    assert declared.signature.source == "config"
