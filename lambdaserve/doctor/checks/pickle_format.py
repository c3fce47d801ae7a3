"""Pickle-format models run code when loaded; skops loads scikit-learn models safely."""

from __future__ import annotations

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, ok, skipped, warning

PICKLES = (".pkl", ".pickle", ".joblib")


def run(ctx: DoctorContext) -> list[Finding]:
    if ctx.config is None:
        return [skipped("no project")]
    path = ctx.config.model.path
    if path.suffix.lower() in PICKLES:
        return [warning(f"{path.name} is a pickle: loading it runs whatever code it holds, and it breaks "
                        "when numpy or scikit-learn versions move",
                        "Save it with skops (skops.io.dump(model, 'model.skops')) or export it to ONNX.",
                        file=str(path))]
    return [ok(f"{path.name} is not a pickle")]


CHECK = Check("pickle-format", "package", "pickle-format models (suggest skops)", run)
