"""A sentence-transformers model to an ONNX graph plus its tokenizer: the slim text path.

The graph is the transformer with the model's pooling (mean, CLS or max over the attention
mask) and, when the model has a Normalize module, L2 normalisation inside it, so the function
needs onnxruntime and the Rust ``tokenizers`` package only (lambdaserve/runtime/loaders/
onnx_text.py), never torch or transformers. The tokenizer is the model's own fast tokenizer,
saved with the truncation (the model's max_seq_length) and padding the original applies.
The export is kept only when its embeddings point where the original's do: cosine >= 0.999
on every text, checked by the runtime's own loader.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from lambdaserve.errors import ConvertError

OPSET = 17
MIN_COSINE = 0.999
_MODULES_FILE = "modules.json"
_TOKEN_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_POOLINGS = ("mean", "cls", "max")
# Texts a conversion is checked on when the user gives none: short and long (past 256 tokens,
# so truncation is checked), empty, padded in a batch with others, accents, CJK, emoji, digits.
SAMPLE_TEXTS = (
    "A man is eating food.",
    "A man is riding a horse.",
    "The new movie is awesome!",
    "",
    "   leading and trailing spaces   ",
    "Lambda runs the function in a Firecracker micro-VM with a read-only file system.",
    "Ünïcödé, naïve café; 東京は晴れ; emoji 🙂👍; numbers 3.14159 and 42.",
    "Short.",
    "What is the capital of France? Paris is the capital and most populous city of France.",
    " ".join(["a long sentence repeated to go past the model's maximum sequence length"] * 40),
    "UPPER CASE and lower case and MiXeD CaSe words",
    "tabs\tand\nnew lines",
)


def is_sentence_transformer(path: Path) -> bool:
    """A folder saved by SentenceTransformer.save (its modules.json names sentence_transformers)."""
    modules = path / _MODULES_FILE
    if not path.is_dir() or not modules.is_file():
        return False
    try:
        listed = json.loads(modules.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(listed, list) and any(
        isinstance(m, dict) and str(m.get("type", "")).startswith("sentence_transformers.") for m in listed)


def read_texts(path: Path) -> list[str]:
    """--data for a text model: a JSON list of strings, or a text file with one text per line."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        texts = json.loads(raw)
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise ConvertError(f"{path} is not a JSON list of strings",
                               hint='Give the texts to check on as ["first text", "second text"].')
        return texts
    texts = [line for line in raw.splitlines() if line.strip()]
    if not texts:
        raise ConvertError(f"{path} holds no text", hint="Write one text per line.")
    return texts


def _parts(model: Any) -> tuple[Any, str, bool]:
    """The transformer, the pooling mode and whether it normalises; refuse any other layout."""
    kinds = [type(module).__name__ for module in model]
    ok = (len(kinds) in (2, 3) and kinds[0] == "Transformer" and kinds[1] == "Pooling"
          and kinds[2:] in ([], ["Normalize"]))
    if not ok:
        raise ConvertError(f"lambdaserve converts Transformer, Pooling[, Normalize] models; this one is "
                           f"{' -> '.join(kinds)}",
                           hint="Serve it with its custom predictor in an image (package = \"image\").")
    transformer, pooling = model[0], model[1]
    mode = pooling.pooling_mode
    if mode not in _POOLINGS or not getattr(pooling, "include_prompt", True):
        raise ConvertError(f"pooling {mode!r} is not one lambdaserve exports (only {', '.join(_POOLINGS)})",
                           hint="Serve it with its custom predictor in an image (package = \"image\").")
    if getattr(transformer, "do_lower_case", False):
        raise ConvertError("the model lowercases texts before its tokenizer (do_lower_case), which the "
                           "exported tokenizer would not", hint="Serve it with its custom predictor.")
    return transformer, mode, len(kinds) == 3


def _embedder(torch: Any, network: Any, names: list[str], mode: str, normalize: bool) -> Any:
    class Embedder(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, *tensors: Any) -> Any:
            feeds = dict(zip(names, tensors, strict=True))
            hidden = self.network(**feeds)[0]
            mask = feeds["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            if mode == "cls":
                pooled = hidden[:, 0]
            elif mode == "max":
                pooled = hidden.masked_fill(mask == 0, torch.finfo(hidden.dtype).min).max(dim=1).values
            else:
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1) if normalize else pooled

    return Embedder().eval()


