"""Tiny models for tests, made in a given folder from data scikit-learn ships (no downloads).

Each factory returns a ``Made``: where the model is, sample rows, and the framework's own
predictions for those rows, so a test can compare what lambdaserve answers with them.
Frameworks are imported inside each factory; a test imports only what it uses.
"""

from __future__ import annotations

import json
import textwrap
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import Signature

# Rows from each class of iris (0, 1, 2) and a spread of diabetes patients.
IRIS_ROWS = (0, 50, 100, 25, 75, 125)
DIABETES_ROWS = (0, 10, 100, 200, 300)


@dataclass
class Made:
    path: Path  # the model file, or the model folder for a custom predictor
    framework: str
    rows: list[Any]  # request rows (nested lists)
    expected: dict[str, Any]  # output name -> the framework's own answer for rows
    signature: dict[str, Any] | None = None  # a [signature] to declare, where the model has none
    predictor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def iris() -> tuple[Any, Any, list[list[float]]]:
    from sklearn.datasets import load_iris

    data = load_iris()
    return data.data, data.target, data.data[list(IRIS_ROWS)].tolist()


def diabetes() -> tuple[Any, Any, list[list[float]]]:
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    return data.data, data.target, data.data[list(DIABETES_ROWS)].tolist()


def runtime_settings(path: Path, framework: str = "auto", *,
                     signature: Signature | dict[str, Any] | None = None,
                     predictor: str | None = None, probabilities: bool = False) -> RuntimeSettings:
    """Settings as the runtime would read them for a model at ``path`` (a file or a folder)."""
    if isinstance(signature, dict):
        signature = Signature.from_dict({"source": "config", **signature})
    folder, name = (path, None) if path.is_dir() else (path.parent, path.name)
    return RuntimeSettings(model_dir=folder, model_file=name, framework=framework, predictor=predictor,
                           name="test-model", api_path="/predict", warmup=False,
                           probabilities=probabilities, signature=signature, cors_origins=())


def _save_sklearn(model: Any, path: Path, fmt: str) -> None:
    if fmt == "skops":
        from lambdaserve.runtime.loaders.sklearn import import_skops_io

        import_skops_io().dump(model, path)  # as the runtime imports it: without torch
    elif fmt == "pickle":
        import pickle

        path.write_bytes(pickle.dumps(model))
    else:
        import joblib

        joblib.dump(model, path)


def sklearn_classifier(folder: Path, fmt: str = "joblib", string_labels: bool = False) -> Made:
    """A small random forest on iris, saved as joblib, pickle or skops; labels 0-2 or species names."""
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    x, y, rows = iris()
    if string_labels:
        y = load_iris().target_names[y]
    model = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(x, y)
    path = folder / {"joblib": "model.joblib", "pickle": "model.pkl", "skops": "model.skops"}[fmt]
    _save_sklearn(model, path, fmt)
    expected = {"label": model.predict(rows), "probabilities": model.predict_proba(rows)}
    return Made(path, "sklearn", rows, expected)


def sklearn_regressor(folder: Path, fmt: str = "joblib") -> Made:
    """Ridge regression on diabetes."""
    from sklearn.linear_model import Ridge

    x, y, rows = diabetes()
    model = Ridge(alpha=1.0).fit(x, y)
    path = folder / ("model.skops" if fmt == "skops" else "model.joblib")
    _save_sklearn(model, path, fmt)
    return Made(path, "sklearn", rows, {"prediction": model.predict(rows)})


def sklearn_pipeline(folder: Path) -> Made:
    """Scaler + logistic regression on iris, with the feature names a DataFrame fit records.

    pandas is not a test dependency, so the names are set as fitting on a DataFrame sets them.
    """
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y, rows = iris()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
    model[0].feature_names_in_ = np.asarray(load_iris().feature_names, dtype=object)
    path = folder / "model.joblib"
    _save_sklearn(model, path, "joblib")
    with warnings.catch_warnings():  # the array has no names; its columns are in the fitted order
        warnings.simplefilter("ignore", UserWarning)
        expected = {"label": model.predict(rows), "probabilities": model.predict_proba(rows)}
    return Made(path, "sklearn", rows, expected, extra={"feature_names": tuple(load_iris().feature_names)})


