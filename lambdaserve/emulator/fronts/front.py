"""What the HTTP server needs from a front: API Gateway, a Function URL or an ALB."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from lambdaserve.emulator.fronts.events import IncomingRequest
from lambdaserve.emulator.fronts.proxy_response import GatewayResponse


class Front(Protocol):
    def handle(self, req: IncomingRequest,
               respond_early: Callable[[GatewayResponse], None] | None = None) -> GatewayResponse | None:
        """The answer; None when ``respond_early`` already sent one (a gateway timeout)."""
        ...

    def refuse_too_large(self, req: IncomingRequest, size: str) -> GatewayResponse:
        """The answer to a body the server would not read at all (over its own cap)."""
        ...

    def close(self) -> None: ...
