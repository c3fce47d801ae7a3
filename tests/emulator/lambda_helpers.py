"""Building Functions over the one-purpose handlers in tests/emulator/handlers/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lambdaserve.emulator import Function, FunctionSpec

HANDLERS = Path(__file__).with_name("handlers").resolve()


def spec(handler: str, **overrides: Any) -> FunctionSpec:
    fields: dict[str, Any] = {
        "name": handler.split(".")[0].replace("_", "-"),
        "task_root": HANDLERS,
        "environment": {},
        "handler": handler,
        "memory_mb": 256,
        "timeout_s": 5.0,
        "concurrency": 1,
    }
    fields.update(overrides)
    return FunctionSpec(**fields)


@contextmanager
def running(handler: str, **overrides: Any) -> Iterator[Function]:
    function = Function(spec(handler, **overrides))
    try:
        yield function.start()
    finally:
        function.close()


def call(function: Function, event: Any) -> tuple[Any, Any]:
    """(decoded payload, InvokeResult)."""
    result = function.invoke(json.dumps(event).encode())
    return json.loads(result.payload), result
