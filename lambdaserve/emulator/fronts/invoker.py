"""What the HTTP fronts need from a local Lambda: one synchronous ``invoke``.

``emulator.function.Function`` satisfies this; tests pass small real classes of their own.
Errors the fronts understand are ``EmulatorError`` subclasses carrying ``status`` and
``error_type`` class attributes (e.g. 429 TooManyRequestsException).
"""

from __future__ import annotations

from typing import Protocol

from lambdaserve.errors import EmulatorError


class InvokeOutcome(Protocol):
    @property
    def request_id(self) -> str: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def function_error(self) -> str | None: ...
    @property
    def log_tail(self) -> str: ...
    @property
    def duration_ms(self) -> float: ...
    @property
    def timed_out(self) -> bool: ...


class Invoker(Protocol):
    def invoke(self, payload: bytes, *, request_id: str | None = None) -> InvokeOutcome: ...


def error_status(exc: EmulatorError) -> tuple[int, str]:
    """The HTTP status and Lambda error type an invoke error stands for."""
    status = getattr(exc, "status", 500)
    error_type = getattr(exc, "error_type", "ServiceException")
    return (status if isinstance(status, int) else 500,
            error_type if isinstance(error_type, str) else "ServiceException")
