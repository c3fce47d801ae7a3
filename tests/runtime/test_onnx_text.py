"""ONNX text models: a tokenizer.json beside the graph makes the onnx loader take strings.

The graph here is hand-made with onnx.helper and the tokenizer with tokenizers (no torch): the
"embedding" is [sum of the token ids, number of real tokens], so each number shows what the
loader fed the graph (which ids, which attention mask, where the tokenizer truncated).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lambdaserve.errors import ModelLoadError, RequestError
from lambdaserve.package.needs.resolve import model_file_modules
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.loaders.onnx import TOKENIZER_FILE
from lambdaserve.runtime.loaders.onnx_text import TextOnnxModel
from tests.runtime.support import answer, http_event, runtime, settings

VOCAB = {"[PAD]": 0, "[UNK]": 1, "hello": 2, "world": 3, "lambda": 4}


def _tokenizer(path: Path, max_length: int = 3) -> None:
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    tokenizer = Tokenizer(WordLevel(VOCAB, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    tokenizer.save(str(path))


def _graph(path: Path, inputs: tuple[str, ...] = ("input_ids", "attention_mask"),
           per_token: bool = False) -> None:
    import onnx
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node("Mul", ["input_ids", "attention_mask"], ["kept"]),
        helper.make_node("ReduceSum", ["kept", "axes"], ["id_sum"], keepdims=1),
        helper.make_node("ReduceSum", ["attention_mask", "axes"], ["count"], keepdims=1),
        helper.make_node("Concat", ["id_sum", "count"], ["both"], axis=1),
        helper.make_node("Cast", ["both"], ["pooled"], to=TensorProto.FLOAT),
        # per_token: [batch, 1, 2], the shape of a transformer's token vectors before pooling
        helper.make_node("Unsqueeze" if per_token else "Identity",
                         ["pooled", "axes"] if per_token else ["pooled"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes, "sum_of_ids",
        [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"]) for name in inputs],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT,
                                       ["batch", 1, 2] if per_token else ["batch", 2])],
        initializer=[helper.make_tensor("axes", TensorProto.INT64, [1], [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


@pytest.fixture
def text_model(tmp_path: Path) -> Path:
    folder = tmp_path / "model-onnx"
    folder.mkdir()
    _graph(folder / "model.onnx")
    _tokenizer(folder / TOKENIZER_FILE)
    return folder


def _load(folder: Path) -> TextOnnxModel:
    model = load_model(settings(LAMBDASERVE_MODEL_DIR=str(folder), LAMBDASERVE_FRAMEWORK="onnx"))
    assert isinstance(model, TextOnnxModel)
    return model


def test_texts_are_tokenized_padded_and_truncated_as_tokenizer_json_says(text_model: Path) -> None:
    model = _load(text_model)
    got = model.predict({"text": ["hello world", "lambda", "hello hello hello hello", "unknown"]})
    # ids: hello 2, world 3, lambda 4, [UNK] 1; padded rows count only their real tokens (the
    # attention mask), and the 4-word text is cut at max_length 3.
    assert got["embedding"].tolist() == [[5.0, 2.0], [4.0, 1.0], [6.0, 3.0], [1.0, 1.0]]
    assert model.signature.inputs[0].name == "text" and model.signature.inputs[0].dtype == "string"
    assert model.signature.outputs[0].shape == (None, 2)
    assert set(model.versions()) == {"onnxruntime", "tokenizers", "numpy"}


def test_the_function_answers_a_list_of_texts_and_refuses_a_number(text_model: Path) -> None:
    rt, _ = runtime(_load(text_model))
    status, body = answer(rt.handle(http_event({"data": ["hello", "world lambda"]}), None))
    assert (status, body) == (200, {"predictions": [[2.0, 1.0], [7.0, 2.0]]})
    status, body = answer(rt.handle(http_event({"data": ["hello", 3]}), None))
    assert status == 400, body


def test_a_non_string_row_is_a_request_error_naming_it(text_model: Path) -> None:
    with pytest.raises(RequestError, match="row 1: int is not a text"):
        _load(text_model).predict({"text": ["hello", 3]})


def test_a_graph_that_takes_other_inputs_is_refused_at_load(tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    _graph(folder / "model.onnx", inputs=("input_ids", "attention_mask", "pixel_values"))
    _tokenizer(folder / TOKENIZER_FILE)
    with pytest.raises(ModelLoadError, match="pixel_values"):
        _load(folder)


def test_token_vectors_without_pooling_are_refused_at_load(tmp_path: Path) -> None:
    folder = tmp_path / "tokens"
    folder.mkdir()
    _graph(folder / "model.onnx", per_token=True)  # as optimum exports last_hidden_state
    _tokenizer(folder / TOKENIZER_FILE)
    with pytest.raises(ModelLoadError, match=r"embedding \['batch', 1, 2\]"):
        _load(folder)


def test_a_declared_signature_with_other_inputs_is_refused(text_model: Path) -> None:
    declared = '{"inputs": [{"name": "input", "dtype": "float32", "shape": [-1, 2]}]}'
    with pytest.raises(ModelLoadError, match="tokenizer.json"):
        load_model(settings(LAMBDASERVE_MODEL_DIR=str(text_model), LAMBDASERVE_FRAMEWORK="onnx",
                            LAMBDASERVE_SIGNATURE=declared))


def test_build_requires_tokenizers_for_a_text_model_folder_only(text_model: Path, tmp_path: Path) -> None:
    assert "tokenizers" in model_file_modules(text_model, "onnx")
    (text_model / TOKENIZER_FILE).unlink()
    assert "tokenizers" not in model_file_modules(text_model, "onnx")


def test_the_onnx_loader_imports_the_text_loader_only_for_a_text_model() -> None:
    """A tabular ONNX function's cold start does not pay for onnx_text.py (~0.5 M instructions)."""
    script = ("import sys, lambdaserve.runtime.loaders.onnx\n"
              "print('lambdaserve.runtime.loaders.onnx_text' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.strip() == "False"
