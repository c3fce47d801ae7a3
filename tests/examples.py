"""The README's examples, made on demand by examples/make_examples.py (they are never committed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "make_examples.py"


def make_examples_script() -> ModuleType:
    """examples/make_examples.py, loaded as a module."""
    spec = importlib.util.spec_from_file_location("make_examples", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_example(name: str, folder: Path) -> Path:
    """Write example ``name`` (e.g. "iris", "iris-custom") with its lambdaserve.toml into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    make_examples_script().EXAMPLES[name](folder)
    return folder
