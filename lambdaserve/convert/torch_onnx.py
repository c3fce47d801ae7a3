"""TorchScript to ONNX with torch.onnx.export.

A scripted module records no input shapes, so the example input comes from the signature
(declared in [signature]); the batch dimension is exported as dynamic. The TorchScript-based
exporter (dynamo=False) is the one that takes a ScriptModule; torch 2.13 deprecates it but it
still works, and the dynamo exporter needs onnxscript and an nn.Module's Python source.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

from lambdaserve.errors import ConvertError
from lambdaserve.runtime.signature import Signature

OPSET = 17
_TORCH_DTYPES = {"float32": "float32", "float64": "float64", "float16": "float16", "int64": "int64",
                 "int32": "int32", "uint8": "uint8", "bool": "bool"}


def to_onnx(model_path: Path, signature: Signature) -> bytes:
    import torch

    if not signature.inputs or any(d is None for spec in signature.inputs for d in spec.row_shape):
        raise ConvertError("a TorchScript model needs its inputs' row shapes to be exported",
                           hint="Declare them in [signature] of lambdaserve.toml, e.g. "
                                "inputs = [{ name = \"input\", dtype = \"float32\", shape = [-1, 4] }].")
    with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript; it still loads
        warnings.simplefilter("ignore", DeprecationWarning)
        module = torch.jit.load(str(model_path), map_location="cpu").eval()  # type: ignore[no-untyped-call]
    examples = []
    for spec in signature.inputs:
        dtype = getattr(torch, _TORCH_DTYPES.get(spec.dtype, "float32"))
        examples.append(torch.zeros((2, *[int(d or 0) for d in spec.row_shape]), dtype=dtype))
    inputs = [spec.name for spec in signature.inputs]
    outputs = [spec.name for spec in signature.outputs] or ["output"]
    axes = {name: {0: "batch"} for name in inputs + outputs}
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "model.onnx"
        _export(torch, module, tuple(examples), target, inputs, outputs, axes)
        return target.read_bytes()


def _export(torch: Any, module: Any, examples: tuple[Any, ...], target: Path, inputs: list[str],
            outputs: list[str], axes: dict[str, dict[int, str]]) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's deprecation and tracer warnings
            torch.onnx.export(module, examples, str(target), dynamo=False, input_names=inputs,
                              output_names=outputs, dynamic_axes=axes, opset_version=OPSET)
    except Exception as exc:  # unsupported operators surface as torch.onnx errors or RuntimeError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConvertError(f"torch.onnx.export cannot export this model: {first}",
                           hint=f"Keep the native model, or replace the unsupported operator (ONNX opset "
                                f"{OPSET}); see https://pytorch.org/docs/stable/onnx.html.") from exc
