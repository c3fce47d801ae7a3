"""The slim path: scikit-learn, LightGBM, XGBoost, TorchScript or sentence-transformers to ONNX,
verified, ready to build.

ONNX Runtime cold-starts several times faster than scikit-learn or torch and its zip is
smaller, so converting is the biggest cold-start lever after .pyc files. A conversion is only
kept when the converted model answers like the original on sample rows: labels exactly,
scores within a stated tolerance (known skl2onnx pitfalls: float32 casts before trees,
HistGradientBoosting, SVM probabilities). Frameworks are imported only inside functions.

    sample.py    the rows a conversion is checked on (the user's, or made from the signature)
    tolerance.py   the check itself: labels exactly, scores within atol/rtol
    missing.py   null (NaN) kept allowed in the ONNX model only where it answers NaN as the original
    sklearn_onnx.py  scikit-learn -> ONNX with skl2onnx
    trees_onnx.py    LightGBM (numeric columns) and XGBoost -> ONNX with onnxmltools
    torch_onnx.py    TorchScript -> ONNX with torch.onnx.export
    text_onnx.py     sentence-transformers -> ONNX graph (pooling, normalisation) + tokenizer.json,
                     kept at embeddings' cosine >= 0.999
    project.py   a project's model converted, verified, and a sibling lambdaserve.onnx.toml written
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.convert.project import Converted, convert_project
    from lambdaserve.convert.tolerance import Tolerance, compare

_EXPORTS = {
    "Converted": "lambdaserve.convert.project",
    "Tolerance": "lambdaserve.convert.tolerance",
    "compare": "lambdaserve.convert.tolerance",
    "convert_project": "lambdaserve.convert.project",
}
__all__ = ["Converted", "Tolerance", "compare", "convert_project"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
