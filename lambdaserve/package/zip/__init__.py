"""The Lambda zip: built reproducibly, and extracted as a task root to run it locally."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.package.zip.build import ZipBuildResult, build_zip, human, record_build, set_aside
    from lambdaserve.package.zip.extract import prepare_artifact

_EXPORTS = {
    "ZipBuildResult": "lambdaserve.package.zip.build",
    "build_zip": "lambdaserve.package.zip.build",
    "human": "lambdaserve.package.zip.build",
    "record_build": "lambdaserve.package.zip.build",
    "set_aside": "lambdaserve.package.zip.build",
    "prepare_artifact": "lambdaserve.package.zip.extract",
}
__all__ = ["ZipBuildResult", "build_zip", "human", "prepare_artifact", "record_build", "set_aside"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
