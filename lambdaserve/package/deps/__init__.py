"""The dependency layer: requirements resolved for the Lambda runtime, trimmed and compiled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.package.deps.interpreters import Interpreter, find_interpreter, probe

_EXPORTS = {
    "Interpreter": "lambdaserve.package.deps.interpreters",
    "find_interpreter": "lambdaserve.package.deps.interpreters",
    "probe": "lambdaserve.package.deps.interpreters",
}
__all__ = ["Interpreter", "find_interpreter", "probe"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
