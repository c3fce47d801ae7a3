"""What the HTTP server needs from a front: API Gateway, a Function URL or an ALB."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from lambdaserve.emulator.apigw_response import GatewayResponse
from lambdaserve.emulator.events_out import IncomingRequest


class Front(Protocol):
    def handle(self, req: IncomingRequest,
               respond_early: Callable[[GatewayResponse], None] | None = None) -> GatewayResponse | None:
        """The answer; None when ``respond_early`` already sent one (a gateway timeout)."""
        ...

    def close(self) -> None: ...