# A tiny table of mixed types, as most tabular models in the wild are trained on.
TABLE = {
    "age": [25, 32, 47, 51, 38, 29, 60, 44],
    "income": [30e3, 42e3, 80e3, 95e3, 50e3, 35e3, 120e3, 70e3],
    "city": ["Paris", "Lyon", "Paris", "Nice", "Lyon", "Nice", "Paris", "Lyon"],
}
TABLE_LABELS = [0, 0, 1, 1, 0, 0, 1, 1]
TABLE_RECORDS = [{"age": 30, "income": 40000.0, "city": "Paris"},
                 {"age": 58, "income": 99000.5, "city": "Nice"}]


def sklearn_table(folder: Path, handle_unknown: str = "error") -> Made:
    """Pipeline(ColumnTransformer(OneHotEncoder on city, StandardScaler on age and income)) fitted on a
    DataFrame; ``extra["sample"]``: the training rows as a CSV (with the label), for init --sample."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame = pd.DataFrame(TABLE)
    prep = ColumnTransformer([("cat", OneHotEncoder(handle_unknown=handle_unknown), ["city"]),
                              ("num", StandardScaler(), ["age", "income"])])
    model = Pipeline([("prep", prep), ("clf", LogisticRegression())]).fit(frame, TABLE_LABELS)
    path = folder / "model.joblib"
    _save_sklearn(model, path, "joblib")
    sample = folder / "train.csv"
    frame.assign(label=TABLE_LABELS).to_csv(sample, index=False)
    asked = pd.DataFrame(TABLE_RECORDS)
    expected = {"label": model.predict(asked), "probabilities": model.predict_proba(asked)}
    return Made(path, "sklearn", [dict(r) for r in TABLE_RECORDS], expected, extra={"sample": sample})


def lightgbm_table(folder: Path, native: bool = True) -> Made:
    """LGBMClassifier on a DataFrame whose "age years" LightGBM stores as "age_years" and whose "city" is a
    pandas category column: saved as model.txt (native) or joblib'd through the sklearn API."""
    import lightgbm
    import pandas as pd

    frame = pd.DataFrame({"age years": TABLE["age"] * 4, "income": TABLE["income"] * 4,
                          "city": pd.Categorical(TABLE["city"] * 4)})
    labels = [(a > 40) != (c == "Lyon") for a, c in zip(frame["age years"], frame["city"], strict=True)]
    model = lightgbm.LGBMClassifier(n_estimators=8, min_child_samples=2, min_data_per_group=1,
                                    cat_smooth=1.0, verbose=-1).fit(frame, labels)
    path = folder / ("model.txt" if native else "model.joblib")
    if native:
        model.booster_.save_model(path)
    else:
        _save_sklearn(model, path, "joblib")
    sample = folder / "train.csv"
    frame.assign(label=labels).to_csv(sample, index=False)
    records = [{"age years": 58, "income": 40000.0, "city": "Paris"},
               {"age years": 30, "income": None, "city": "Lyon"},
               {"age years": 45, "income": 50000.0, "city": None}]
    asked = pd.DataFrame(records).astype({"income": "float64"})
    asked["city"] = pd.Categorical(asked["city"], categories=frame["city"].cat.categories)
    asked.columns = ["age_years", "income", "city"]
    proba = model.predict_proba(asked)
    expected = {"label": proba.argmax(axis=1), "probabilities": proba}
    return Made(path, "lightgbm", records, expected, extra={"sample": sample})


def catboost_table(folder: Path, native: bool = True, classifier: bool = True) -> Made:
    """CatBoost on the mixed table with "city" as a categorical feature: model.cbm, or joblib'd."""
    import catboost
    import pandas as pd

    frame = pd.DataFrame({k: v * 3 for k, v in TABLE.items()})
    labels = TABLE_LABELS * 3
    kind = catboost.CatBoostClassifier if classifier else catboost.CatBoostRegressor
    model = kind(iterations=10, verbose=False, cat_features=["city"], thread_count=1,
                 allow_writing_files=False).fit(frame, labels)  # no catboost_info/ in the cwd
    path = folder / ("model.cbm" if native else "model.joblib")
    if native:
        model.save_model(str(path))
    else:
        _save_sklearn(model, path, "joblib")
    records = [*TABLE_RECORDS, {"age": 41, "income": None, "city": "Marseille"}]
    asked = pd.DataFrame(records).astype({"income": "float64"})
    if classifier:
        expected = {"label": model.predict(asked), "probabilities": model.predict_proba(asked)}
    else:
        expected = {"prediction": model.predict(asked)}
    return Made(path, "catboost", records, expected)


