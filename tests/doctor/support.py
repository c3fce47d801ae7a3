"""Projects and contexts for the doctor's tests: every side effect passed in, nothing patched."""

from __future__ import annotations

from pathlib import Path

from lambdaserve.config import load_config
from lambdaserve.doctor import DoctorContext, Finding, Probes, Severity
from lambdaserve.doctor.finding import Check


def project(root: Path, *, framework: str = "onnx", model: str = "model.onnx", extra: str = "",
            requirements: str = '["onnxruntime==1.32.0"]', package: str = "zip", predictor: str = "") -> Path:
    """A project; with ``predictor`` ('module:Attr'), a custom one whose code is that module."""
    root.mkdir(parents=True, exist_ok=True)
    if not (root / model).exists():
        (root / model).write_bytes(b"not really a model")
    framework = "custom" if predictor else framework
    custom = f'predictor = "{predictor}"\n' if predictor else ""
    (root / "lambdaserve.toml").write_text(
        f'name = "doc"\n[model]\npath = "{model}"\nframework = "{framework}"\n{custom}'
        f'[function]\npython = "3.12"\npackage = "{package}"\nrequirements = {requirements}\n{extra}')
    return root


def context(root: Path | None = None, *, probes: Probes | None = None, **fields: object) -> DoctorContext:
    config = load_config(root) if root is not None and (root / "lambdaserve.toml").exists() else None
    base: dict[str, object] = {"environ": {}, "euid": 1000, "home": Path("/nonexistent-home"),
                               "python": (3, 12), "which": lambda _name: None}
    base.update(fields)
    return DoctorContext(project_dir=root or Path("/nonexistent"), config=config, probes=probes or Probes(),
                         **base)  # type: ignore[arg-type]


def severities(check: Check, ctx: DoctorContext) -> list[Severity]:
    return [f.severity for f in check.run(ctx)]


def only(check: Check, ctx: DoctorContext) -> Finding:
    found = check.run(ctx)
    assert len(found) == 1, found
    return found[0]
