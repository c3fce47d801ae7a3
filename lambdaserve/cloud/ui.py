"""What cloud operations report while they run. The CLI implements it with rich; tests record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from lambdaserve.cloud.stack.changeset import Change
    from lambdaserve.cloud.stack.events import StackEvent


class CloudUI(Protocol):
    def info(self, message: str) -> None: ...

    def warn(self, message: str) -> None: ...

    def changes(self, changes: Sequence[Change]) -> None: ...

    def event(self, event: StackEvent) -> None: ...

    def confirm(self, question: str) -> bool: ...