def _save_tokenizer(transformer: Any, target: Path) -> None:
    from tokenizers import Tokenizer

    fast = getattr(transformer.tokenizer, "backend_tokenizer", None)
    if fast is None:
        raise ConvertError("the model's tokenizer is not a fast (Rust) tokenizer, which the slim path needs",
                           hint="Serve it with its custom predictor in an image.")
    tokenizer = Tokenizer.from_str(fast.to_str())
    tokenizer.no_truncation()
    if transformer.max_seq_length:
        tokenizer.enable_truncation(max_length=int(transformer.max_seq_length))
    pad = transformer.tokenizer
    tokenizer.enable_padding(pad_id=int(pad.pad_token_id or 0), pad_token=str(pad.pad_token or "[PAD]"),
                             pad_type_id=int(getattr(pad, "pad_token_type_id", 0) or 0))
    tokenizer.save(str(target))


def load_original(model_dir: Path) -> Any:
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    except Exception as exc:
        raise ConvertError(f"sentence-transformers cannot load {model_dir}: {type(exc).__name__}: {exc}",
                           hint="Check the folder loads with SentenceTransformer(path).") from exc


def export(model: Any, target: Path) -> None:
    """Write model.onnx and tokenizer.json of a loaded SentenceTransformer into ``target`` (new)."""
    import torch

    transformer, mode, normalize = _parts(model)
    names = [n for n in _TOKEN_INPUTS if n in transformer.tokenizer.model_input_names]
    if "input_ids" not in names or "attention_mask" not in names:
        raise ConvertError(f"the tokenizer gives {', '.join(names)}; the export needs input_ids and "
                           "attention_mask", hint="Serve it with its custom predictor in an image.")
    example = transformer.tokenizer(["an example", "a second, longer example"], padding=True,
                                    return_tensors="pt")
    target.mkdir(parents=True)
    axes = {**{n: {0: "batch", 1: "tokens"} for n in names}, "embedding": {0: "batch"}}
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer warnings
            torch.onnx.export(_embedder(torch, transformer.auto_model, names, mode, normalize),
                              tuple(example[n] for n in names), str(target / "model.onnx"), dynamo=False,
                              input_names=names, output_names=["embedding"], dynamic_axes=axes,
                              opset_version=OPSET)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConvertError(f"torch.onnx.export cannot export this transformer: {first}",
                           hint="Serve it with its custom predictor in an image.") from exc
    _save_tokenizer(transformer, target / "tokenizer.json")


def cosine_problems(want: Any, got: Any, minimum: float = MIN_COSINE) -> list[str]:
    """What differs between two (texts, dims) embedding arrays: shape, or a cosine below ``minimum``."""
    import numpy as np

    want, got = np.asarray(want, dtype=np.float64), np.asarray(got, dtype=np.float64)
    if want.shape != got.shape:
        return [f"embeddings of shape {list(got.shape)}, the original's are {list(want.shape)}"]
    norms = np.linalg.norm(want, axis=1) * np.linalg.norm(got, axis=1)
    cosines = np.where(norms > 0, (want * got).sum(axis=1) / np.where(norms > 0, norms, 1), 0.0)
    low = [i for i, c in enumerate(cosines) if not c >= minimum]
    return [f"text {i}: cosine {cosines[i]:.6f} < {minimum}" for i in low[:5]] + (
        [f"and {len(low) - 5} more"] if len(low) > 5 else [])


def convert_text(model_dir: Path, target: Path, texts: list[str], check: Any) -> float:
    """Export into ``target`` (replacing it only when verified); ``check(folder, texts)`` gives the
    converted model's embeddings as the runtime computes them. Returns the lowest cosine."""
    import numpy as np

    model = load_original(model_dir)
    want = model.encode(texts, convert_to_numpy=True)  # the original's embeddings, as its users get them
    with tempfile.TemporaryDirectory(prefix=".lambdaserve-convert-", dir=target.parent) as scratch:
        staging = Path(scratch) / target.name
        export(model, staging)
        got = np.asarray(check(staging, texts))
        problems = cosine_problems(want, got)
        if problems:
            raise ConvertError(f"the ONNX model's embeddings differ from the original's on {len(texts)} "
                               "texts: " + "; ".join(problems),
                               hint="Nothing was written; serve the original with its custom predictor in "
                                    "an image.")
        if target.exists():
            shutil.rmtree(target)
        staging.replace(target)
    a, b = want.astype(np.float64), got.astype(np.float64)
    cosines = (a * b).sum(axis=1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-30)
    return float(cosines.min())
