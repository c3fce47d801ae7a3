"""TorchScript models (``torch.jit.load``), in eval mode, predicting under inference_mode.

A TorchScript archive does not record the shapes it takes, so the signature comes from
[signature] in lambdaserve.toml. Inputs are passed positionally in the declared order;
a tensor answer is named by the first declared output, a tuple by the outputs in order,
and a dict keeps its own keys.
"""

from __future__ import annotations

import warnings
from typing import Any

from lambdaserve.errors import ModelLoadError
from lambdaserve.runtime.loaders.base import (
    as_array,
    load_failed,
    missing_framework,
    model_file,
    numpy_version,
)
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import Signature
from lambdaserve.runtime.threads import available_cpus

SUFFIXES = (".pt", ".pth", ".torchscript")
_EXAMPLE = 'inputs = [{ name = "input", dtype = "float32", shape = [-1, 4] }]'


def _to_numpy(value: Any) -> Any:
    import torch

    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value


class TorchScriptModel:
    framework = "torchscript"

    def __init__(self, module: Any, signature: Signature) -> None:
        self.module = module
        self.signature = signature
        self._names = [spec.name for spec in signature.outputs]

    def _name(self, index: int) -> str:
        if index < len(self._names):
            return self._names[index]
        return "output" if index == 0 else f"output_{index}"

    def predict(self, inputs: dict[str, list[Any]], probabilities: bool = False) -> dict[str, Any]:
        import torch

        specs = self.signature.inputs
        tensors = [torch.from_numpy(as_array(inputs[spec.name], spec.dtype)) for spec in specs]
        with torch.inference_mode():
            result = self.module(*tensors)
        if isinstance(result, dict):
            return {str(key): _to_numpy(value) for key, value in result.items()}
        if isinstance(result, tuple | list):
            return {self._name(i): _to_numpy(value) for i, value in enumerate(result)}
        return {self._name(0): _to_numpy(result)}

    def versions(self) -> dict[str, str]:
        import torch

        return {"torch": torch.__version__, **numpy_version()}


def load(settings: RuntimeSettings) -> TorchScriptModel:
    path = model_file(settings.model_path, SUFFIXES, "torchscript")
    signature = settings.signature
    if signature is None or not signature.inputs:
        raise ModelLoadError(f"{path.name}: a TorchScript model does not record the inputs it takes",
                             hint=f"Add a [signature] section to lambdaserve.toml, e.g. {_EXAMPLE}")
    strings = [spec.name for spec in signature.inputs if spec.dtype == "string"]
    if strings:
        raise ModelLoadError(f"torch tensors cannot hold strings (input {', '.join(strings)})",
                             hint="Declare numeric dtypes, or tokenize in a custom predictor.")
    try:
        import torch
    except ImportError as exc:
        raise missing_framework("torchscript", "torch", exc) from exc
    torch.set_num_threads(available_cpus())
    try:
        with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript; it still loads and runs
            warnings.simplefilter("ignore", DeprecationWarning)
            module = torch.jit.load(str(path), map_location="cpu")  # type: ignore[no-untyped-call]
    except Exception as exc:
        raise load_failed("torch.jit", path, exc, "Save the model with torch.jit.script(model).save(path) "
                                                  "(or torch.jit.trace); a state_dict or a pickled "
                                                  "nn.Module needs a custom predictor.") from exc
    module.eval()
    return TorchScriptModel(module, signature)
