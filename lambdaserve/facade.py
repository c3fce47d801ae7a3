"""Lazy public facades for lambdaserve's packages (PEP 562).

A package's ``__init__`` names what it offers and where each name lives; the module is imported
on first use, so ``import lambdaserve.cloud.cfn`` does not drag boto3 in, and no facade can
create an import cycle between the modules behind it. Type checkers read the ``TYPE_CHECKING``
imports the facade repeats; tests/test_facades.py keeps the two lists equal.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``exports[name]`` (a module path) and returns its ``name``."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__
