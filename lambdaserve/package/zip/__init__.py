"""The Lambda zip: built reproducibly, and extracted as a task root to run it locally."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.package.zip.build import build_zip, human
    from lambdaserve.package.zip.extract import prepare_artifact

_EXPORTS = {
    "build_zip": "lambdaserve.package.zip.build",
    "human": "lambdaserve.package.zip.build",
    "prepare_artifact": "lambdaserve.package.zip.extract",
}
__all__ = ["build_zip", "human", "prepare_artifact"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
