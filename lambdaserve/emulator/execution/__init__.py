"""Execution environments: real awslambdaric workers, the Runtime API, Lambda's limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.emulator.execution.function import (
        Function,
        FunctionSpec,
        InvokeResult,
        PayloadTooLargeError,
        ThrottledError,
    )
    from lambdaserve.emulator.execution.lambda_text import unreported
    from lambdaserve.emulator.execution.worker_process import PASS_THROUGH

_EXPORTS = {
    "Function": "lambdaserve.emulator.execution.function",
    "FunctionSpec": "lambdaserve.emulator.execution.function",
    "InvokeResult": "lambdaserve.emulator.execution.function",
    "PayloadTooLargeError": "lambdaserve.emulator.execution.function",
    "ThrottledError": "lambdaserve.emulator.execution.function",
    "PASS_THROUGH": "lambdaserve.emulator.execution.worker_process",
    "unreported": "lambdaserve.emulator.execution.lambda_text",
}
__all__ = ["PASS_THROUGH", "Function", "FunctionSpec", "InvokeResult", "PayloadTooLargeError",
           "ThrottledError", "unreported"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
