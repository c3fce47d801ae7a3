"""The one error root of lambdaserve.

Stdlib only: it ships inside the function with the runtime.

    LambdaServeError            message + hint (the fix)
     ├── UsageError             an option or argument is wrong (the CLI exits 2)
     ├── ConfigError            lambdaserve.toml is wrong (file, field, value, allowed)
     ├── ModelLoadError         the model cannot be found or loaded
     ├── RequestError           a client's request is wrong; carries an HTTP status
     ├── EmulatorError          the local Lambda cannot run
     ├── InvokeError            an invoke's answer is an error (`lambdaserve invoke`)
     │    ├── FunctionFailedError    the function failed: a function error, or a 5xx answer
     │    └── RequestRefusedError    the function refused the request: a 4xx answer
     ├── BuildError             a package or image cannot be built or pushed
     └── CloudError             an AWS call or a deploy failed

Only the CLI turns these into exit codes.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.metadata import Distribution


class LambdaServeError(Exception):
    """Base of every error lambdaserve raises on purpose."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(LambdaServeError):
    """An option or argument is wrong or missing, or options conflict."""


class ConfigError(LambdaServeError):
    """lambdaserve.toml is missing, malformed or out of range."""


class ModelLoadError(LambdaServeError):
    """The model file is missing or its framework cannot load it."""


class RequestError(LambdaServeError):
    """A request the runtime refuses; ``status`` is the HTTP status to answer."""

    status: int = 400

    def __init__(self, message: str, hint: str = "", status: int | None = None) -> None:
        super().__init__(message, hint)
        if status is not None:
            self.status = status


class EmulatorError(LambdaServeError):
    """The local Lambda cannot start or serve."""


class InvokeError(LambdaServeError):
    """An invoke went through, and its answer is an error."""


class FunctionFailedError(InvokeError):
    """The function raised, timed out or crashed, or answered 5xx."""


class RequestRefusedError(InvokeError):
    """The function answered 4xx: the event or its data is wrong."""


class BuildError(LambdaServeError):
    """A zip or an image cannot be built or pushed."""


class CloudError(LambdaServeError):
    """An AWS call, a credential lookup or a deploy failed."""


class ConvertError(LambdaServeError):
    """A model cannot be converted to ONNX, or the converted one answers differently."""


def pip_install_extra(extra: str, dist: Distribution | None = None) -> str:
    """The `pip install` of lambdaserve with ``extra``, from where this copy came: the checkout's
    folder when it was installed from one (the README's `pip install -e .`), else the package
    name. ``dist``: lambdaserve's installed metadata (default: looked up)."""
    from importlib import metadata

    try:
        found = dist or metadata.distribution("lambdaserve")
        info = json.loads(found.read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, OSError, ValueError):  # inside the function: no metadata
        info = {}
    url = info.get("url", "") if isinstance(info, dict) else ""
    if url.startswith("file://") and isinstance(info.get("dir_info"), dict):
        folder = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
        editable = "-e " if info["dir_info"].get("editable") else ""
        return f"pip install {editable}'{folder}[{extra}]'"
    return f"pip install 'lambdaserve[{extra}]'"