def untrusted_function(x: Any) -> Any:
    """A function from outside scikit-learn: skops must not trust it on its own."""
    return x


def sklearn_untrusted_skops(folder: Path) -> Path:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.tree import DecisionTreeClassifier

    x, y, _ = iris()
    model = make_pipeline(FunctionTransformer(untrusted_function), DecisionTreeClassifier(max_depth=2))
    model.fit(x, y)
    path = folder / "model.skops"
    _save_sklearn(model, path, "skops")
    return path


def onnx_classifier(folder: Path, zipmap: bool = False) -> Made:
    """Logistic regression on iris converted by skl2onnx; expected answers come from onnxruntime."""
    import onnxruntime as ort
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    x, y, rows = iris()
    model = LogisticRegression(max_iter=500).fit(x, y)
    options = {} if zipmap else {id(model): {"zipmap": False}}
    onx = to_onnx(model, x[:1].astype(np.float32), options=options, target_opset={"": 17, "ai.onnx.ml": 3})
    path = folder / "model.onnx"
    path.write_bytes(onx.SerializeToString())
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    label, proba = session.run(None, {session.get_inputs()[0].name: np.asarray(rows, dtype=np.float32)})
    if zipmap:
        proba = np.asarray([[row[k] for k in sorted(row)] for row in proba], dtype=np.float32)
    return Made(path, "onnx", rows, {"label": label, "probabilities": proba},
                extra={"input": session.get_inputs()[0].name})


def onnx_two_inputs(folder: Path) -> Made:
    """A graph taking a [batch, 3] float and a [batch, 3] double: sum = float(a) + float(b)."""
    import onnx
    from onnx import TensorProto, helper

    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, ["batch", 3])
    b = helper.make_tensor_value_info("b", TensorProto.DOUBLE, ["batch", 3])
    out = helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["batch", 3])
    nodes = [helper.make_node("Cast", ["b"], ["b32"], to=TensorProto.FLOAT),
             helper.make_node("Add", ["a", "b32"], ["sum"])]
    graph = helper.make_graph(nodes, "two_inputs", [a, b], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = folder / "model.onnx"
    path.write_bytes(model.SerializeToString())
    rows_a, rows_b = [[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]], [[10.0, 20.0, 30.0], [1.0, 1.0, 1.0]]
    expected = np.asarray(rows_a, np.float32) + np.asarray(rows_b, np.float32)
    return Made(path, "onnx", [], {"sum": expected}, extra={"inputs": {"a": rows_a, "b": rows_b}})


TORCH_SIGNATURE = {
    "inputs": [{"name": "input", "dtype": "float32", "shape": [-1, 4]}],
    "outputs": [{"name": "logits", "dtype": "float32", "shape": [-1, 3]}],
}


def torchscript_mlp(folder: Path) -> Made:
    """A 4-8-3 MLP (untrained, seeded), scripted and saved; expected answers from torch itself."""
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).eval()
    path = folder / "model.pt"
    with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript in favour of torch.export
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(model).save(str(path))
    _, _, rows = iris()
    with torch.inference_mode():
        logits = model(torch.tensor(rows, dtype=torch.float32)).numpy()
    return Made(path, "torchscript", rows, {"logits": logits}, signature=TORCH_SIGNATURE)


def xgboost_model(folder: Path, objective: str = "multi:softprob", fmt: str = "json") -> Made:
    """A 5-round booster on iris (classification objectives) or diabetes (anything else)."""
    import xgboost as xgb

    classify = objective.startswith(("multi:", "binary:"))
    x, y, rows = iris() if classify else diabetes()
    if objective.startswith("binary:"):
        y = (y == 2).astype(int)
    params: dict[str, Any] = {"objective": objective, "max_depth": 2, "nthread": 1}
    if objective.startswith("multi:"):
        params["num_class"] = 3
    names = [f"f_{i}" for i in range(x.shape[1])]
    booster = xgb.train(params, xgb.DMatrix(x, label=y, feature_names=names), num_boost_round=5)
    path = folder / f"model.{fmt}"
    booster.save_model(str(path))
    raw = booster.predict(xgb.DMatrix(np.asarray(rows, np.float32), feature_names=names))
    expected: dict[str, Any] = {"raw": raw}
    if objective == "multi:softprob":
        expected = {"label": raw.argmax(axis=1), "probabilities": raw}
    elif objective == "binary:logistic":
        expected = {"label": (raw > 0.5).astype(int), "probabilities": np.column_stack([1 - raw, raw])}
    elif not classify:
        expected = {"prediction": raw}
    return Made(path, "xgboost", rows, expected, extra={"feature_names": tuple(names)})


