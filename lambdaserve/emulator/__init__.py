"""A local Lambda: real awslambdaric workers against our Runtime API, under Lambda's limits.

    execution/  Function, FunctionSpec, InvokeResult; environments INIT -> READY <-> BUSY -> DEAD,
                leasing, cold starts, timeouts, payload limits, reaping; the Runtime API
                (keep-alive, TCP_NODELAY); Lambda's variables and words (lambda_text.py)
    sandbox/    per sandbox (process | namespace | container): checks, argv, the boot (read-only /,
                capped /tmp, no /dev/shm), the memory cap, the CPU share as a CFS quota (cpu.py),
                and the shim that makes SemLock raise ENOSYS
    fronts/     API Gateway (REST and HTTP API), the Invoke API, the one HTTP server, event shapes
    http11.py   the lean HTTP/1.1 core both the fronts and the Runtime API serve with

Errors (all ``lambdaserve.errors.EmulatorError``):

    EmulatorError               the emulator cannot run (bad task root, closed function...)
     ├── ThrottledError         429 TooManyRequestsException, every environment is busy
     └── PayloadTooLargeError   413 RequestEntityTooLargeException, request over 6 MB

Everything a function does wrong (raise, exit, time out, run out of memory) is not an
exception here: it is an ``InvokeResult`` with ``function_error="Unhandled"``, as on Lambda.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.emulator.execution.function import (
        Function,
        FunctionSpec,
        InvokeResult,
        PayloadTooLargeError,
        Sandbox,
        ThrottledError,
    )

_EXPORTS = {
    "Function": "lambdaserve.emulator.execution.function",
    "FunctionSpec": "lambdaserve.emulator.execution.function",
    "InvokeResult": "lambdaserve.emulator.execution.function",
    "PayloadTooLargeError": "lambdaserve.emulator.execution.function",
    "Sandbox": "lambdaserve.emulator.execution.function",
    "ThrottledError": "lambdaserve.emulator.execution.function",
}
__all__ = ["Function", "FunctionSpec", "InvokeResult", "PayloadTooLargeError", "Sandbox", "ThrottledError"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
