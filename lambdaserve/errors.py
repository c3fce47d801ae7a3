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
