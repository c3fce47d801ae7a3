"""Lambda's entry point: ``lambdaserve.runtime.handler.lambda_handler``.

The model loads at import, inside Lambda's init phase (not billed against the first request's
timeout), and the warm-up prediction runs there too.
"""

from __future__ import annotations

from typing import Any

from lambdaserve.runtime.threads import configure_threads

configure_threads()  # before anything can import a framework and size its pools

from lambdaserve.runtime.app import Runtime  # noqa: E402
from lambdaserve.runtime.loaders import import_framework  # noqa: E402
from lambdaserve.runtime.settings import RuntimeSettings  # noqa: E402

_SETTINGS = RuntimeSettings.from_env()
import_framework(_SETTINGS)  # from this shallow stack, not from inside from_settings: see its docstring
_RUNTIME = Runtime.from_settings(_SETTINGS)


def lambda_handler(event: Any, context: Any) -> Any:
    return _RUNTIME.handle(event, context)
