"""Text embeddings through onnxruntime: an ONNX graph beside the tokenizer that feeds it.

A model folder that holds ``tokenizer.json`` next to its ``.onnx`` (what ``lambdaserve convert
--to onnx`` writes for a sentence-transformers model) takes texts, not tensors: each request row
is one string, tokenized here by the Rust ``tokenizers`` package (no transformers, no torch) and
fed to the graph by the names it asks for (``input_ids``, ``attention_mask``,
``token_type_ids``). Truncation and padding are part of tokenizer.json, as convert saved them,
so texts are cut exactly where the original model cut them. The graph's one output is the
embedding (pooling and normalisation are inside it): one vector per text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lambdaserve.errors import ModelLoadError, RequestError
from lambdaserve.runtime.loaders.base import load_failed, missing_framework, numpy_version
from lambdaserve.runtime.loaders.onnx import TOKENIZER_FILE
from lambdaserve.runtime.signature import Signature, TensorSpec

INPUT = "text"
OUTPUT = "embedding"
# What each graph input is, from one tokenized text (tokenizers' Encoding attributes).
_FEEDS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}


class TextOnnxModel:
    framework = "onnx"

    def __init__(self, session: Any, tokenizer: Any) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self._inputs = [node.name for node in session.get_inputs()]
        unknown = [name for name in self._inputs if name not in _FEEDS]
        outputs = session.get_outputs()
        rank = len(outputs[0].shape) if len(outputs) == 1 and isinstance(outputs[0].shape, list) else 2
        if unknown or len(outputs) != 1 or rank != 2:  # rank 3: token vectors, not pooled (optimum's)
            raise ModelLoadError(
                f"an ONNX text model takes {', '.join(_FEEDS)} and gives one embedding; this graph takes "
                f"{', '.join(self._inputs)} and gives {', '.join(f'{o.name} {o.shape}' for o in outputs)}",
                hint="Export it with lambdaserve convert --to onnx, or remove tokenizer.json to serve "
                     "the graph on tensors.")
        self._output = outputs[0].name
        width = outputs[0].shape[-1] if isinstance(outputs[0].shape, list) else None
        self.signature = Signature(inputs=(TensorSpec(INPUT, "string", (None,)),),
                                   outputs=(TensorSpec(OUTPUT, "float32",
                                                       (None, width if isinstance(width, int) else None)),),
                                   source="model")

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        import numpy as np

        if probabilities:
            raise RequestError("an embedding model gives no probabilities", hint="Ask without probabilities.")
        texts = inputs[INPUT]
        bad = next((i for i, text in enumerate(texts) if not isinstance(text, str)), None)
        if bad is not None:
            raise RequestError(f"row {bad}: {type(texts[bad]).__name__} is not a text",
                               hint='Send one string per row: {"data": ["first text", "second text"]}.')
        encodings = self.tokenizer.encode_batch(texts)
        feeds = {name: np.asarray([getattr(e, _FEEDS[name]) for e in encodings], dtype=np.int64)
                 for name in self._inputs}
        (embedding,) = self.session.run([self._output], feeds)
        return {OUTPUT: embedding}

    def versions(self) -> dict[str, str]:
        import onnxruntime
        import tokenizers

        return {"onnxruntime": onnxruntime.__version__, "tokenizers": tokenizers.__version__,
                **numpy_version()}


def load(session: Any, folder: Path) -> TextOnnxModel:
    """The text model over an open session; ``folder`` holds tokenizer.json."""
    try:
        import tokenizers
    except ImportError as exc:
        raise missing_framework("onnx", "tokenizers", exc) from exc
    path = folder / TOKENIZER_FILE
    try:
        tokenizer = tokenizers.Tokenizer.from_file(str(path))
    except Exception as exc:
        raise load_failed("tokenizers", path, exc, "Write it again with lambdaserve convert --to onnx "
                                                   "(or tokenizer.save).") from exc
    return TextOnnxModel(session, tokenizer)