XGB_CITIES = ("Paris", "Nice", "Lyon")  # not sorted: the training order is the model's codes


def xgboost_table(folder: Path, fmt: str = "json", classifier: bool = True) -> Made:
    """XGBClassifier / XGBRegressor (enable_categorical, 3 trees) on the mixed table, "city" a pandas
    category column whose categories are in an unsorted training order: the booster saved as model.json
    or model.ubj, or the estimator joblib'd (fmt="joblib")."""
    import pandas as pd
    import xgboost as xgb

    frame = pd.DataFrame({"age": TABLE["age"] * 3, "income": TABLE["income"] * 3,
                          "city": pd.Categorical(TABLE["city"] * 3, categories=list(XGB_CITIES))})
    labels = [int((a > 40) != (c == "Nice")) for a, c in zip(frame["age"], frame["city"], strict=True)]
    kind = xgb.XGBClassifier if classifier else xgb.XGBRegressor
    model = kind(n_estimators=3, max_depth=3, learning_rate=1.0, min_child_weight=0, enable_categorical=True,
                 tree_method="hist", n_jobs=1, max_cat_to_onehot=1).fit(frame, labels)
    path = folder / f"model.{fmt}"
    if fmt == "joblib":
        _save_sklearn(model, path, "joblib")
    else:
        model.get_booster().save_model(str(path))
    records = [{"age": 30, "income": 40000.0, "city": "Nice"},
               {"age": 58, "income": None, "city": "Lyon"},
               {"age": 45, "income": 50000.0, "city": None},
               {"age": 33, "income": 99000.5, "city": "Paris"}]
    asked = pd.DataFrame(records).astype({"income": "float64"})
    asked["city"] = pd.Categorical(asked["city"], categories=list(XGB_CITIES))
    if classifier:
        proba = model.predict_proba(asked)
        expected = {"label": model.predict(asked), "probabilities": proba}
    else:
        expected = {"prediction": model.predict(asked)}
    return Made(path, "xgboost", records, expected)


_PREDICTOR_SOURCE = '''
    """A linear scorer over iris rows: lambdaserve's custom predictor contract."""
    import json
    from pathlib import Path

    import numpy as np

    __version__ = "0.3"


    class Predictor:
        signature = {SIGNATURE}

        def load(self, model_dir):
            weights = json.loads((Path(model_dir) / "weights.json").read_text())
            self.w = np.asarray(weights["w"])
            self.b = np.asarray(weights["b"])

        def predict(self, inputs, probabilities=False):
            scores = np.asarray(inputs["features"], dtype=float) @ self.w + self.b
            answer = {"label": scores.argmax(axis=1)}
            if probabilities:
                e = np.exp(scores - scores.max(axis=1, keepdims=True))
                answer["probabilities"] = e / e.sum(axis=1, keepdims=True)
            return answer


    predictor = Predictor()
'''

CUSTOM_SIGNATURE = {
    "inputs": [{"name": "features", "dtype": "float64", "shape": [-1, 4]}],
    "outputs": [{"name": "label", "dtype": "int64", "shape": [-1]}],
}


def custom_predictor(folder: Path, module: str = "tiny_predictor", attr: str = "Predictor",
                     with_signature: bool = True) -> Made:
    """A predictor module next to a model folder holding weights.json, as a project would have.

    ``attr`` "Predictor" is the class; "predictor" a module-level instance. Use a distinct
    ``module`` per test: Python caches imported modules by name.
    """
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    model_dir = folder / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "weights.json").write_text(json.dumps({"w": w.tolist(), "b": b.tolist()}))
    signature = repr(CUSTOM_SIGNATURE) if with_signature else "None"
    source = textwrap.dedent(_PREDICTOR_SOURCE).replace("{SIGNATURE}", signature)
    (folder / f"{module}.py").write_text(source)
    _, _, rows = iris()
    scores = np.asarray(rows) @ w + b
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return Made(model_dir, "custom", rows,
                {"label": scores.argmax(axis=1), "probabilities": e / e.sum(axis=1, keepdims=True)},
                signature=CUSTOM_SIGNATURE, predictor=f"{module}:{attr}")
