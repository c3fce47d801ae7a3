"""What goes into the function besides dependencies: the runtime, the user's code and the model.

The runtime is exactly ``lambdaserve/__init__.py``, ``lambdaserve/errors.py`` and
``lambdaserve/runtime/**``: nothing of the CLI, build, cloud, emulator or config ships. With
``api.docs = true`` the try-it page's vendored Swagger UI joins it, at the same relative place
(``lambdaserve/vendor/swagger_ui/``) where ``lambdaserve.runtime.docs`` looks for it.

The user's code is the predictor's module, chosen by config/sources.py (doctor scans the same files).
"""

from __future__ import annotations

from pathlib import Path

import lambdaserve
from lambdaserve.config import Config
from lambdaserve.config.sources import MODEL_DIR, SourceFile, predictor_module, user_code_files
from lambdaserve.config.sources import walk as _walk
from lambdaserve.errors import BuildError

__all__ = ["MODEL_DIR", "SourceFile", "docs_files", "model_files", "predictor_module", "runtime_files",
           "user_code_files"]


def runtime_files() -> list[SourceFile]:
    """The part of lambdaserve that runs inside the function."""
    package = Path(lambdaserve.__file__).resolve().parent
    files = [SourceFile("lambdaserve/__init__.py", package / "__init__.py"),
             SourceFile("lambdaserve/errors.py", package / "errors.py")]
    runtime = package / "runtime"
    files += [SourceFile("lambdaserve/runtime/" + p.relative_to(runtime).as_posix(), p)
              for p in _walk(runtime)]
    return files


def docs_files(config: Config) -> list[SourceFile]:
    """The try-it page's vendored files when api.docs is on; nothing otherwise."""
    if not config.api.docs:
        return []
    from lambdaserve.runtime import docs

    missing = docs.missing_assets()
    if missing:
        raise BuildError(f"api.docs is on but {', '.join(missing)} is missing from {docs.ASSET_DIR}",
                         hint="Reinstall lambdaserve, or run scripts/vendor_swagger_ui.sh in a checkout.")
    root = Path(lambdaserve.__file__).resolve().parent
    return [SourceFile(p.relative_to(root.parent).as_posix(), p) for p in _walk(docs.ASSET_DIR)]


def model_files(config: Config) -> list[SourceFile]:
    """The model under model/: the file itself, or the folder's contents."""
    path = config.model.path
    if path.is_file():
        return [SourceFile(f"{MODEL_DIR}/{path.name}", path)]
    return [SourceFile(f"{MODEL_DIR}/" + p.relative_to(path).as_posix(), p) for p in _walk(path)]
