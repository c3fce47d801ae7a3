"""Lambda's entry point: ``lambdaserve.runtime.handler.lambda_handler``.

The model loads at import, inside Lambda's init phase (not billed against the first request's
timeout), and the warm-up prediction runs there too, all inside ``in_one_chunk``.
"""

from __future__ import annotations

from typing import Any

from lambdaserve.runtime.threads import configure_threads

_THREADS = configure_threads()  # before anything can import a framework and size its pools

from lambdaserve.runtime.app import Runtime  # noqa: E402
from lambdaserve.runtime.loaders import import_framework  # noqa: E402
from lambdaserve.runtime.settings import RuntimeSettings  # noqa: E402
from lambdaserve.runtime.stack import in_one_chunk  # noqa: E402


def _init() -> Runtime:
    settings = RuntimeSettings.from_env()
    framework = import_framework(settings)  # before from_settings, not from inside it: see its docstring
    return Runtime.from_settings(settings, framework=framework, threads=_THREADS)  # each found once


_RUNTIME = in_one_chunk(_init)  # no frame-stack chunk mapped and unmapped per call: see runtime/stack.py


def lambda_handler(event: Any, context: Any) -> Any:
    return _RUNTIME.handle(event, context)
